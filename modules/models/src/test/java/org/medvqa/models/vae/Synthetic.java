package org.medvqa.models.vae;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.medvqa.models.Example;

/**
 * Test data generated in code: images of four classes (a fixed random centre per class plus noise),
 * questions from two templates, and an answer (VQA) or question (VQG) that depends on the class.
 */
final class Synthetic {
  static final String[] ANSWERS = {"left lung", "brain", "right kidney with cyst", "liver"};
  static final String[] TEMPLATES = {"what organ is shown in this image?", "which organ is seen?"};
  static final String[] QUESTIONS = {
    "what is the plane of this image?",
    "is this a ct scan?",
    "which organ is shown?",
    "is there a fracture in the left arm?"
  };

  private Synthetic() {}

  private static float[][] centres(int features) {
    Random r = new Random(11);
    float[][] c = new float[ANSWERS.length][features];
    for (float[] row : c) {
      for (int j = 0; j < features; j++) {
        row[j] = (float) r.nextGaussian();
      }
    }
    return c;
  }

  private static float[] image(float[] centre, Random r, double noise) {
    float[] f = new float[centre.length];
    for (int j = 0; j < f.length; j++) {
      f[j] = (float) (centre[j] + noise * r.nextGaussian());
    }
    return f;
  }

  /** {@code n} VQA examples whose answer is the image's class; the question template is random. */
  static List<Example> vqa(int n, long seed, int features, double noise) {
    float[][] c = centres(features);
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(ANSWERS.length);
      String id = "s" + seed + "-" + i;
      out.add(
          new Example(
              id,
              "img" + seed + "-" + i,
              "organ",
              image(c[k], r, noise),
              TEMPLATES[r.nextInt(TEMPLATES.length)],
              List.of(ANSWERS[k])));
    }
    return out;
  }

  /** {@code n} VQG examples: the question is the image class's. */
  static List<Example> vqg(int n, long seed, int features, double noise) {
    float[][] c = centres(features);
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(QUESTIONS.length);
      String id = "g" + seed + "-" + i;
      out.add(new Example(id, id, "vqg", image(c[k], r, noise), QUESTIONS[k], List.of()));
    }
    return out;
  }

  /**
   * The {@code medvqa.models.<kind>} block of the reference configuration with {@code settings}.
   */
  static Config config(String kind, String settings) {
    return ConfigFactory.parseString("medvqa.models." + kind + " { " + settings + " }")
        .withFallback(ConfigFactory.defaultReference())
        .resolve()
        .getConfig("medvqa.models." + kind);
  }

  /** A tiny VQA model for gradient checks: sizes of a few units, three short examples. */
  static VaeVqa tinyVqa(String settings) {
    return VaeVqa.fit(
        config(
            "vae-vqa",
            "embedding = 3, hidden = 4, z = 2, max-question-length = 4, output-length = 3, "
                + settings),
        vqa(3, 5, 5, 0.1));
  }

  static VaeVqg tinyVqg(String settings) {
    return VaeVqg.fit(
        config("vae-vqg", "embedding = 3, hidden = 4, z = 2, output-length = 4, " + settings),
        vqg(3, 5, 5, 0.1));
  }
}
