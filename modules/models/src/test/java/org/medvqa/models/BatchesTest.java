package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchesTest {
  private static Example example(String category, String... answers) {
    return new Example("s", "img", category, new float[] {0f}, "q?", List.of(answers));
  }

  @Test
  void accuracyWithinEachCategoryComparesAnswersTrimmedAndLowerCased() {
    List<Example> examples =
        List.of(
            example("plane", "axial"),
            example("closed", "yes"),
            example("plane", "coronal", "frontal"),
            example("closed", "no"),
            example("plane", "sagittal"));
    List<List<String>> predicted =
        List.of(
            List.of(" Axial"),
            List.of("yes"),
            List.of("frontal"),
            List.of("yes"),
            List.of("axial"));
    Map<String, Double> by = Batches.accuracyByCategory(predicted, examples);
    assertEquals(List.of("accuracy_closed", "accuracy_plane"), List.copyOf(by.keySet()));
    assertEquals(0.5, by.get("accuracy_closed"), 0);
    assertEquals(2.0 / 3, by.get("accuracy_plane"), 1e-12);
    assertEquals(3.0 / 5, Batches.accuracy(predicted, examples), 1e-12);
    assertTrue(Batches.accuracyByCategory(List.of(), List.of()).isEmpty());
  }
}
