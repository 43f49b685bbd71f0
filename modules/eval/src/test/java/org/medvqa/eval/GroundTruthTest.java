package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroundTruthTest {

  private static GroundTruth read(String text, GroundTruthFormat format) throws IOException {
    return GroundTruth.read(new StringReader(text), "gt.txt", format);
  }

  @Test
  void detects2019TestWithAlternativesBlankLinesAndBom() throws IOException {
    GroundTruth gt =
        read(
            "\uFEFFsynpic1|modality|what modality is shown?|cta - ct angiography\n"
                + "\n"
                + "synpic2|organ|what organ system is imaged?|face, sinuses, and neck#skull and contents\n",
            GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.TEST_2019, gt.format());
    assertTrue(gt.hasCategories());
    assertEquals(2, gt.size());
    GroundTruth.Item second = gt.items().get(1);
    assertEquals("synpic2", second.id());
    assertEquals("organ", second.category());
    assertEquals("what organ system is imaged?", second.question());
    assertEquals(List.of("face, sinuses, and neck", "skull and contents"), second.references());
    assertEquals(3, second.line());
    assertEquals("synpic1", gt.items().get(0).id()); // the byte-order mark is not part of the id
  }

  @Test
  void detectsQa2021AndVqg() throws IOException {
    GroundTruth qa =
        read("s1|is this an mri?|yes\ns2|what plane?|axial#coronal\n", GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.QA, qa.format());
    assertNull(qa.items().get(0).category());
    assertEquals(List.of("axial", "coronal"), qa.items().get(1).references());

    GroundTruth v2021 = read("s1|glioma|glioblastoma\ns2|meningioma\n", GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.VQA_2021, v2021.format());
    assertEquals(List.of("glioma", "glioblastoma"), v2021.items().get(0).references());
    assertNull(v2021.items().get(0).question());

    // What predict writes for a release of other categories (VQA-RAD's closed and open).
    GroundTruth rad =
        read(
            "s1|closed|is there a fracture?|yes\ns2|open|where is the lesion?|left lung\n",
            GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.TEST_2019, rad.format());
    assertEquals("open", rad.items().get(1).category());
    assertEquals(List.of("left lung"), rad.items().get(1).references());

    GroundTruth vqg =
        read(
            "img1|what is shown?|is this normal?\nimg2|where is the lesion?\n",
            GroundTruthFormat.AUTO);
    assertEquals(GroundTruthFormat.VQG, vqg.format());
    assertEquals(2, vqg.items().get(0).references().size());
  }

  @Test
  void aNamedFormatIsNotGuessed() throws IOException {
    // Would auto-detect as VQG; named 2021, the questions are taken as answers.
    GroundTruth gt = read("s1|what?|why?\n", GroundTruthFormat.VQA_2021);
    assertEquals(GroundTruthFormat.VQA_2021, gt.format());
    assertEquals(List.of("what?", "why?"), gt.items().get(0).references());
  }

  @Test
  void malformedLinesNameSourceAndLine() {
    EvalInputException e =
        assertThrows(
            EvalInputException.class,
            () ->
                read(
                    "s1|plane|which plane?|axial\n\ns2|plane|coronal\n",
                    GroundTruthFormat.TEST_2019));
    assertEquals(3, e.line());
    assertEquals("gt.txt", e.source());
    assertTrue(e.getMessage().startsWith("gt.txt:3: expected 4 fields"), e.getMessage());

    EvalInputException single =
        assertThrows(EvalInputException.class, () -> read("s1|a\ns2\n", GroundTruthFormat.AUTO));
    assertEquals(2, single.line());

    EvalInputException noRef =
        assertThrows(EvalInputException.class, () -> read("s1| # \n", GroundTruthFormat.QA));
    assertEquals(1, noRef.line());

    assertThrows(EvalInputException.class, () -> read("\n\n", GroundTruthFormat.AUTO));
  }

  @Test
  void duplicateIdsAreAnError() {
    EvalInputException e =
        assertThrows(
            EvalInputException.class, () -> read("s1|a\ns2|b\ns1|c\n", GroundTruthFormat.VQA_2021));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("first on line 1"), e.getMessage());
  }

  @Test
  void emptyAlternativesAreKeptBesideRealOnes() throws IOException {
    GroundTruth gt = read("s1|which?|yes##no\n", GroundTruthFormat.QA);
    assertEquals(List.of("yes", "", "no"), gt.items().get(0).references());
  }
}
