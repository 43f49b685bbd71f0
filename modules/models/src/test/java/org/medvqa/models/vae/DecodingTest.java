package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.medvqa.models.Example;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

/** Greedy and beam search on scripted distributions, and the decoder graph against training. */
class DecodingTest {
  private static final int END = Vocabulary.END_ID;
  private static final int V = 9;

  /**
   * Log-probabilities that depend on each row's whole prefix through {@code table} (prefix ->
   * distribution), or on a seeded hash of the prefix when the table has no entry.
   */
  static final class Scripted implements Decoding.Stepper {
    final List<List<Integer>> prefixes = new ArrayList<>();
    final Map<List<Integer>, double[]> table;
    final long seed;

    Scripted(int rows, Map<List<Integer>, double[]> table, long seed) {
      for (int r = 0; r < rows; r++) {
        prefixes.add(new ArrayList<>(List.of(r)));
      }
      this.table = table;
      this.seed = seed;
    }

    @Override
    public double[][] step(int[] previous) {
      double[][] out = new double[previous.length][];
      for (int r = 0; r < previous.length; r++) {
        List<Integer> p = prefixes.get(r);
        p.add(previous[r]);
        double[] probs = table.get(p.subList(1, p.size()));
        if (probs == null) {
          Random rnd = new Random(seed * 1_000_003L + p.hashCode());
          probs = new double[V];
          double sum = 0;
          for (int v = 0; v < V; v++) {
            probs[v] = Math.exp(2 * rnd.nextGaussian());
            sum += probs[v];
          }
          for (int v = 0; v < V; v++) {
            probs[v] /= sum;
          }
        }
        out[r] = Arrays.stream(probs).map(Math::log).toArray();
      }
      return out;
    }

    @Override
    public void reorder(int[] parents) {
      List<List<Integer>> copy = new ArrayList<>();
      for (int parent : parents) {
        copy.add(new ArrayList<>(prefixes.get(parent)));
      }
      for (int r = 0; r < parents.length; r++) {
        // The row's own index stays first so that rows of different sequences differ.
        copy.get(r).set(0, prefixes.get(r).get(0));
        prefixes.set(r, copy.get(r));
      }
    }
  }

  /** A distribution putting {@code p} on {@code word} and the rest evenly on the other words. */
  static double[] peak(int word, double p) {
    double[] d = new double[V];
    Arrays.fill(d, (1 - p) / (V - 1));
    d[word] = p;
    return d;
  }

  private static List<Integer> prefix(int... words) {
    List<Integer> l = new ArrayList<>();
    l.add(Vocabulary.START_ID);
    for (int w : words) {
      l.add(w);
    }
    return l;
  }

  @Test
  void stopsAtTheEndSymbol() {
    Map<List<Integer>, double[]> t =
        Map.of(prefix(), peak(5, 0.9), prefix(5), peak(6, 0.9), prefix(5, 6), peak(END, 0.9));
    assertArrayEquals(new int[] {5, 6}, Decoding.greedy(new Scripted(1, t, 1), 1, 10).get(0));
    assertArrayEquals(new int[] {5, 6}, Decoding.beam(new Scripted(3, t, 1), 1, 3, 10).get(0));
    // An end ranked first at the first step is passed over: no output is empty (the submission
    // format refuses empty answers). The other words tie, so the first allowed id, 4, comes next.
    Map<List<Integer>, double[]> empty =
        Map.of(prefix(), peak(END, 0.9), prefix(4), peak(END, 0.9));
    assertArrayEquals(new int[] {4}, Decoding.greedy(new Scripted(1, empty, 1), 1, 10).get(0));
    assertArrayEquals(new int[] {4}, Decoding.beam(new Scripted(2, empty, 1), 1, 2, 10).get(0));
  }

  @Test
  void stopsAtTheMaximumLength() {
    Map<List<Integer>, double[]> t = new java.util.HashMap<>();
    List<Integer> p = prefix();
    for (int i = 0; i < 10; i++) {
      t.put(new ArrayList<>(p), peak(7, 0.9));
      p.add(7);
    }
    assertArrayEquals(new int[] {7, 7, 7, 7}, Decoding.greedy(new Scripted(1, t, 1), 1, 4).get(0));
    assertArrayEquals(new int[] {7, 7, 7, 7}, Decoding.beam(new Scripted(4, t, 1), 1, 4, 4).get(0));
    assertArrayEquals(new int[] {7}, Decoding.greedy(new Scripted(1, t, 1), 1, 1).get(0));
  }

  @Test
  void neverEmitsReservedWords() {
    // The padding, start and unknown ids are the most probable words, and are skipped.
    double[] d = new double[V];
    Arrays.fill(d, 0.01);
    d[Vocabulary.PAD_ID] = d[Vocabulary.START_ID] = d[Vocabulary.UNKNOWN_ID] = 0.3;
    d[8] = 0.02;
    Map<List<Integer>, double[]> t = Map.of(prefix(), d, prefix(8), peak(END, 0.9));
    assertArrayEquals(new int[] {8}, Decoding.greedy(new Scripted(1, t, 1), 1, 5).get(0));
    assertArrayEquals(new int[] {8}, Decoding.beam(new Scripted(2, t, 1), 1, 2, 5).get(0));
  }

