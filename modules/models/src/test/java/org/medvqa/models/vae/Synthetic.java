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

  /**
   * Class centres shaped like pooled ReLU features of one domain: a large component shared by every
   * class (1 to 3 per dimension) plus a smaller class-specific part (standard deviation 0.5).
   * Zero-mean isotropic centres, which these replace, stay far apart after scaling each row to unit
   * norm; these do not, so a model that cannot separate the shared part from the class part fails
   * on them, as the VAEs did on real features.
   */
  private static float[][] centres(int features) {
    Random r = new Random(11);
    float[] shared = new float[features];
    for (int j = 0; j < features; j++) {
      shared[j] = (float) (1 + 2 * r.nextDouble());
    }
    float[][] c = new float[ANSWERS.length][features];
    for (float[] row : c) {
      for (int j = 0; j < features; j++) {
        row[j] = (float) (shared[j] + 0.5 * r.nextGaussian());
      }
    }
    return c;
  }

  /** A noisy copy of {@code centre}, clipped at 0 as a ReLU output is. */
  private static float[] image(float[] centre, Random r, double noise) {
    float[] f = new float[centre.length];
    for (int j = 0; j < f.length; j++) {
      f[j] = (float) Math.max(0, centre[j] + noise * r.nextGaussian());
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

  /** Per category: two question templates and the answer for each of the four image classes. */
  static final String[][] CATEGORY_QUESTIONS = {
    {"what imaging modality was used?", "how was this image taken?"},
    {"in what plane is this image?", "which plane is shown?"},
    {"what organ system is shown?", "which organ is this?"},
    {"what is abnormal in this image?", "what is the abnormality?"}
  };

  static final String[][] CATEGORY_ANSWERS = {
    {"us - ultrasound", "mr - t2 weighted", "ct noncontrast", "xr - plain film"},
    {"axial", "sagittal", "coronal", "axial"},
    {"skull and contents", "lung, mediastinum, pleura", "gastrointestinal", "skull and contents"},
    {"meningioma", "pneumothorax", "no", "yes"}
  };

  /**
   * {@code n} VQA examples in the manner of VQA-Med 2019: a random category, one of its question
   * templates, and an answer fixed by both the category and the image's class, so that neither the
   * image nor the question alone can answer.
   */
  static List<Example> vqaByCategory(int n, long seed, int features, double noise) {
    float[][] c = centres(features);
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(ANSWERS.length);
      int cat = r.nextInt(CATEGORY_QUESTIONS.length);
      String[] templates = CATEGORY_QUESTIONS[cat];
      out.add(
          new Example(
              "c" + seed + "-" + i,
              "img" + seed + "-" + i,
              "c" + cat,
              image(c[k], r, noise),
              templates[r.nextInt(templates.length)],
              List.of(CATEGORY_ANSWERS[cat][k])));
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
                + "word-dropout = 0, "
                + settings),
        vqa(3, 5, 5, 0.1));
  }

  static VaeVqg tinyVqg(String settings) {
    return VaeVqg.fit(
        config(
            "vae-vqg",
            "embedding = 3, hidden = 4, z = 2, output-length = 4, word-dropout = 0, " + settings),
        vqg(3, 5, 5, 0.1));
  }
}
