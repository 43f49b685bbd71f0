package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class NeighbourSearchTest {
  @Test
  void findsTheKnownNearestWordsBestFirst() {
    WordVectors v = TestSpaces.anatomy();
    NeighbourSearch.Hit[] hits =
        NeighbourSearch.nearest(v, new int[] {v.indexOf("organ")}, 5, 1)[0];
    assertEquals(
        Arrays.asList("organs", "the", "plane", "liver", "kidney"),
        Arrays.stream(hits).map(h -> v.word(h.index())).toList());
    assertEquals(v.similarity("organ", "organs"), hits[0].similarity(), 1e-6);
    for (int i = 1; i < hits.length; i++) {
      assertTrue(hits[i - 1].similarity() >= hits[i].similarity());
    }
  }

  @Test
  void agreesWithBruteForceOnAnyNumberOfThreads() {
    Random r = new Random(7);
    int n = 3 * NeighbourSearch.BLOCK + 17;
    int d = 13;
    String[] words = IntStream.range(0, n).mapToObj(i -> "w" + i).toArray(String[]::new);
    float[] rows = new float[n * d];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) r.nextGaussian();
    }
    // Two identical rows: a tie, broken by the lower index.
    System.arraycopy(rows, 5 * d, rows, 9 * d, d);
    WordVectors v = WordVectors.of(words, rows, d, false, "random");
    int[] queries = {0, 5, 9, 1, 2, 3, n - 1};
    NeighbourSearch.Hit[][] one = NeighbourSearch.nearest(v, queries, 10, 1);
    NeighbourSearch.Hit[][] three = NeighbourSearch.nearest(v, queries, 10, 3);
    for (int qi = 0; qi < queries.length; qi++) {
      int q = queries[qi];
      Integer[] expected =
          IntStream.range(0, n)
              .filter(i -> i != q)
              .boxed()
              .sorted(
                  Comparator.<Integer>comparingDouble(i -> -dot(v, q, i))
                      .thenComparing(Comparator.naturalOrder()))
              .limit(10)
              .toArray(Integer[]::new);
      assertArrayEquals(expected, Arrays.stream(one[qi]).map(NeighbourSearch.Hit::index).toArray());
      assertArrayEquals(
          Arrays.stream(one[qi]).map(NeighbourSearch.Hit::index).toArray(),
          Arrays.stream(three[qi]).map(NeighbourSearch.Hit::index).toArray());
    }
    assertEquals(9, one[1][0].index(), "5 and 9 are the same vector");
    assertEquals(5, one[2][0].index());
  }

  private static double dot(WordVectors v, int a, int b) {
    // Recomputed the way the search does it (float sums in the same order) so ties stay ties.
    float s = 0;
    float[] x = v.vector(v.word(a));
    float[] y = v.vector(v.word(b));
    for (int k = 0; k < x.length; k++) {
      s += x[k] * y[k];
    }
    return s;
  }

  @Test
  void moreNeighboursAskedThanWordsAndNoQueries() {
    WordVectors v = TestSpaces.anatomy();
    assertEquals(v.size() - 1, NeighbourSearch.nearest(v, new int[] {0}, 1000, 2)[0].length);
    assertEquals(0, NeighbourSearch.nearest(v, new int[0], 5, 2).length);
  }
}
