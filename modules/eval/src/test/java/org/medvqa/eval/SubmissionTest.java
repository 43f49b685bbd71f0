package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
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

  /** As strict as ingest: bytes that are not UTF-8 are refused, never scored as U+FFFD. */
  @Test
  void bytesThatAreNotUtf8AreRefusedNamingTheLine() {
    byte[] latin1 = {'a', '|', 'y', 'e', 's', '\n', 'b', '|', 'n', (byte) 0xE9, '\n'};
    EvalInputException e =
        assertThrows(
            EvalInputException.class,
            () -> Submission.read(new ByteArrayInputStream(latin1), "run.txt", Task.VQA));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("not UTF-8: invalid byte 0xE9"), e.getMessage());
    EvalInputException g =
        assertThrows(
            EvalInputException.class,
            () ->
                GroundTruth.read(
                    new ByteArrayInputStream(latin1), "gt.txt", GroundTruthFormat.VQA_2021));
    assertTrue(g.getMessage().startsWith("gt.txt:2: not UTF-8"), g.getMessage());
  }

  /** A binary file: one line naming it, not its bytes echoed as ids. */
  @Test
  void aBinaryFileIsRefusedInOneLine() {
    byte[] binary = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    EvalInputException e =
        assertThrows(
            EvalInputException.class,
            () -> Submission.read(new ByteArrayInputStream(binary), "run.png", Task.VQA));
    assertTrue(e.getMessage().startsWith("run.png:1: not UTF-8"), e.getMessage());
    EvalInputException zeros =
        assertThrows(
            EvalInputException.class,
            () -> Submission.read(new ByteArrayInputStream(new byte[64]), "zeros", Task.VQA));
    assertTrue(zeros.getMessage().contains("not a text file: control character 0x00"));
    assertFalse(zeros.getMessage().contains("\0"));
  }

  /** An empty submission says so once, instead of once per ground-truth item. */
  @Test
  void anEmptySubmissionSaysItIsEmpty() throws IOException {
    for (String text : List.of("", "\n\n")) {
      Submission s =
          Submission.read(
              new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "run.txt", Task.VQA);
      List<Problem> problems = s.validate(gt());
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(
          problems.get(0).message().startsWith("the submission is empty"), problems.toString());
      assertTrue(problems.get(0).message().contains("4 items of gt.txt"), problems.toString());
    }
  }
}
