package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medvqa.core.QuestionForm;

class ErrorAnalysisTest {

  private static final String GT =
      "a1|abnormality|what is abnormal?|pneumonia\n"
          + "a2|abnormality|what is abnormal?|sarcoidosis\n"
          + "a3|abnormality|what is the primary abnormality?|Rare Tumour.\n"
          + "a4|abnormality|is this image normal?|no\n"
          + "p1|plane|in which plane is the image taken?|axial\n"
          + "p2|plane|in which plane is the image taken?|coronal#oblique\n";

  private static final String RUN =
      "a1|pneumonia\na2|pneumonia\na3|pneumonia\na4|no\np1|sagittal\np2|oblique\n";

  private static ErrorAnalysis analyse(SeenAnswers seen) throws IOException {
    GroundTruth gt = GroundTruth.read(new StringReader(GT), "gt.txt", GroundTruthFormat.AUTO);
    Submission run = Submission.read(new StringReader(RUN), "run.txt", Task.VQA);
    return ErrorAnalysis.of(gt, new VqaEvaluator().evaluate(gt, run, BleuMode.NLTK_3_2_2), seen);
  }

  private static ErrorAnalysis.Group group(ErrorAnalysis a, String category, QuestionForm form) {
    return a.groups().stream()
        .filter(g -> g.category().equals(category) && g.form() == form)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void groupsCountTheirQuestionsWhoseReferenceWasSeenInTraining() throws IOException {
    // "rare tumour" normalises like the reference "Rare Tumour."; sarcoidosis was not seen.
    ErrorAnalysis a = analyse(SeenAnswers.of(List.of("Pneumonia", "rare tumour", "no", "oblique")));
    ErrorAnalysis.Group open = group(a, "abnormality", QuestionForm.OPEN);
    assertEquals(3, open.count());
    assertEquals(1, open.correct());
    assertEquals(2, open.seen(), "pneumonia and rare tumour, not sarcoidosis");
    assertEquals(2.0 / 3, open.seenShare(), 1e-12);
    assertEquals(1, group(a, "abnormality", QuestionForm.YES_NO).seen());
    // p2's second reference (oblique) was seen: one reference is enough, as for accuracy; p1's
    // axial was not.
    ErrorAnalysis.Group plane = group(a, "plane", QuestionForm.OPEN);
    assertEquals(1, plane.seen());
    assertEquals(1, plane.correct());
    String table = a.toString();
    assertTrue(table.lines().findFirst().orElseThrow().contains(" seen "), table);
    assertTrue(table.contains("abnormality  open         3   0.3333   0.6667"), table);
    assertTrue(table.contains("plane        open         2   0.5000   0.5000"), table);
    assertTrue(table.contains("references seen in training: 4 of 6 questions (0.6667)"), table);
  }

  @Test
  void withoutSeenAnswersNothingIsCounted() throws IOException {
    ErrorAnalysis a = analyse(null);
    assertEquals(-1, group(a, "plane", QuestionForm.OPEN).seen());
    assertTrue(Double.isNaN(group(a, "plane", QuestionForm.OPEN).seenShare()));
    assertFalse(a.toString().contains("seen"), a.toString());
  }

  @Test
  void theFileHasOneAnswerPerLineNormalisedAsAccuracyIs() throws IOException {
    String text = "axial\nLeft Lower-Lobe Pneumonia\nCT.\n";
    SeenAnswers s =
        SeenAnswers.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    assertEquals(3, s.size());
    assertTrue(s.contains("AXIAL"));
    assertTrue(s.contains("left lower lobe pneumonia"));
    assertTrue(s.contains("ct"));
    assertFalse(s.contains("coronal"));
  }
}
