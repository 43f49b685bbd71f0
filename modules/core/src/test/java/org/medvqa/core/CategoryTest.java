package org.medvqa.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class CategoryTest {
  @Test
  void infersFromKeywords() {
    assertEquals(Category.PLANE, Category.infer("in what plane is this mri taken?"));
    assertEquals(Category.ORGAN, Category.infer("what organ system is shown in this ct scan?"));
    assertEquals(Category.ABNORMALITY, Category.infer("what is abnormal in the x-ray?"));
    assertEquals(Category.MODALITY, Category.infer("was the mri taken with contrast?"));
    assertEquals(Category.MODALITY, Category.infer("what kind of image is this?"));
    assertEquals(Category.ABNORMALITY, Category.infer("what is going on here?"));
  }

  @Test
  void parsesNames() {
    assertEquals(Category.MODALITY, Category.fromName("C1_Modality"));
    assertEquals(Category.ORGAN, Category.fromName(" Organ "));
    assertEquals(null, Category.fromNameOrNull("colour"));
  }

  /** Inference measured against the category files of the real 2019 training set. */
  @Test
  void inferenceOnReal2019Questions() throws IOException {
    Path dir = TestData.vqaMed2019().resolve("ImageClef_2019_Training/QAPairsByCategory");
    Requirements.require(
        Files.isDirectory(dir), "real VQA-Med 2019 data not found at " + dir + "; skipped");
    int total = 0;
    int right = 0;
    for (Category c : Category.values()) {
      String name =
          "C"
              + (c.ordinal() + 1)
              + "_"
              + c.label().substring(0, 1).toUpperCase(Locale.ROOT)
              + c.label().substring(1)
              + "_train.txt";
      List<String> lines = Files.readAllLines(dir.resolve(name), StandardCharsets.UTF_8);
      int ok = 0;
      for (String l : lines) {
        if (Category.infer(l.split("\\|")[1]) == c) {
          ok++;
        }
      }
      System.out.printf(
          Locale.ROOT,
          "category inference %-12s %5d/%5d = %.4f%n",
          c.label(),
          ok,
          lines.size(),
          (double) ok / lines.size());
      total += lines.size();
      right += ok;
    }
    double acc = (double) right / total;
    System.out.printf(Locale.ROOT, "category inference overall %d/%d = %.4f%n", right, total, acc);
    assertEquals(12792, total);
    assertTrue(acc > 0.97, "category inference accuracy " + acc);
  }
}
