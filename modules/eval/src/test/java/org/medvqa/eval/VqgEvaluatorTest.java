package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class VqgEvaluatorTest {

  private static final String GT =
      "img1|what is shown?|which organ is this?\n" + "img2|is there a fracture in the femur?\n";

  private static VqgEvaluation evaluate(String run, BleuMode mode) throws IOException {
    GroundTruth gt = GroundTruth.read(new StringReader(GT), "vqg.txt", GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.VQG, gt.format());
    return new VqgEvaluator()
        .evaluate(gt, Submission.read(new StringReader(run), "q.txt", Task.VQG), mode);
  }

  @Test
  void takesTheBestPairPerImage() throws IOException {
    // img1: references [shown] and [organ]; generated "what organ is shown?" = [organ, shown] and
    // "how big is it?" = [big]. Best pair: p1 = 1/2, p2 = 0/1 stops -> 0.5^0.25, c > r so no BP.
    // img2: [fractur, femur] generated exactly -> 1.
    VqgEvaluation e =
        evaluate(
            "img1|how big is it?|what organ is shown?\nimg2|Is there a fracture in the femur?\n",
            BleuMode.NLTK_3_2_2);
    assertEquals(Math.pow(0.5, 0.25), e.items().get(0).bleu(), 1e-15);
    assertEquals(1.0, e.items().get(1).bleu());
    assertEquals((Math.pow(0.5, 0.25) + 1) / 2, e.bleu(), 1e-15);
    assertEquals(2, e.count());
    assertEquals("bleu=0.9204", e.toString());
    assertEquals("{\"task\":\"vqg\",\"bleu\":0.9204,\"count\":2}", e.toJson());
  }

  @Test
  void nltk34NeedsFourGramsToScore() throws IOException {
    VqgEvaluation e =
        evaluate(
            "img1|what organ is shown?\nimg2|is there a fracture in the femur?\n",
            BleuMode.NLTK_3_4);
    assertTrue(e.bleu() < 1e-70);
  }

  @Test
  void refusesMissingImages() {
    InvalidSubmissionException ex =
        assertThrows(
            InvalidSubmissionException.class,
            () -> evaluate("img1|what is shown?\n", BleuMode.NLTK_3_2_2));
    assertEquals(1, ex.problems().size());
    assertEquals(0, ex.problems().get(0).line());
  }
}
