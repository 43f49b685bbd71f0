package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.io.HadoopFiles;

class ModelKindsTest {

  @Test
  void registryListsEveryKindInItsOrder() {
    assertEquals(
        List.of(
            "majority",
            "classifier",
            "qaware",
            "hybrid",
            "classifier-finetune",
            "vae-vqa",
            "vae-vqg"),
        ModelKinds.names());
    assertEquals(ModelKinds.names().subList(1, 7), ModelKinds.NAMES);
    assertTrue(ModelKinds.generatesQuestions("vae-vqg"));
    assertFalse(ModelKinds.generatesQuestions("vae-vqa"));
    assertEquals(ModelKind.Input.NONE, ModelKinds.get("majority").input());
    assertEquals(ModelKind.Input.PIXELS, ModelKinds.get("classifier-finetune").input());
    assertEquals(ModelKind.Input.FEATURES, ModelKinds.get("qaware").input());
    assertThrows(IllegalArgumentException.class, () -> ModelKinds.get("svm"));
  }

  @Test
  void majorityModelWritesAndReadsItsFolder(@TempDir java.nio.file.Path dir) throws Exception {
    HadoopFiles files = new HadoopFiles(new Configuration());
    MajorityKind kind = (MajorityKind) ModelKinds.get("majority");
    TrainedModel m =
        kind.fit(Map.of("plane", Map.of("axial", 3L, "coronal", 1L), "organ", Map.of("lung", 2L)));
    Path folder = new Path(dir.toUri());
    m.write(files, folder);
    assertTrue(Files.exists(dir.resolve("model.json")));
    TrainedModel back = TrainedModel.read(files, folder);
    assertEquals("majority", back.kind().name());
    Example q = new Example("s1", "i1", "plane", null, "which plane?", List.of());
    Example unseen = new Example("s2", "i2", "modality", null, "which modality?", List.of());
    assertEquals(List.of(List.of("axial"), List.of("axial")), back.predict(List.of(q, unseen)));
  }

  @Test
  void aFolderWithoutAModelIsNamed(@TempDir java.nio.file.Path dir) {
    HadoopFiles files = new HadoopFiles(new Configuration());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TrainedModel.read(files, new Path(dir.toUri())));
    assertTrue(e.getMessage().contains("neither model.json nor spec.json"), e.getMessage());
  }
}
