package org.medvqa.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One release with the reference.conf defaults, written once and checked from several sides. */
class SyntheticReleaseTest {
  @TempDir static Path root;

  private static SyntheticRelease.Summary summary;

  private static final String TRAIN = "ImageClef_2019_Training";
  private static final String VAL = "ImageClef_2019_Validation";
  private static final String TEST = "VQAMed2019_Test";
  private static final List<String> STEMS =
      List.of("C1_Modality", "C2_Plane", "C3_Organ", "C4_Abnormality");

  @BeforeAll
  static void write() throws IOException {
    summary = SyntheticRelease.of(SyntheticRelease.Settings.defaults()).write(root);
  }

  @Test
  void summaryCountsMatchTheDefaults() {
    assertEquals(new SyntheticRelease.SplitCounts(240, 960), summary.train());
    assertEquals(new SyntheticRelease.SplitCounts(40, 160), summary.val());
    assertEquals(new SyntheticRelease.SplitCounts(60, 60), summary.test());
    assertEquals(340, summary.totalImages());
    assertTrue(summary.toString().contains("train 240 images / 960 QA pairs"), summary::toString);
  }

  @Test
  void layoutIsTheOneOfTheRealRelease() {
    for (String path :
        List.of(
            TRAIN + "/All_QA_Pairs_train.txt",
            TRAIN + "/train_ImageIDs.txt",
            VAL + "/All_QA_Pairs_val.txt",
            VAL + "/val_ImageIDs.txt",
            TEST + "/VQAMed2019_Test_Questions.txt",
            TEST + "/VQAMed2019_Test_Questions_w_Ref_Answers.txt")) {
      assertTrue(Files.isRegularFile(root.resolve(path)), path);
    }
    for (String stem : STEMS) {
      assertTrue(
          Files.isRegularFile(root.resolve(TRAIN + "/QAPairsByCategory/" + stem + "_train.txt")));
      assertTrue(
          Files.isRegularFile(root.resolve(VAL + "/QAPairsByCategory/" + stem + "_val.txt")));
    }
    assertEquals(240, countJpegs(root.resolve(TRAIN + "/Train_images")));
    assertEquals(40, countJpegs(root.resolve(VAL + "/Val_images")));
    assertEquals(60, countJpegs(root.resolve(TEST + "/VQAMed2019_Test_Images")));
  }

  @Test
  void trainingAndValidationLinesHaveThreeFieldsAndFourQuestionsPerImage() throws IOException {
    for (String[] split : new String[][] {{TRAIN, "train", "synth"}, {VAL, "val", "synthval"}}) {
      Path dir = root.resolve(split[0]);
      List<String> ids = Files.readAllLines(dir.resolve(split[1] + "_ImageIDs.txt"));
      assertEquals(ids.size(), new HashSet<>(ids).size(), "ids are unique");
      ids.forEach(id -> assertTrue(id.matches(split[2] + "\\d{6}"), id));
      List<String> all = Files.readAllLines(dir.resolve("All_QA_Pairs_" + split[1] + ".txt"));
      assertEquals(4 * ids.size(), all.size());
      List<String> concatenated = new java.util.ArrayList<>();
      for (int c = 0; c < STEMS.size(); c++) {
        List<String> lines =
            Files.readAllLines(
                dir.resolve("QAPairsByCategory/" + STEMS.get(c) + "_" + split[1] + ".txt"));
        assertEquals(ids.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
          String[] f = lines.get(i).split("\\|", -1);
          assertEquals(3, f.length, lines.get(i));
          assertEquals(ids.get(i), f[0], "category files follow the id file's order");
          assertWellFormedQuestion(f[1]);
          assertTrue(
              SyntheticRelease.answers(SyntheticRelease.CATEGORIES.get(c)).contains(f[2]),
              lines.get(i));
        }
        concatenated.addAll(lines);
      }
      assertEquals(concatenated, all, "the All file is the category files one after another");
    }
  }