  @Test
  void beamOfWidthOneIsGreedy() {
    for (long seed = 0; seed < 40; seed++) {
      int n = 4;
      List<int[]> greedy = Decoding.greedy(new Scripted(n, Map.of(), seed), n, 6);
      List<int[]> beam = Decoding.beam(new Scripted(n, Map.of(), seed), n, 1, 6);
      for (int i = 0; i < n; i++) {
        assertArrayEquals(greedy.get(i), beam.get(i), "seed " + seed + ", row " + i);
      }
    }
  }

  /**
   * Three one-word outputs of probability 0.45, 0.27 and 0.18 (each ends surely after its word):
   * the n-best list is all three, most probable first; its first is what {@link Decoding#beam}
   * returns.
   */
  @Test
  void nBestListsTheMostProbableOutputsInOrder() {
    double[] first = new double[V];
    first[5] = 0.5;
    first[6] = 0.3;
    first[7] = 0.2;
    Map<List<Integer>, double[]> t =
        Map.of(
            prefix(), first,
            prefix(5), peak(END, 0.9),
            prefix(6), peak(END, 0.9),
            prefix(7), peak(END, 0.9));
    List<List<int[]>> best =
        Decoding.nBest(new Scripted(4, t, 1), 1, 4, 6, 0.7, Decoding.Constraint.NONE, 3);
    assertEquals(3, best.get(0).size());
    assertArrayEquals(new int[] {5}, best.get(0).get(0));
    assertArrayEquals(new int[] {6}, best.get(0).get(1));
    assertArrayEquals(new int[] {7}, best.get(0).get(2));
    assertArrayEquals(
        new int[] {5},
        Decoding.beam(new Scripted(4, t, 1), 1, 4, 6, 0.7, Decoding.Constraint.NONE).get(0));
  }

  /** On random distributions the n-best lists are distinct, ranked, and start with the beam's. */
  @Test
  void nBestIsDistinctAndStartsWithTheBeamsBest() {
    for (long seed = 0; seed < 30; seed++) {
      int n = 3;
      int width = 5;
      List<List<int[]>> lists =
          Decoding.nBest(
              new Scripted(n * width, Map.of(), seed),
              n,
              width,
              6,
              0.7,
              Decoding.Constraint.NONE,
              4);
      List<int[]> beam =
          Decoding.beam(
              new Scripted(n * width, Map.of(), seed), n, width, 6, 0.7, Decoding.Constraint.NONE);
      for (int i = 0; i < n; i++) {
        List<int[]> l = lists.get(i);
        assertTrue(!l.isEmpty() && l.size() <= 4, "seed " + seed + ": " + l.size());
        assertArrayEquals(beam.get(i), l.get(0), "seed " + seed + ", row " + i);
        for (int a = 0; a < l.size(); a++) {
          for (int b = a + 1; b < l.size(); b++) {
            assertTrue(!Arrays.equals(l.get(a), l.get(b)), "seed " + seed + ": a duplicate");
          }
        }
      }
    }
  }

