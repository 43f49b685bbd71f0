package org.medvqa.core.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MajorityBaselineTest {
  @Test
  void mostFrequentPerCategoryTiesAlphabeticalAndRoundTrip() {
    MajorityBaseline m =
        MajorityBaseline.fit(
            Map.of(
                "plane", Map.of("axial", 5L, "sagittal", 2L),
                "modality", Map.of("ct", 3L, "mr", 3L)));
    assertEquals("axial", m.predict("plane"));
    assertEquals("ct", m.predict("modality"));
    // Unseen category: the overall majority (axial 5 beats ct 3).
    assertEquals("axial", m.predict("organ"));
    assertEquals("axial", m.predict(null));
    MajorityBaseline back = MajorityBaseline.fromJson(m.toJson());
    assertEquals(m.answerByCategory(), back.answerByCategory());
    assertEquals(m.overall(), back.overall());
  }

  @Test
  void refusesEmptyDataAndForeignModelFiles() {
    assertThrows(IllegalArgumentException.class, () -> MajorityBaseline.fit(Map.of()));
    assertThrows(
        IllegalArgumentException.class, () -> MajorityBaseline.fromJson("{\"type\":\"vae\"}"));
  }
}
