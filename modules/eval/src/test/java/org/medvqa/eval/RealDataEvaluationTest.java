package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Requirements;

/** The real 2019 test file, read and scored end to end (skips without the shared data). */
class RealDataEvaluationTest {

  private static GroundTruth test2019() throws IOException {
    Path file =
        Path.of(
            System.getProperty("medvqa.shared.data", "../../../shared/data"),
            "vqa-med-2019",
            "VQAMed2019_Test_Questions_w_Ref_Answers.txt");
    Requirements.require(
        Files.isRegularFile(file), "no " + file + ": skipping the real-data evaluation");
    return GroundTruth.read(file, GroundTruthFormat.AUTO);
  }

  @Test
  void theReferenceAnswersScorePerfectlyIn322() throws IOException {
    GroundTruth gt = test2019();
    assertEquals(GroundTruthFormat.TEST_2019, gt.format());
    assertEquals(500, gt.size());
    StringBuilder run = new StringBuilder();
    for (GroundTruth.Item item : gt.items()) {
      run.append(item.id()).append('|').append(item.references().get(0)).append('\n');
    }
    Submission submission = Submission.read(new StringReader(run.toString()), "refs", Task.VQA);
    VqaEvaluation e = new VqaEvaluator().evaluate(gt, submission, BleuMode.NLTK_3_2_2);
    assertEquals("accuracy=1.0000 bleu=1.0000", e.toString());
    assertEquals(4, e.perCategory().size());
    e.perCategory().values().forEach(c -> assertEquals(125, c.count()));

    // Under 3.4 the same answers lose everything shorter than four tokens.
    VqaEvaluation v34 = new VqaEvaluator().evaluate(gt, submission, BleuMode.NLTK_3_4);
    assertEquals(1.0, v34.accuracy());
    assertTrue(v34.bleu() < 0.2, v34::toString);
  }

  @Test
  void aConstantAnswerScoresItsShare() throws IOException {
    GroundTruth gt = test2019();
    StringBuilder run = new StringBuilder();
    for (GroundTruth.Item item : gt.items()) {
      run.append(item.id()).append("|axial\n");
    }
    VqaEvaluation e =
        new VqaEvaluator()
            .evaluate(
                gt,
                Submission.read(new StringReader(run.toString()), "axial", Task.VQA),
                BleuMode.NLTK_3_2_2);
    long axial = gt.items().stream().filter(i -> i.references().contains("axial")).count();
    assertEquals(axial / 500.0, e.accuracy());
    assertEquals(e.accuracy(), e.perCategory().get("plane").accuracy() * 125 / 500, 1e-12);
  }
}
