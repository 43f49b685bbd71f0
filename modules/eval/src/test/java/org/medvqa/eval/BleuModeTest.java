package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.medvqa.core.config.ConfigProblem;

class BleuModeTest {

  @Test
  void parsesTheTwoNames() {
    assertEquals(BleuMode.NLTK_3_2_2, BleuMode.fromName("nltk-3.2.2"));
    assertEquals(BleuMode.NLTK_3_4, BleuMode.fromName(" NLTK-3.4 "));
    assertEquals("nltk-3.4", BleuMode.NLTK_3_4.label());
  }

  @Test
  void namesTheValidValuesOnError() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BleuMode.fromName("nltk-3.8"));
    assertTrue(e.getMessage().contains("nltk-3.2.2, nltk-3.4"), e.getMessage());
  }

  @Test
  void parsesTasksAndFormats() {
    assertEquals(Task.VQG, Task.fromName("vqg"));
    assertEquals(GroundTruthFormat.TEST_2019, GroundTruthFormat.fromName("2019-test"));
    assertEquals(GroundTruthFormat.VQA_2021, GroundTruthFormat.fromName("2021"));
    assertThrows(IllegalArgumentException.class, () -> Task.fromName("caption"));
    assertThrows(IllegalArgumentException.class, () -> GroundTruthFormat.fromName("2020"));
  }

  @Test
  void referenceConfHasTheDocumentedDefaultsAndRequiresThePaths() {
    var defaults = ConfigFactory.defaultReference();
    assertEquals("vqa", defaults.getString("medvqa.eval.task"));
    assertEquals("nltk-3.2.2", defaults.getString("medvqa.eval.bleu"));
    assertEquals("", defaults.getString("medvqa.eval.output"));
    assertThrows(ConfigProblem.class, () -> EvalSettings.from(defaults));

    var set =
        ConfigFactory.parseString(
                "medvqa.eval { ground-truth = gt.txt, submission = run.txt, bleu = nltk-3.4 }")
            .withFallback(defaults);
    EvalSettings s = EvalSettings.from(set);
    assertEquals(Task.VQA, s.task());
    assertEquals(BleuMode.NLTK_3_4, s.bleu());
    assertEquals(GroundTruthFormat.AUTO, s.groundTruthFormat());
    assertEquals("gt.txt", s.groundTruth());

    var bad = ConfigFactory.parseString("medvqa.eval.bleu = nltk-9").withFallback(set);
    assertThrows(ConfigProblem.class, () -> EvalSettings.from(bad));
  }
}
