package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BleuTokenizerTest {

  private final BleuTokenizer v322 = new BleuTokenizer(BleuMode.NLTK_3_2_2);
  private final BleuTokenizer v34 = new BleuTokenizer(BleuMode.NLTK_3_4);

  @Test
  void stopwordListIsNltks179Words() {
    assertEquals(179, BleuTokenizer.stopwords().size());
    assertTrue(BleuTokenizer.stopwords().containsAll(List.of("i", "any", "no", "wouldn't")));
  }

  @Test
  void defaultModeIs322() {
    assertEquals(BleuMode.NLTK_3_2_2, new BleuTokenizer().mode());
  }

  @Test
  void lowerCasesDropsPunctuationStopwordsAndStems() {
    assertEquals(
        List.of("left", "lower", "lobe", "pneumonia"),
        v322.tokens("The LEFT lower lobe? No: pneumonia."));
    // "lower-lobe" loses its dash and becomes one word.
    assertEquals(List.of("lowerlob"), v322.tokens("lower-lobe"));
    assertEquals(List.of("15", "cm"), v322.tokens("1.5 cm"));
    assertEquals(List.of(), v322.tokens("Is it? No."));
  }

  @Test
  void splitsMacIntyreContractions() {
    assertEquals(
        List.of(
            "can", "not", "gon", "na", "got", "ta", "gim", "me", "lem", "me", "wan", "na", "go"),
        v322.words("Cannot, gonna gotta gimme lemme wanna go"));
    // Only whole runs of word characters.
    assertEquals(List.of("cannots", "xgonna"), v322.words("cannots xgonna"));
    // NLTK substitutes " can not ", so a quote stuck to the word is cut off too.
    assertEquals(List.of("‘", "can", "not", "’"), v322.words("‘cannot’"));
  }

  @Test
  void wannaWantsASpaceIn322AndAnyWhitespaceIn34() {
    assertEquals(List.of("i", "wan", "na"), v322.words("I wanna\n"));
    assertEquals(List.of("wanna", "go"), v322.words("wanna\tgo"));
    assertEquals(List.of("wan", "na", "go"), v34.words("wanna\tgo"));
    assertEquals(List.of("wanna’"), v322.words("wanna’"));
    assertEquals(List.of("wan", "na", "’"), v34.words("wanna’"));
  }

  @Test
  void curlyQuotesAreTokensOnlyIn34() {
    assertEquals(List.of("hodgkin’s", "lymphoma"), v322.words("hodgkin’s lymphoma"));
    assertEquals(List.of("hodgkin", "’", "s", "lymphoma"), v34.words("hodgkin’s lymphoma"));
    // 3.2.2: one token whose ’ the stemmer treats as an apostrophe; 3.4: "s" is a stopword.
    assertEquals(List.of("hodgkin", "lymphoma"), v322.tokens("Hodgkin’s lymphoma"));
    assertEquals(List.of("hodgkin", "’", "lymphoma"), v34.tokens("Hodgkin’s lymphoma"));
    assertEquals(List.of("„", "a", "“", "«", "b", "»"), v34.words("„a“ «b»"));
  }

  @Test
  void dashesAndNoBreakSpaces() {
    assertEquals(List.of("arnold–chiari", "malformation"), v34.words("arnold–chiari malformation"));
    assertEquals(List.of("patient", "a", "acute"), v322.words("patient a:\u00a0acute"));
    assertEquals(List.of("naïve", "café"), v322.words("Naïve Café"));
  }

  @Test
  void stemsLikeNltk() {
    assertEquals("ct", v322.stem("ct")); // two characters or fewer: unchanged
    assertEquals("’s", v322.stem("’s"));
    assertEquals("sky", v322.stem("skies")); // NLTK's special words
    assertEquals("content", v322.stem("contents"));
    assertEquals("hodgkin", v322.stem("hodgkin’s")); // ’ read as an apostrophe
  }

  @Test
  void keepsNltksOwnDeviationsFromSnowball() {
    // NLTK empties R2 after "ization" -> "ize" when R2 began inside the suffix; Snowball says
    // "realiz" for both.
    assertEquals("realize", v322.stem("realization"));
    assertEquals("realiz", v322.stem("realize"));
    assertEquals("foundate", v322.stem("foundationally"));
    // NLTK guesses R2 after "at" + e from the word length.
    assertEquals("bstat", v322.stem("bstated"));
    // NLTK has no exception2 step: a possessive of a special word goes through the algorithm.
    assertEquals("exce", v322.stem("exceed’s"));
    assertEquals("exceed", v322.stem("exceeds"));
  }
}
