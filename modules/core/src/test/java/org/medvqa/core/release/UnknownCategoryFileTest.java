package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Category;

/**
 * A 2019 category file of a category other than the four ({@code C5_Colour_train.txt}) is read as a
 * category file, and each of its lines is rejected naming the category, instead of being read as a
 * file of uncategorised pairs (whose lines would be kept with an inferred category, or rejected as
 * duplicates of the main file's pairs for no stated reason).
 */
class UnknownCategoryFileTest {
  @Test
  void unknownCategoryFileIsACategoryFileWhoseLinesAreRejected() {
    String r = "file:/d/ImageClef_2019_Training/";
    Map<String, String> files =
        Map.of(
            r + "All_QA_Pairs_train.txt", "synpic1|what is shown?|ct",
            r + "QAPairsByCategory/C1_Modality_train.txt", "synpic1|what is shown?|ct",
            r + "QAPairsByCategory/C5_Colour_train.txt", "synpic1|what colour is it?|grey");
    ReleaseLayout.Plan p =
        ReleaseLayout.detect(
            List.copyOf(files.keySet()),
            List.of(r + "Train_images"),
            ReleaseLayoutTest.linesOf(files),
            null);
    TextSource colour =
        p.sources().stream()
            .filter(s -> s.fileName().equals("C5_Colour_train.txt"))
            .findFirst()
            .orElseThrow();
    assertEquals(TextFormat.CATEGORY_QA, colour.format());
    assertNull(colour.category());
    assertEquals(r + "Train_images", colour.imageDir());
    TextSource modality =
        p.sources().stream()
            .filter(s -> s.fileName().equals("C1_Modality_train.txt"))
            .findFirst()
            .orElseThrow();
    assertEquals(Category.MODALITY, modality.category());

    LineParser.Result bad = LineParser.parse("synpic1|what colour is it?|grey", colour);
    assertTrue(bad.isRejected());
    assertEquals(
        "unknown category 'Colour' in the name of C5_Colour_train.txt (expected modality, plane,"
            + " organ or abnormality)",
        bad.reason());
    // The known categories' files are unchanged.
    assertEquals(
        Category.MODALITY,
        LineParser.parse("synpic1|what is shown?|ct", modality).records().get(0).category());
  }

  @Test
  void categoryWordOfAFileName() {
    assertEquals("Colour", ReleaseLayout.categoryInFileName("C5_Colour_train.txt"));
    assertEquals("Modality", ReleaseLayout.categoryInFileName("C1_Modality_val.txt"));
    assertNull(ReleaseLayout.categoryInFileName("All_QA_Pairs_train.txt"));
  }
}
