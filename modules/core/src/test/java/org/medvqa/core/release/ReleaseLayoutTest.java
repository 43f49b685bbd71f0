package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Category;

/** Detection on the file listings of each release layout, with their contents. */
class ReleaseLayoutTest {
  private static ReleaseLayout.Plan detect(Map<String, String> files, List<String> dirs) {
    return ReleaseLayout.detect(List.copyOf(files.keySet()), dirs, linesOf(files), null);
  }

  /** The non-blank lines of each file, as ingest gives them to detection. */
  static Function<String, Stream<String>> linesOf(Map<String, String> files) {
    return path -> files.get(path).lines().filter(l -> !l.isBlank());
  }

  private static TextSource byName(ReleaseLayout.Plan p, String name) {
    return p.sources().stream().filter(s -> s.fileName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void layout2019() {
    String r = "file:/d/VQA-Med-2019/";
    Map<String, String> files =
        Map.of(
            r + "ImageClef_2019_Training/All_QA_Pairs_train.txt", "synpic1|what is shown?|ct",
            r + "ImageClef_2019_Training/QAPairsByCategory/C1_Modality_train.txt",
                "synpic1|what is shown?|ct",
            r + "ImageClef_2019_Training/train_ImageIDs.txt", "synpic1",
            r + "ImageClef_2019_Validation/All_QA_Pairs_val.txt", "synpic9|what plane?|axial",
            r + "VQAMed2019_Test/VQAMed2019_Test_Questions.txt", "synpic5|plane|what plane?",
            r + "VQAMed2019_Test/VQAMed2019_Test_Questions_w_Ref_Answers.txt",
                "synpic5|plane|what plane?|axial",
            r + "README-VQA-Med-2019-Data.txt", "readme");
    List<String> dirs =
        List.of(
            r + "ImageClef_2019_Training/Train_images",
            r + "ImageClef_2019_Validation/Val_images",
            r + "VQAMed2019_Test/VQAMed2019_Test_Images");
    ReleaseLayout.Plan p = detect(files, dirs);
    assertEquals("2019", p.release());
    assertEquals(TextFormat.QA, byName(p, "All_QA_Pairs_train.txt").format());
    assertEquals(
        r + "ImageClef_2019_Training/Train_images", byName(p, "All_QA_Pairs_train.txt").imageDir());
    TextSource cat = byName(p, "C1_Modality_train.txt");
    assertEquals(TextFormat.CATEGORY_QA, cat.format());
    assertEquals(Category.MODALITY, cat.category());
    TextSource val = byName(p, "All_QA_Pairs_val.txt");
    assertEquals("val", val.split());
    assertEquals(r + "ImageClef_2019_Validation/Val_images", val.imageDir());
    TextSource test = byName(p, "VQAMed2019_Test_Questions_w_Ref_Answers.txt");
    assertEquals(TextFormat.TEST_2019, test.format());
    assertEquals("test", test.split());
    assertEquals(r + "VQAMed2019_Test/VQAMed2019_Test_Images", test.imageDir());
    // The test questions without answers repeat the file with answers: ignored, with a reason.
    Map<String, String> ignored =
        p.ignored().stream()
            .collect(
                Collectors.toMap(
                    i -> i.path().substring(r.length()), ReleaseLayout.Ignored::reason));
    assertTrue(
        ignored.get("VQAMed2019_Test/VQAMed2019_Test_Questions.txt").contains("which has answers"));
    assertTrue(ignored.containsKey("ImageClef_2019_Training/train_ImageIDs.txt"));
    assertTrue(ignored.containsKey("README-VQA-Med-2019-Data.txt"));
    assertEquals(4, p.sources().size());
  }

  @Test
  void layout2020WithVqaAndVqg() {
    String r = "s3a://bucket/vqa-med-2020/";
    Map<String, String> files =
        Map.of(
            r + "VQAMed2020-VQAnswering-TrainingSet/VQAnswering_2020_Train_QA_pairs.txt",
                "synpic1|what is abnormal in the ct scan?|pneumonia",
            r + "VQAMed2020-VQAnswering-ValidationSet/VQAnswering_2020_Val_QA_Pairs.txt",
                "synpic2|what is the primary abnormality in this image?|cyst",
            r + "VQAMed2020-VQGeneration-TrainingSet/VQGeneration_2020_Train_Questions.txt",
                "synpic3|what is abnormal in the ct scan?",
            r + "VQA-Med-2020-Task1-VQAnswering-TestSet/Task1-2020-VQAnswering-Test-Questions.txt",
                "synpic4|what is abnormal in the mri?");
    List<String> dirs =
        List.of(
            r + "VQAMed2020-VQAnswering-TrainingSet/VQAnswering_2020_Train_images",
            r + "VQAMed2020-VQAnswering-ValidationSet/VQAnswering_2020_Val_images",
            r + "VQAMed2020-VQGeneration-TrainingSet/VQGeneration_2020_Train_images",
            r + "VQA-Med-2020-Task1-VQAnswering-TestSet/VQAnswering_2020_Test_images");
    ReleaseLayout.Plan p = detect(files, dirs);
    assertEquals("2020", p.release());
    TextSource train = byName(p, "VQAnswering_2020_Train_QA_pairs.txt");
    assertEquals(TextFormat.QA, train.format());
    assertEquals("vqa", train.task());
    assertTrue(train.imageDir().endsWith("VQAnswering_2020_Train_images"));
    TextSource vqg = byName(p, "VQGeneration_2020_Train_Questions.txt");
    assertEquals(TextFormat.QUESTIONS, vqg.format());
    assertEquals("vqg", vqg.task());
    assertTrue(vqg.imageDir().endsWith("VQGeneration_2020_Train_images"));
    TextSource test = byName(p, "Task1-2020-VQAnswering-Test-Questions.txt");
    assertEquals(TextFormat.QUESTIONS, test.format());
    assertEquals("test", test.split());
    assertEquals("val", byName(p, "VQAnswering_2020_Val_QA_Pairs.txt").split());
  }

  @Test
  void layout2021VqgReferencesAndVqaAnswers() {
    String r = "hdfs://nn/releases/2021/";
    Map<String, String> files =
        Map.of(
            r + "Task2-VQGeneration-TestSet/VQGeneration_2021_Test_ReferenceQuestions.txt",
                "synpic7|what is abnormal?|what is seen in the image?|is this normal?",
            r + "Task1-VQAnswering-ValidationSet/VQA-Med-2021-VQAnswering-Task1-ValidationSet.txt",
                "synpic8|what abnormality is seen?|fracture",
            r + "Task1-VQAnswering-TestSet/VQA-Med-2021-Test-ReferenceAnswers.txt",
                "synpic9|fracture|bone fracture");
    ReleaseLayout.Plan p = detect(files, List.of());
    assertEquals("2021", p.release());
    TextSource vqg = byName(p, "VQGeneration_2021_Test_ReferenceQuestions.txt");
    assertEquals(TextFormat.VQG_REFS, vqg.format());
    assertEquals("vqg", vqg.task());
    assertNull(vqg.imageDir());
    assertEquals(
        TextFormat.QA, byName(p, "VQA-Med-2021-VQAnswering-Task1-ValidationSet.txt").format());
    assertEquals(TextFormat.ANSWERS, byName(p, "VQA-Med-2021-Test-ReferenceAnswers.txt").format());
  }

  @Test
  void fileWithoutSplitIsIgnoredWithReason() {
    ReleaseLayout.Plan p = detect(Map.of("file:/d/questions.txt", "a|b?|c"), List.of());
    assertTrue(p.sources().isEmpty());
    assertTrue(p.ignored().get(0).reason().contains("no split"));
    assertEquals("custom", p.release());
  }

  @Test
  void sniffTellsFormatsApart() {
    assertEquals(TextFormat.TEST_2019, ReleaseLayout.sniff("a|organ|q?|x", "vqa"));
    assertEquals(TextFormat.TEST_2019_QUESTIONS, ReleaseLayout.sniff("a|organ|q?", "vqa"));
    assertEquals(TextFormat.QA, ReleaseLayout.sniff("a|q?|x", "vqa"));
    assertEquals(TextFormat.QUESTIONS, ReleaseLayout.sniff("a|q?", "vqg"));
    assertEquals(TextFormat.VQG_REFS, ReleaseLayout.sniff("a|q1?|q2?|q3?", "vqg"));
    assertEquals(TextFormat.ANSWERS, ReleaseLayout.sniff("a|x|y|z", "vqa"));
  }
}
