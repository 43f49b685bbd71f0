package org.medvqa.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void referenceDefaults() {
    assertEquals(
        new SyntheticRelease.Settings(42, 240, 40, 60, 128, 0.25, 0.9, 0.25),
        SyntheticRelease.Settings.defaults());
  }

  @Test
  void overridesComeFromTheApplicationConfig() {
    var config =
        ConfigFactory.parseString("medvqa.synth { seed = 7, image-size = 64, test-images = 8 }")
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    config.checkValid(ConfigFactory.defaultReference(), "medvqa.synth");
    var settings = SyntheticRelease.Settings.fromConfig(config.getConfig("medvqa.synth"));
    assertEquals(7, settings.seed());
    assertEquals(64, settings.imageSize());
    assertEquals(8, settings.testImages());
    assertEquals(240, settings.trainImages());
    assertEquals(settings, SyntheticRelease.fromConfig(config).settings());
  }

  @Test
  void aMistypedValueFailsValidation() {
    var object =
        ConfigFactory.parseString("medvqa.synth.image-size { width = 128 }")
            .withFallback(ConfigFactory.defaultReference());
    assertThrows(ConfigException.ValidationFailed.class, () -> SyntheticRelease.fromConfig(object));
    // checkValid lets strings through (they might parse as numbers); reading them then fails.
    var text =
        ConfigFactory.parseString("medvqa.synth.seed = forty-two")
            .withFallback(ConfigFactory.defaultReference());
    assertThrows(ConfigException.class, () -> SyntheticRelease.fromConfig(text));
  }

  @Test
  void valuesOutOfRangeAreRejected() {
    var d = SyntheticRelease.Settings.defaults();
    assertThrows(IllegalArgumentException.class, () -> d.withCounts(-1, 1, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SyntheticRelease.Settings(1, 1, 1, 1, 8, 0.25, 0.9, 0.25));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SyntheticRelease.Settings(1, 1, 1, 1, 128, 1.5, 0.9, 0.25));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SyntheticRelease.Settings(1, 1, 1, 1, 128, 0.25, 0, 0.25));
  }

  @Test
  void answerSetsAreExposed() {
    assertEquals(List.of("modality", "plane", "organ", "abnormality"), SyntheticRelease.CATEGORIES);
    assertEquals(List.of("axial", "sagittal", "coronal"), SyntheticRelease.PLANE_ANSWERS);
    assertEquals(4, SyntheticRelease.MODALITY_ANSWERS.size());
    assertEquals(4, SyntheticRelease.ORGAN_ANSWERS.size());
    assertEquals(
        List.of("cyst", "mass", "fracture", "calcification", "yes", "no"),
        SyntheticRelease.answers("abnormality"));
    assertThrows(IllegalArgumentException.class, () -> SyntheticRelease.answers("colour"));
  }
}
