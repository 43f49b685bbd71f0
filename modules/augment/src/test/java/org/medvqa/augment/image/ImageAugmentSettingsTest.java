package org.medvqa.augment.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.medvqa.core.config.ConfigProblem;

class ImageAugmentSettingsTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    ImageAugmentSettings s = ImageAugmentSettings.defaults();
    assertEquals(5, s.variants());
    assertEquals(List.of("train"), s.splits());
    assertEquals(0.10, s.shiftMaxFraction());
    assertEquals(15.0, s.rotateMaxDegrees());
    assertEquals(0.0, s.flipVertical());
    assertEquals(Set.of("left", "right"), s.lateralityWords());
    assertEquals(ImageFormat.JPEG, s.format());
    assertTrue(s.lateralitySkipFlips());
  }

  @Test
  void badValuesAreRefusedWithTheirKey() {
    ConfigProblem p =
        assertThrows(ConfigProblem.class, () -> TransformSamplerTest.settings("format = gif"));
    assertTrue(p.getMessage().contains("medvqa.augment.images.format"), p.getMessage());
    p =
        assertThrows(
            ConfigProblem.class, () -> TransformSamplerTest.settings("rotate.probability = 2"));
    assertTrue(p.getMessage().contains("rotate.probability"), p.getMessage());
    p =
        assertThrows(
            ConfigProblem.class,
            () -> TransformSamplerTest.settings("blur { min-sigma = 2, max-sigma = 1 }"));
    assertTrue(p.getMessage().contains("blur.max-sigma"), p.getMessage());
    p = assertThrows(ConfigProblem.class, () -> TransformSamplerTest.settings("variants = 0"));
    assertTrue(p.getMessage().contains("variants"), p.getMessage());
  }
}
