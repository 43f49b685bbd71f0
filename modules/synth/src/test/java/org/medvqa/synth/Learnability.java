package org.medvqa.synth;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Reads a written release back from disk, as any consumer would, and measures how well pixel
 * features predict each kind of answer against models that never look at the image. Fits on the
 * training split and scores on validation plus test, so nothing is scored on what it was fit on.
 */
final class Learnability {

  /** One question about one image, with the answer the reference gives first. */
  record Example(String imageId, Path image, String category, String question, String answer) {}

  /** Accuracy of the pixel model and of two image-blind models on held-out questions. */
  record Score(String task, int n, double pixels, double majority, double questionOnly) {
    @Override
    public String toString() {
      return String.format(
          "%-16s n=%3d  pixels %.2f  majority %.2f  question-only %.2f",
          task, n, pixels, majority, questionOnly);
    }
  }

  private static final String NORMAL = "(normal)";

  private static final Pattern YES_MEANS_NORMAL = Pattern.compile("\\bnormal\\b");

  private final Map<Path, PixelFeatures> cache = new HashMap<>();

  static List<Score> measure(Path root) throws IOException {
    Learnability l = new Learnability();
    List<Example> train =
        readTrainingLike(root, "ImageClef_2019_Training", "train", "Train_images");
    List<Example> held =
        new ArrayList<>(readTrainingLike(root, "ImageClef_2019_Validation", "val", "Val_images"));
    held.addAll(readTest(root));
    List<Score> scores = new ArrayList<>();
    scores.add(
        l.score(
            "modality", train, held, e -> e.category.equals("modality"), PixelFeatures::modality));
    scores.add(
        l.score("plane", train, held, e -> e.category.equals("plane"), PixelFeatures::plane));
    scores.add(
        l.score("organ", train, held, e -> e.category.equals("organ"), PixelFeatures::organ));
    scores.add(
        l.score(
            "abnormality name",
            train,
            held,
            e -> e.category.equals("abnormality") && !isYesNo(e.answer),
            PixelFeatures::lesion));
    scores.add(l.scoreYesNo(train, held));
    return scores;
  }

  private Score score(
      String task,
      List<Example> train,
      List<Example> held,
      java.util.function.Predicate<Example> keep,
      Function<PixelFeatures, double[]> feature) {
    List<Example> tr = train.stream().filter(keep).toList();
    List<Example> te = held.stream().filter(keep).toList();
    NearestCentroid model =
        new NearestCentroid(
            tr.stream().map(e -> feature.apply(features(e))).toList(),
            tr.stream().map(Example::answer).toList());
    int right = 0;
    for (Example e : te) {
      right += model.predict(feature.apply(features(e))).equals(e.answer) ? 1 : 0;
    }
    return new Score(
        task, te.size(), right / (double) te.size(), majority(tr, te), questionOnly(tr, te));
  }

  /**
   * Yes/no abnormality questions: the pixels say whether a lesion is there, the wording says
   * whether "yes" means normal or abnormal; a VQA model must combine both, and so does this. The
   * centroids are the four named lesions (from the named questions) plus "normal" (from the yes/no
   * questions about normal images); any lesion predicted counts as abnormal.
   */
  private Score scoreYesNo(List<Example> train, List<Example> held) {
    java.util.function.Predicate<Example> keep =
        e -> e.category.equals("abnormality") && isYesNo(e.answer);
    List<Example> tr = train.stream().filter(keep).toList();
    List<Example> te = held.stream().filter(keep).toList();
    List<double[]> features = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (Example e : train) {
      if (!e.category.equals("abnormality")) {
        continue;
      }
      if (!isYesNo(e.answer)) {
        features.add(features(e).lesion());
        labels.add(e.answer);
      } else if (!abnormal(e)) {
        features.add(features(e).lesion());
        labels.add(NORMAL);
      }
    }
    NearestCentroid model = new NearestCentroid(features, labels);
    int right = 0;
    for (Example e : te) {
      boolean predictedAbnormal = !model.predict(features(e).lesion()).equals(NORMAL);
      boolean yesMeansNormal = YES_MEANS_NORMAL.matcher(e.question).find();
      String answer = predictedAbnormal != yesMeansNormal ? "yes" : "no";
      right += answer.equals(e.answer) ? 1 : 0;
    }
    return new Score(
        "abnormal yes/no",
        te.size(),
        right / (double) te.size(),
        majority(tr, te),
        questionOnly(tr, te));
  }

  private static boolean abnormal(Example e) {
    boolean yesMeansNormal = YES_MEANS_NORMAL.matcher(e.question).find();
    return e.answer.equals("yes") != yesMeansNormal;
  }

  private static boolean isYesNo(String answer) {
    return answer.equals("yes") || answer.equals("no");
  }

  private static double majority(List<Example> train, List<Example> held) {
    String top = mostCommon(train.stream().map(Example::answer).toList());
    return held.stream().filter(e -> e.answer.equals(top)).count() / (double) held.size();
  }

  /**
   * The most common training answer for the same question text; the category majority otherwise.
   */
  private static double questionOnly(List<Example> train, List<Example> held) {
    Map<String, List<String>> byQuestion = new HashMap<>();
    for (Example e : train) {
      byQuestion.computeIfAbsent(e.question, k -> new ArrayList<>()).add(e.answer);
    }
    String fallback = mostCommon(train.stream().map(Example::answer).toList());
    int right = 0;
    for (Example e : held) {
      List<String> seen = byQuestion.get(e.question);
      String guess = seen == null ? fallback : mostCommon(seen);
      right += guess.equals(e.answer) ? 1 : 0;
    }
    return right / (double) held.size();
  }

  private static String mostCommon(List<String> values) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String v : values) {
      counts.merge(v, 1, Integer::sum);
    }
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Integer>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .findFirst()
        .orElseThrow()
        .getKey();
  }

  private PixelFeatures features(Example e) {
    return cache.computeIfAbsent(
        e.image,
        p -> {
          try {
            BufferedImage image = ImageIO.read(p.toFile());
            return new PixelFeatures(image);
          } catch (IOException ex) {
            throw new UncheckedIOException(ex);
          }
        });
  }

  private static final String[][] CATEGORY_FILES = {
    {"modality", "C1_Modality"},
    {"plane", "C2_Plane"},
    {"organ", "C3_Organ"},
    {"abnormality", "C4_Abnormality"}
  };

  static List<Example> readTrainingLike(Path root, String dir, String suffix, String images)
      throws IOException {
    List<Example> out = new ArrayList<>();
    for (String[] c : CATEGORY_FILES) {
      Path file =
          root.resolve(dir).resolve("QAPairsByCategory").resolve(c[1] + "_" + suffix + ".txt");
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split("\\|", -1);
        out.add(
            new Example(
                f[0], root.resolve(dir).resolve(images).resolve(f[0] + ".jpg"), c[0], f[1], f[2]));
      }
    }
    return out;
  }

  static List<Example> readTest(Path root) throws IOException {
    Path dir = root.resolve("VQAMed2019_Test");
    List<Example> out = new ArrayList<>();
    for (String line :
        Files.readAllLines(dir.resolve("VQAMed2019_Test_Questions_w_Ref_Answers.txt"))) {
      String[] f = line.split("\\|", -1);
      String first = f[3].split("#")[0];
      out.add(
          new Example(
              f[0],
              dir.resolve("VQAMed2019_Test_Images").resolve(f[0] + ".jpg"),
              f[1],
              f[2],
              first));
    }
    return out;
  }
}
