package org.medvqa.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VocabularyTest {
  @Test
  void tokenRules() {
    assertEquals(List.of("ct", "w/contrast", "(iv)"), Tokens.words("  CT w/contrast (iv) "));
    assertEquals(
        List.of("what", "is", "the", "mri", "?"), Tokens.wordsAndMarks("What is the MRI?"));
    assertEquals(List.of("t2", "-", "flair"), Tokens.wordsAndMarks("t2-flair"));
  }

  @Test
  void reservedFirstThenByCountThenToken() {
    Vocabulary v = Vocabulary.fromCounts(Map.of("b", 2L, "a", 2L, "c", 5L, "rare", 1L), 2);
    assertEquals(List.of("<pad>", "<s>", "</s>", "<unk>", "c", "a", "b"), v.tokens());
    assertEquals(Vocabulary.UNKNOWN_ID, v.id("rare"));
    assertEquals(Vocabulary.UNKNOWN_ID, v.id("never"));
    assertEquals(List.of("c", "a"), v.decode(new int[] {1, 4, 5, 2, 6}));
    int[] enc = v.encode(List.of("a", "b", "c"), 5);
    assertEquals(List.of(5, 6, 4, 0, 0), java.util.Arrays.stream(enc).boxed().toList());
  }

  @Test
  void jsonRoundTrip() {
    Vocabulary v = Vocabulary.build(List.of(List.of("x", "y", "x")), 1);
    Vocabulary w = Vocabulary.fromJson(v.toJson());
    assertEquals(v.tokens(), w.tokens());
    assertEquals(2, w.count("x"));
  }

  @Test
  void refusesReservedTokensInData() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Vocabulary.fromCounts(Map.of("<unk>", 3L), 1));
    assertEquals("the training text contains the reserved token '<unk>'", e.getMessage());
  }
}
