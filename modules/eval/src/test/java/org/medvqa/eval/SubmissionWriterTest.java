package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubmissionWriterTest {

  @Test
  void vqaLinesAndTheirGroundTruthReadBack() throws IOException {
    StringWriter sub = new StringWriter();
    StringWriter gt = new StringWriter();
    SubmissionWriter w = new SubmissionWriter(Task.VQA, sub, gt);
    w.write("a", "plane", "which plane?", List.of("axial"), List.of("axial", "transverse"));
    w.write("b", "organ", "what organ?", List.of(), List.of());
    assertEquals("a|axial\nb|\n", sub.toString());
    assertEquals("a|plane|which plane?|axial#transverse\n", gt.toString());
    assertEquals(1, w.withReferences());
    GroundTruth truth =
        GroundTruth.read(new StringReader(gt.toString()), "gt", GroundTruthFormat.TEST_2019);
    assertEquals(1, truth.size());
  }

  @Test
  void vqgImageWithoutQuestionGetsAQuestionMark() throws IOException {
    StringWriter sub = new StringWriter();
    StringWriter gt = new StringWriter();
    SubmissionWriter w = new SubmissionWriter(Task.VQG, sub, gt);
    w.write("img1", "c", "q", List.of("is it?", "where?"), List.of("r1", "r2"));
    w.write("img2", "c", "q", List.of(), List.of());
    assertEquals("img1|is it?|where?\nimg2|?\n", sub.toString());
    assertEquals("img1|r1|r2\n", gt.toString());
    assertEquals(1, w.nothingGenerated());
    assertEquals(1, w.withReferences());
  }
}