  @Test
  void nBestRefusesMoreHypothesesThanTheBeamKeeps() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                Decoding.nBest(
                    new Scripted(2, Map.of(), 1), 1, 2, 6, 0, Decoding.Constraint.NONE, 3));
    assertTrue(e.getMessage().contains("beam width 2"), e.getMessage());
  }

  /** With length normalisation too, width 1 is greedy: one hypothesis has nothing to rank. */
  @Test
  void lengthNormalisedBeamOfWidthOneIsGreedy() {
    for (long seed = 0; seed < 40; seed++) {
      int n = 4;
      List<int[]> greedy = Decoding.greedy(new Scripted(n, Map.of(), seed), n, 6);
      List<int[]> beam =
          Decoding.beam(new Scripted(n, Map.of(), seed), n, 1, 6, 1.0, Decoding.Constraint.NONE);
      for (int i = 0; i < n; i++) {
        assertArrayEquals(greedy.get(i), beam.get(i), "seed " + seed + ", row " + i);
      }
    }
  }

  /**
   * "5" alone scores log 0.5 + log 0.5 (with its end); "6 7 8" scores log 0.5 + 3 log 0.7: summed,
   * the short one wins; per token (length-norm 1), the long one does.
   */
  @Test
  void lengthNormalisationStopsFavouringShortOutputs() {
    double[] first = new double[V];
    first[5] = 0.5;
    first[6] = 0.5;
    Map<List<Integer>, double[]> t =
        Map.of(
            prefix(),
            first,
            prefix(5),
            peak(END, 0.5),
            prefix(6),
            peak(7, 0.7),
            prefix(6, 7),
            peak(8, 0.7),
            prefix(6, 7, 8),
            peak(END, 0.7));
    assertArrayEquals(
        new int[] {5},
        Decoding.beam(new Scripted(2, t, 1), 1, 2, 6, 0, Decoding.Constraint.NONE).get(0));
    assertArrayEquals(
        new int[] {6, 7, 8},
        Decoding.beam(new Scripted(2, t, 1), 1, 2, 6, 1.0, Decoding.Constraint.NONE).get(0));
  }

  /** Within a trie of two answers, the search writes one of them even where others score higher. */
  @Test
  void constrainedSearchWritesOnlyAllowedAnswers() {
    AnswerTrie trie = AnswerTrie.of(List.of(new int[] {4, 5}, new int[] {6}));
    Decoding.Constraint c = (sequence, prefix) -> trie.next(prefix);
    for (long seed = 0; seed < 20; seed++) {
      int[] g = Decoding.greedy(new Scripted(1, Map.of(), seed), 1, 6, c).get(0);
      int[] b = Decoding.beam(new Scripted(3, Map.of(), seed), 1, 3, 6, 0.7, c).get(0);
      for (int[] out : List.of(g, b)) {
        assertTrue(
            Arrays.equals(out, new int[] {4, 5}) || Arrays.equals(out, new int[] {6}),
            "seed " + seed + ": " + Arrays.toString(out));
      }
    }
  }

  /** Seeded sampling: the same seeds give the same texts, different seeds give different ones. */
  @Test
  void samplingIsSeededAndVaries() {
    int rows = 8;
    Random[] a = new Random[rows];
    Random[] b = new Random[rows];
    for (int r = 0; r < rows; r++) {
      a[r] = new Random(r);
      b[r] = new Random(r);
    }
    // Every row sees the same distributions (seeded by prefix only), so rows differ by their draws.
    List<int[]> x = Decoding.sample(new Shared(rows), rows, 6, a, 1.0, Decoding.Constraint.NONE);
    List<int[]> y = Decoding.sample(new Shared(rows), rows, 6, b, 1.0, Decoding.Constraint.NONE);
    java.util.Set<String> distinct = new java.util.HashSet<>();
    for (int r = 0; r < rows; r++) {
      assertArrayEquals(x.get(r), y.get(r));
      assertTrue(x.get(r).length > 0);
      distinct.add(Arrays.toString(x.get(r)));
    }
    assertTrue(distinct.size() > 1, "distinct samples " + distinct);
  }

  /** A flat distribution over the words 4-8 and the end, the same for every row and step. */
  static final class Shared implements Decoding.Stepper {
    private final int rows;

    Shared(int rows) {
      this.rows = rows;
    }

    @Override
    public double[][] step(int[] previous) {
      double[][] out = new double[previous.length][V];
      for (double[] row : out) {
        Arrays.fill(row, Double.NEGATIVE_INFINITY);
        for (int v : new int[] {END, 4, 5, 6, 7, 8}) {
          row[v] = Math.log(1 / 6.0);
        }
      }
      return out;
    }

    @Override
    public void reorder(int[] parents) {}
  }

  /** Greedy takes 5 (0.6) and then has only poor endings; 6 (0.4) then the end is worth more. */
  @Test
  void beamFindsAMoreProbableSequenceThanGreedy() {
    double[] first = new double[V];
    first[5] = 0.6;
    first[6] = 0.4;
    double[] spread = new double[V];
    spread[4] = spread[7] = 0.3;
    spread[8] = 0.4;
    Map<List<Integer>, double[]> t =
        Map.of(
            prefix(),
            first,
            prefix(5),
            spread,
            prefix(6),
            peak(END, 0.9),
            prefix(5, 8),
            peak(END, 0.99));
    assertArrayEquals(new int[] {5, 8}, Decoding.greedy(new Scripted(1, t, 1), 1, 5).get(0));
    assertArrayEquals(new int[] {6}, Decoding.beam(new Scripted(2, t, 1), 1, 2, 5).get(0));
  }

  /**
   * The decoder-only graph stepped word by word gives the probabilities the full graph gives with
   * teacher forcing, so parameters were copied to the right layers and the step inputs agree.
   */
  @Test
  void steppedDecoderMatchesTeacherForcing() {
    List<Example> data = Synthetic.vqa(6, 9, 16, 0.3);
    VaeVqa m =
        VaeVqa.fit(
            Synthetic.config("vae-vqa", "embedding = 8, hidden = 12, z = 4, output-length = 5"),
            data);
    ComputationGraph net = m.newGraph(4, new NoOp());
    INDArray zeros = Nd4j.zeros(DataType.FLOAT, data.size(), 4);
    MultiDataSet mds = m.batch(data, zeros);
    INDArray full = net.output(false, mds.getFeatures())[0];
    ComputationGraph dec = m.decoder(net);
    INDArray z = m.encode(net, data);
    assertEquals(m.conditionSize(), z.size(1));
    dec.rnnClearPreviousState();
    INDArray in = mds.getFeatures(2);
    for (int t = 0; t < m.outputLength(); t++) {
      INDArray step =
          in.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)).dup();
      INDArray p = dec.rnnTimeStep(z, step)[0];
      p = p.reshape(p.size(0), p.size(1));
      for (int i = 0; i < data.size(); i++) {
        INDArray expected =
            full.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t));
        assertEquals(0.0, expected.sub(p.getRow(i)).amaxNumber().doubleValue(), 1e-5);
      }
    }
  }
}
