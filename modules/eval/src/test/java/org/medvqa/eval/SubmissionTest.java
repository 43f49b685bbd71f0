package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubmissionTest {

  private static GroundTruth gt() throws IOException {
    return GroundTruth.read(
        new StringReader("a|yes\nb|no\nc|axial\nd|ct\n"), "gt.txt", GroundTruthFormat.VQA_2021);
  }

  @Test
  void reportsEveryProblemWithItsLine() throws IOException {
    Submission s =
        Submission.read(
            new StringReader("a|yes\nb|no|extra\nx|maybe\na|again\nc|   \n\n"),
            "run.txt",
            Task.VQA);
    List<Problem> problems = s.validate(gt());
    assertEquals(
        List.of(
            new Problem(2, "expected 2 fields, <id>|<answer>, found 3 fields"),
            new Problem(3, "id 'x' is not in the ground truth"),
            new Problem(4, "id 'a' appears again (first on line 1)"),
            new Problem(5, "empty answer"),
            new Problem(6, "expected 2 fields, <id>|<answer>, found a blank line"),
            new Problem(0, "no line for id 'd' (gt.txt line 4)")),
        problems);
  }

  @Test
  void evaluationRefusesAnInvalidSubmission() throws IOException {
    Submission s = Submission.read(new StringReader("a|yes\n"), "run.txt", Task.VQA);
    InvalidSubmissionException e =
        assertThrows(
            InvalidSubmissionException.class,
            () -> new VqaEvaluator().evaluate(gt(), s, BleuMode.NLTK_3_2_2));
    assertEquals(3, e.problems().size());
    assertTrue(e.getMessage().startsWith("submission run.txt has 3 problems:"), e.getMessage());
    assertTrue(e.getMessage().contains("no line for id 'b'"), e.getMessage());
  }

  @Test
  void aValidSubmissionHasNoProblems() throws IOException {
    Submission s =
        Submission.read(new StringReader("d| CT \nc|axial\nb|no\na|yes"), "run.txt", Task.VQA);
    assertEquals(List.of(), s.validate(gt()));
    assertEquals(List.of("CT"), s.texts("d")); // stripped, as the official reader does
  }

  @Test
  void vqgLinesNeedAnIdAndAtLeastOneQuestion() throws IOException {
    GroundTruth gt =
        GroundTruth.read(
            new StringReader("i1|what is shown?\ni2|is it normal?\ni3|where?\n"),
            "vqg.txt",
            GroundTruthFormat.VQG);
    Submission s =
        Submission.read(
            new StringReader("i1\ni2| | \ni3|where is it?||which side?\n"), "q.txt", Task.VQG);
    assertEquals(
        List.of(
            new Problem(
                1, "expected at least 2 fields, <id>|<question>[|<question>…], found 1 field"),
            new Problem(2, "no question")),
        s.validate(gt));
    assertEquals(List.of("where is it?", "", "which side?"), s.texts("i3"));
  }
}
