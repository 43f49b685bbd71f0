package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class VqaEvaluatorTest {

  private static final String GT =
      "s1|modality|what modality is shown?|ct\n"
          + "s2|plane|in which plane is the image taken?|axial\n"
          + "s3|organ|what organ system is shown?|lung, mediastinum, pleura#spine and contents\n"
          + "s4|abnormality|what is abnormal?|left lower lobe pneumonia\n";

  private static final String RUN =
      "s1|CT\n" + "s2|sagittal\n" + "s3|Spine and contents.\n" + "s4|left upper lung mass\n";

  private static VqaEvaluation evaluate(BleuMode mode) throws IOException {
    GroundTruth gt = GroundTruth.read(new StringReader(GT), "gt.txt", GroundTruthFormat.AUTO);
    Submission run = Submission.read(new StringReader(RUN), "run.txt", Task.VQA);
    return new VqaEvaluator().evaluate(gt, run, mode);
  }

  @Test
  void scoresAccuracyAndBleuPerItemAndCategory() throws IOException {
    VqaEvaluation e = evaluate(BleuMode.NLTK_3_2_2);
    // s1 and s3 (second alternative, after the period goes) match: accuracy 2/4.
    // BLEU: s1 [ct]/[ct] = 1; s2 [sagitt]/[axial] = 0; s3 [spine, content] exact = 1;
    // s4 [left upper lung mass]/[left lower lobe pneumonia]: p1 = 1/4 -> 0.25^0.25.
    assertEquals(0.5, e.accuracy());
    assertEquals((1 + 0 + 1 + Math.pow(0.25, 0.25)) / 4, e.bleu(), 1e-15);
    assertEquals(4, e.count());
    assertEquals("accuracy=0.5000 bleu=0.6768", e.toString());
    assertEquals(
        "{\"task\":\"vqa\",\"accuracy\":0.5000,\"bleu\":0.6768,\"count\":4,\"per_category\":{"
            + "\"modality\":{\"accuracy\":1.0000,\"bleu\":1.0000,\"count\":1},"
            + "\"plane\":{\"accuracy\":0.0000,\"bleu\":0.0000,\"count\":1},"
            + "\"organ\":{\"accuracy\":1.0000,\"bleu\":1.0000,\"count\":1},"
            + "\"abnormality\":{\"accuracy\":0.0000,\"bleu\":0.7071,\"count\":1}}}",
        e.toJson());

    VqaItemResult s3 = e.items().get(2);
    assertEquals("s3", s3.id());
    assertEquals("organ", s3.category());
    assertEquals("spine and contents", s3.normalizedCandidate());
    assertTrue(s3.matched());
    assertFalse(e.items().get(1).matched());
  }

  @Test
  void nltk34ScoresShortAnswersNearZero() throws IOException {
    VqaEvaluation e = evaluate(BleuMode.NLTK_3_4);
    assertEquals(0.5, e.accuracy());
    assertTrue(e.bleu() < 1e-70, () -> "bleu " + e.bleu());
    assertEquals("accuracy=0.5000 bleu=0.0000", e.toString());
  }

  @Test
  void noPerCategoryWithoutCategories() throws IOException {
    GroundTruth gt =
        GroundTruth.read(new StringReader("a|yes\nb|no\n"), "gt.txt", GroundTruthFormat.VQA_2021);
    Submission run = Submission.read(new StringReader("a|yes\nb|yes\n"), "run.txt", Task.VQA);
    VqaEvaluation e = new VqaEvaluator().evaluate(gt, run, BleuMode.NLTK_3_2_2);
    // "yes" = [yes]: 1; "yes" against "no", a stopword, so an empty reference: 0.
    assertEquals("{\"task\":\"vqa\",\"accuracy\":0.5000,\"bleu\":0.5000,\"count\":2}", e.toJson());
    assertTrue(e.perCategory().isEmpty());
  }

  @Test
  void refusesAVqgGroundTruthOrSubmission() throws IOException {
    GroundTruth vqg =
        GroundTruth.read(new StringReader("i|what?\n"), "vqg.txt", GroundTruthFormat.VQG);
    Submission run = Submission.read(new StringReader("i|x\n"), "run.txt", Task.VQA);
    assertThrows(
        IllegalArgumentException.class,
        () -> new VqaEvaluator().evaluate(vqg, run, BleuMode.NLTK_3_2_2));
  }

  @Test
  void roundsLikePython() {
    // round(0.00005, 4) is 0.0001 in Python: the double is a hair above the tie.
    assertEquals("0.0001", Scores.format(0.00005));
    // 0.03125 is exact in binary, a true tie: half-even gives 0.0312.
    assertEquals("0.0312", Scores.format(0.03125));
    assertEquals("1.0000", Scores.format(1.0));
  }
}
