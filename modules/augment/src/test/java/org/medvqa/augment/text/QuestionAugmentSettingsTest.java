package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.medvqa.core.config.ConfigProblem;

class QuestionAugmentSettingsTest {
  @Test
  void theDocumentedDefaults() {
    QuestionAugmentSettings s = QuestionAugmentSettings.defaults();
    assertEquals(5, s.variants());
    assertEquals(Mode.ONE, s.mode());
    assertEquals(Set.of("NOUN", "ADJ", "VERB"), s.tags());
    assertTrue(s.protectedWords().containsAll(Set.of("plane", "modality", "organ", "abnormal")));
    assertTrue(s.samePos() && s.distinctStem() && s.distinctLemma() && s.keepCategory());
    VectorSettings v = VectorSettings.from(ConfigFactory.empty());
    assertEquals(VectorFormat.COMPACT, v.format());
    assertEquals("", v.path());
  }

  @Test
  void aBadValueIsRefusedWithItsKey() {
    assertMessage("mode = some", "medvqa.augment.questions.mode");
    assertMessage("variants = 0", "medvqa.augment.questions.variants");
    assertMessage("min-similarity = 2", "medvqa.augment.questions.min-similarity");
    assertMessage("neighbours = 20, search-depth = 10", "medvqa.augment.questions.search-depth");
    assertMessage("word-pattern = \"[a-\"", "medvqa.augment.questions.word-pattern");
    assertMessage("tags = []", "medvqa.augment.questions.tags");
    assertMessage("models.pos = \"\"", "medvqa.augment.questions.models.pos");
    ConfigException wrongType =
        assertThrows(ConfigException.class, () -> TestSpaces.settings("variants = many"));
    assertTrue(wrongType.getMessage().contains("variants"), wrongType.getMessage());
    ConfigProblem format =
        assertThrows(
            ConfigProblem.class,
            () -> VectorSettings.from(ConfigFactory.parseString("medvqa.vectors.format = glove")));
    assertTrue(format.getMessage().contains("medvqa.vectors.format"), format.getMessage());
  }

  private static void assertMessage(String overrides, String key) {
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> TestSpaces.settings(overrides));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void protectedWordsAndStopwordsAreLowerCase() {
    QuestionAugmentSettings s =
        TestSpaces.settings("protected = [Liver], extra-stopwords = [Image]");
    CandidateFilter f = new CandidateFilter(s);
    assertTrue(f.isProtected("liver") && f.isProtected("LIVER"));
    assertTrue(f.isStopword("image") && f.isStopword("the"));
    assertEquals(179, Stopwords.english().size());
  }
}
