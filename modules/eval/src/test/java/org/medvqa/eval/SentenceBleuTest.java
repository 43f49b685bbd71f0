package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceBleuTest {

  private static final BleuMode V322 = BleuMode.NLTK_3_2_2;
  private static final BleuMode V34 = BleuMode.NLTK_3_4;

  private static List<String> t(String words) {
    return words.isEmpty() ? List.of() : List.of(words.split(" "));
  }

  @Test
  void exactShortAnswersScoreOneIn322() {
    // 1 word: p1 = 1/1, p2 = 0/max(1,0) ends the product: exp(0.25 log 1) = 1, c = r so BP = 1.
    assertEquals(1.0, SentenceBleu.score(t("pneumonia"), t("pneumonia"), V322));
    // 2 words: p1 = 2/2, p2 = 1/1, p3 = 0/1 stops; 3 words: p4 = 0/1 stops.
    assertEquals(1.0, SentenceBleu.score(t("axial plane"), t("axial plane"), V322));
    assertEquals(
        1.0, SentenceBleu.score(t("lung mediastinum pleura"), t("lung mediastinum pleura"), V322));
    // 4 words exact: all four precisions 1.
    assertEquals(1.0, SentenceBleu.score(t("a b c d"), t("a b c d"), V34));
  }

  @Test
  void unigramOnlyOverlap() {
    // p1 = 1/4, p2 = 0/3 stops: exp(0.25 log 0.25) = 0.25^0.25 = 1/sqrt(2); c = r = 4, BP = 1.
    assertEquals(
        0.7071067811865476,
        SentenceBleu.score(t("left lower lobe pneumonia"), t("left upper lung mass"), V322),
        1e-15);
  }

  @Test
  void brevityPenalty() {
    // p1 = 2/2, p2 = 1/1, p3 = 0/1 stops -> 1; c = 2 <= r = 4: BP = exp(1 - 4/2) = e^-1.
    assertEquals(Math.exp(-1), SentenceBleu.score(t("a b c d"), t("a b"), V322), 1e-15);
    // A longer hypothesis has no penalty: p1 = 2/3, p2 = 1/2, p3 = 0 stops.
    assertEquals(
        Math.exp(0.25 * Math.log(2.0 / 3) + 0.25 * Math.log(0.5)),
        SentenceBleu.score(t("a b"), t("a b x"), V322),
        1e-15);
  }

  @Test
  void emptySides() {
    assertEquals(0.0, SentenceBleu.score(t("yes"), t(""), V322)); // no unigram to match
    assertEquals(0.0, SentenceBleu.score(t(""), t("yes"), V322));
    assertEquals(1.0, SentenceBleu.score(t(""), t(""), V322)); // the evaluators' rule
    assertEquals(1.0, SentenceBleu.score(t(""), t(""), V34));
  }

  @Test
  void bestOverSeveralReferences() {
    // e^-1 against the first, 1 against the second.
    assertEquals(
        1.0, SentenceBleu.maxOverReferences(List.of(t("a b c d"), t("a b")), t("a b"), V322));
    assertEquals(0.0, SentenceBleu.maxOverReferences(List.of(), t("a"), V322));
  }

  @Test
  void clipsRepeatedWords() {
    // "the the the" against one "the": p1 = 1/3 (clipped), p2 = 0/2 stops: (1/3)^0.25, BP 1.
    assertEquals(
        Math.pow(1.0 / 3, 0.25), SentenceBleu.score(t("the cat"), t("the the the"), V322), 1e-15);
    assertEquals(1, SentenceBleu.clippedMatches(t("the cat"), t("the the the"), 1));
  }

  @Test
  void nltk34GivesAboutZeroWithoutA4GramMatch() {
    List<String> ref = t("a b c d e f g h");
    List<String> hyp = t("a b c x e f y h");
    // p1 = 6/8, p2 = 3/7 (ab bc ef), p3 = 1/6 (abc), p4 = 0/5; c = r = 8.
    double p = 0.75 * (3.0 / 7) * (1.0 / 6);
    assertEquals(Math.pow(p, 0.25), SentenceBleu.score(ref, hyp, V322), 1e-15);
    double v34 = SentenceBleu.score(ref, hyp, V34);
    // 3.4 puts sys.float_info.min in for p4: (p * 2.2250738585072014e-308)^0.25 ~ 6.5e-78.
    assertEquals(Math.exp(0.25 * (Math.log(p) + Math.log(Double.MIN_NORMAL))), v34, 1e-90);
    assertTrue(v34 > 0 && v34 < 1e-70);
    // And exact short answers are no longer 1 in 3.4.
    assertTrue(SentenceBleu.score(t("pneumonia"), t("pneumonia"), V34) < 1e-70);
  }

  @Test
  void longInputsUseHashedCountsWithTheSameResult() {
    StringBuilder ref = new StringBuilder();
    StringBuilder hyp = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      ref.append("w").append(i % 17).append(' ');
      hyp.append("w").append(i % 13).append(' ');
    }
    List<String> r = t(ref.toString().trim());
    List<String> h = t(hyp.toString().trim());
    for (int n = 1; n <= 4; n++) {
      int expected = 0;
      // Brute force: for each distinct n-gram, min of the two counts.
      java.util.Map<List<String>, int[]> counts = new java.util.HashMap<>();
      for (int i = 0; i + n <= h.size(); i++) {
        counts.computeIfAbsent(h.subList(i, i + n), k -> new int[2])[0]++;
      }
      for (int i = 0; i + n <= r.size(); i++) {
        int[] c = counts.get(r.subList(i, i + n));
        if (c != null) {
          c[1]++;
        }
      }
      for (int[] c : counts.values()) {
        expected += Math.min(c[0], c[1]);
      }
      assertEquals(expected, SentenceBleu.clippedMatches(r, h, n));
    }
  }

  @Test
  void exactSumIsCorrectlyRoundedLikeFsum() {
    assertEquals(
        0.6, SentenceBleu.exactSum(new double[] {0.1, 0.2, 0.3}, 3)); // naive: 0.6000000000000001
    assertEquals(1.0, SentenceBleu.exactSum(new double[] {1e100, 1.0, -1e100, 1e-100}, 4));
    assertEquals(0.0, SentenceBleu.exactSum(new double[0], 0));
  }
}
