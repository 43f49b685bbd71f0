package org.medvqa.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence BLEU with one reference, weights (0.25, 0.25, 0.25, 0.25) and no smoothing, as NLTK's
 * {@code sentence_bleu([reference], hypothesis)} computes it in the given {@link BleuMode}, plus
 * the evaluators' rule that two empty token lists score 1.
 *
 * <p>For n = 1..4 the modified precision is the clipped n-gram matches over max(1, hypothesis
 * n-grams). With no unigram match the score is 0. {@link BleuMode#NLTK_3_2_2} then sums 0.25·log
 * p<sub>n</sub> over the orders before the first one without a match; {@link BleuMode#NLTK_3_4}
 * sums all four, an order without a match counting as {@link Double#MIN_NORMAL} (Python's {@code
 * sys.float_info.min}). The sum is exact (like {@code math.fsum}) before {@code exp}, and is
 * multiplied by the brevity penalty exp(1 − r/c) when c ≤ r, r the reference length and c the
 * hypothesis length.
 *
 * <p>Stateless and thread-safe.
 */
public final class SentenceBleu {

  private static final int MAX_ORDER = 4;
  private static final double WEIGHT = 0.25;

  /** Beyond this many n-grams the quadratic counting gives way to hashing. */
  private static final int QUADRATIC_LIMIT = 64;

  private SentenceBleu() {}

  /** BLEU of one hypothesis against one reference. */
  public static double score(List<String> reference, List<String> hypothesis, BleuMode mode) {
    int c = hypothesis.size();
    int r = reference.size();
    if (c == 0 && r == 0) {
      return 1.0;
    }
    if (c == 0) {
      return 0.0;
    }
    double[] terms = new double[MAX_ORDER];
    int count = 0;
    for (int n = 1; n <= MAX_ORDER; n++) {
      int matches = clippedMatches(reference, hypothesis, n);
      if (matches == 0) {
        if (n == 1) {
          return 0.0;
        }
        if (mode == BleuMode.NLTK_3_2_2) {
          break;
        }
        terms[count++] = WEIGHT * Math.log(Double.MIN_NORMAL);
      } else {
        int total = Math.max(1, c - n + 1);
        terms[count++] = WEIGHT * Math.log((double) matches / total);
      }
    }
    double brevity = c > r ? 1.0 : Math.exp(1.0 - (double) r / c);
    return brevity * Math.exp(exactSum(terms, count));
  }

  /** The best score over several references, each scored on its own (0 when there are none). */
  public static double maxOverReferences(
      List<List<String>> references, List<String> hypothesis, BleuMode mode) {
    double best = 0.0;
    for (List<String> reference : references) {
      best = Math.max(best, score(reference, hypothesis, mode));
    }
    return best;
  }

  /** The sum over distinct hypothesis n-grams of min(count in hypothesis, count in reference). */
  static int clippedMatches(List<String> reference, List<String> hypothesis, int n) {
    int h = hypothesis.size() - n + 1;
    int r = reference.size() - n + 1;
    if (h <= 0 || r <= 0) {
      return 0;
    }
    if (h > QUADRATIC_LIMIT || r > QUADRATIC_LIMIT) {
      return clippedMatchesHashed(reference, hypothesis, n);
    }
    int sum = 0;
    next:
    for (int i = 0; i < h; i++) {
      for (int k = 0; k < i; k++) {
        if (sameGram(hypothesis, k, hypothesis, i, n)) {
          continue next; // this n-gram was counted at its first occurrence
        }
      }
      int inHypothesis = 1;
      for (int k = i + 1; k < h; k++) {
        if (sameGram(hypothesis, k, hypothesis, i, n)) {
          inHypothesis++;
        }
      }
      int inReference = 0;
      for (int k = 0; k < r && inReference < inHypothesis; k++) {
        if (sameGram(reference, k, hypothesis, i, n)) {
          inReference++;
        }
      }
      sum += inReference;
    }
    return sum;
  }

  private static int clippedMatchesHashed(List<String> reference, List<String> hypothesis, int n) {
    Map<List<String>, int[]> counts = new HashMap<>();
    for (int i = 0; i + n <= hypothesis.size(); i++) {
      counts.computeIfAbsent(hypothesis.subList(i, i + n), k -> new int[2])[0]++;
    }
    for (int i = 0; i + n <= reference.size(); i++) {
      int[] pair = counts.get(reference.subList(i, i + n));
      if (pair != null) {
        pair[1]++;
      }
    }
    int sum = 0;
    for (int[] pair : counts.values()) {
      sum += Math.min(pair[0], pair[1]);
    }
    return sum;
  }

  private static boolean sameGram(List<String> a, int i, List<String> b, int j, int n) {
    for (int k = 0; k < n; k++) {
      if (!a.get(i + k).equals(b.get(j + k))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The correctly rounded sum, as Python's {@code math.fsum}: Shewchuk's exact partial sums (the
   * terms here are at most four finite logarithms, so no overflow handling is needed).
   */
  static double exactSum(double[] values, int count) {
    double[] partials = new double[count];
    int size = 0;
    for (int v = 0; v < count; v++) {
      double x = values[v];
      int kept = 0;
      for (int p = 0; p < size; p++) {
        double y = partials[p];
        if (Math.abs(x) < Math.abs(y)) {
          double t = x;
          x = y;
          y = t;
        }
        double hi = x + y;
        double lo = y - (hi - x);
        if (lo != 0.0) {
          partials[kept++] = lo;
        }
        x = hi;
      }
      partials[kept] = x;
      size = kept + 1;
    }
    // Add the non-overlapping partials from the top, then correct the last rounding (half-even).
    if (size == 0) {
      return 0.0;
    }
    int top = size - 1;
    double hi = partials[top];
    double lo = 0.0;
    while (top > 0) {
      double x = hi;
      double y = partials[--top];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) {
        break;
      }
    }
    if (top > 0
        && ((lo < 0.0 && partials[top - 1] < 0.0) || (lo > 0.0 && partials[top - 1] > 0.0))) {
      double y = lo * 2.0;
      double x = hi + y;
      if (y == x - hi) {
        hi = x;
      }
    }
    return hi;
  }
}