  @Test
  void testLinesHaveCategoriesBalancedAndOneQuestionPerImage() throws IOException {
    Path dir = root.resolve(TEST);
    List<String> questions = Files.readAllLines(dir.resolve("VQAMed2019_Test_Questions.txt"));
    List<String> answers =
        Files.readAllLines(dir.resolve("VQAMed2019_Test_Questions_w_Ref_Answers.txt"));
    assertEquals(60, questions.size());
    assertEquals(60, answers.size());
    Map<String, Integer> perCategory = new HashMap<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < answers.size(); i++) {
      String[] q = questions.get(i).split("\\|", -1);
      String[] f = answers.get(i).split("\\|", -1);
      assertEquals(3, q.length, questions.get(i));
      assertEquals(4, f.length, answers.get(i));
      assertEquals(questions.get(i), f[0] + "|" + f[1] + "|" + f[2]);
      assertTrue(f[0].matches("synthtest\\d{6}"), f[0]);
      assertTrue(ids.add(f[0]), "one question per test image");
      assertTrue(SyntheticRelease.CATEGORIES.contains(f[1]), f[1]);
      assertWellFormedQuestion(f[2]);
      perCategory.merge(f[1], 1, Integer::sum);
      List<String> alternatives = Arrays.asList(f[3].split("#", -1));
      assertTrue(SyntheticRelease.answers(f[1]).contains(alternatives.get(0)), answers.get(i));
      if (alternatives.size() > 1) {
        assertEquals("organ", f[1], "only organ answers carry alternatives");
        assertEquals(2, alternatives.size());
        assertTrue(SyntheticRelease.ORGAN_ALTERNATIVES.contains(alternatives.get(1)));
      }
    }
    assertEquals(Map.of("modality", 15, "plane", 15, "organ", 15, "abnormality", 15), perCategory);
  }

  @Test
  void everyReferencedImageExistsAndDecodes() throws IOException {
    int grey = 0;
    int rgb = 0;
    for (Learnability.Example e : allExamples()) {
      BufferedImage image = ImageIO.read(e.image().toFile());
      assertNotNull(image, e.image().toString());
      assertEquals(128, image.getWidth());
      assertEquals(128, image.getHeight());
      if (e.category().equals("modality")) { // once per image
        int bands = image.getRaster().getNumBands();
        grey += bands == 1 ? 1 : 0;
        rgb += bands == 3 ? 1 : 0;
      }
    }
    assertEquals(340, grey + rgb);
    // rgb-fraction = 0.25: both kinds are present, mostly grey.
    assertTrue(rgb > 40 && rgb < 130, "rgb images: " + rgb);
  }

  @Test
  void everyAnswerOfEachCategoryOccurs() throws IOException {
    Map<String, Set<String>> seen = new HashMap<>();
    for (Learnability.Example e :
        Learnability.readTrainingLike(root, TRAIN, "train", "Train_images")) {
      seen.computeIfAbsent(e.category(), k -> new HashSet<>()).add(e.answer());
    }
    for (String c : SyntheticRelease.CATEGORIES) {
      assertEquals(Set.copyOf(SyntheticRelease.answers(c)), seen.get(c), c);
    }
  }

  /**
   * The point of the module: a nearest-centroid model on a few pixel features, fit on the training
   * images, answers held-out questions far better than models that never look at the image (the
   * majority answer of the category, or the majority answer of the exact question text).
   */
  @Test
  void answersAreLearnableFromPixelsAndNotFromTheQuestion() throws IOException {
    List<Learnability.Score> scores = Learnability.measure(root);
    scores.forEach(s -> System.out.println("[synth learnability] " + s));
    for (Learnability.Score s : scores) {
      double blind = Math.max(s.majority(), s.questionOnly());
      if (s.task().equals("abnormal yes/no")) {
        // Few such questions at the defaults (a quarter of abnormality questions), so a looser bar.
        assertTrue(s.pixels() >= 0.7 && s.pixels() >= blind + 0.2, s::toString);
      } else {
        assertTrue(s.pixels() >= 0.75, s::toString);
        assertTrue(s.pixels() >= blind + 0.35, s::toString);
      }
      assertTrue(blind <= 0.6, "an image-blind model should not do well: " + s);
    }
  }

  private static void assertWellFormedQuestion(String q) {
    assertTrue(q.endsWith("?"), q);
    assertEquals(q.toLowerCase(java.util.Locale.ROOT), q);
    assertFalse(q.contains("{") || q.contains("|") || q.contains("#"), q);
  }

  private static List<Learnability.Example> allExamples() throws IOException {
    List<Learnability.Example> all =
        new java.util.ArrayList<>(
            Learnability.readTrainingLike(root, TRAIN, "train", "Train_images"));
    all.addAll(Learnability.readTrainingLike(root, VAL, "val", "Val_images"));
    for (Learnability.Example e : Learnability.readTest(root)) {
      // Test images are asked one category each; count each image once as "modality" above.
      all.add(new Learnability.Example(e.imageId(), e.image(), "modality", e.question(), ""));
    }
    return all;
  }

  private static long countJpegs(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".jpg")).count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
