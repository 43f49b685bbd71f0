package org.medvqa.models.vae;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Greedy and beam-search decoding, over anything that gives next-word log-probabilities one step at
 * a time (a {@link Stepper}), so the search can be tested on scripted distributions. Padding, the
 * start symbol and {@code <unk>} are never emitted; a sequence ends at {@code </s>} (not part of
 * the result) or after {@code maxLength} steps.
 */
final class Decoding {
  private Decoding() {}

  /** Next-word log-probabilities for a fixed number of rows, each with its own recurrent state. */
  interface Stepper {
    /** Feeds each row's previous word; returns log-probabilities [rows][vocabulary]. */
    double[][] step(int[] previous);

    /** From now on row r continues the state of row {@code parents[r]}. */
    void reorder(int[] parents);
  }

  /**
   * Which words may follow a prefix, per sequence (for example the answers a question's category
   * allows, as a trie); {@code null} allows every word. A constraint that allows nothing is ignored
   * rather than leaving a sequence without a word.
   */
  interface Constraint {
    java.util.BitSet allowed(int sequence, int[] prefix);

    /** No constraint. */
    Constraint NONE = (sequence, prefix) -> null;
  }

  /** Log-probabilities of {@code row} with the words {@code c} does not allow at -infinity. */
  private static double[] restrict(double[] row, Constraint c, int sequence, int[] prefix) {
    java.util.BitSet allowed = c.allowed(sequence, prefix);
    if (allowed == null || allowed.isEmpty()) {
      return row;
    }
    double[] out = row.clone();
    for (int v = 0; v < out.length; v++) {
      if (!allowed.get(v)) {
        out[v] = Double.NEGATIVE_INFINITY;
      }
    }
    return out;
  }

  private static boolean allowed(int id) {
    return id != Vocabulary.PAD_ID && id != Vocabulary.START_ID && id != Vocabulary.UNKNOWN_ID;
  }

  /**
   * No output may be empty: {@code </s>} is not a candidate for the first word. Training never
   * shows an empty answer or question, but an undertrained decoder can rank {@code </s>} first, and
   * the challenge's submission format refuses empty answers.
   */
  private static void noEmptyOutput(double[][] logProbabilities) {
    for (double[] row : logProbabilities) {
      row[Vocabulary.END_ID] = Double.NEGATIVE_INFINITY;
    }
  }

  /**
   * Word ids for each row of {@code condition} [n, c] from the decoder-only graph, by {@code how}
   * ({@code greedy}, or {@code beam} of {@code width} ranked with {@code lengthNorm}), at most
   * {@code maxLength} steps, within {@code constraint}.
   */
  static List<int[]> decode(
      ComputationGraph decoder,
      INDArray condition,
      String how,
      int width,
      int maxLength,
      double lengthNorm,
      Constraint constraint) {
    int n = (int) condition.size(0);
    if (how.equals("greedy")) {
      return greedy(new GraphStepper(decoder, condition), n, maxLength, constraint);
    }
    return beam(
        new GraphStepper(decoder, condition.getRows(beamRows(n, width))),
        n,
        width,
        maxLength,
        lengthNorm,
        constraint);
  }

  /**
   * The {@code k} best distinct outputs of a beam search of {@code width} for each row of {@code
   * condition} [n, c], best first ({@link #nBest}).
   */
  static List<List<int[]>> decodeNBest(
      ComputationGraph decoder,
      INDArray condition,
      int width,
      int maxLength,
      double lengthNorm,
      int k) {
    int n = (int) condition.size(0);
    return nBest(
        new GraphStepper(decoder, condition.getRows(beamRows(n, width))),
        n,
        width,
        maxLength,
        lengthNorm,
        Constraint.NONE,
        k);
  }

  /** Row r of a beam of {@code width} over {@code n} sequences is sequence r / width. */
  private static int[] beamRows(int n, int width) {
    int[] rows = new int[n * width];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = r / width;
    }
    return rows;
  }

  /** The most probable word at each step, for {@code rows} independent rows. */
  static List<int[]> greedy(Stepper s, int rows, int maxLength) {
    return greedy(s, rows, maxLength, Constraint.NONE);
  }

  /** {@link #greedy(Stepper, int, int)} within {@code c} (row r is sequence r). */
  static List<int[]> greedy(Stepper s, int rows, int maxLength, Constraint c) {
    return walk(s, rows, maxLength, c, (r, lp) -> argmax(lp));
  }

  /**
   * One word drawn at each step from the decoder's distribution (sharpened or flattened by {@code
   * temperature}), each row with its own random source, so the same row and seed give the same
   * text. Used for diverse generated questions, where greedy and beam search return the same mode
   * for nearby latents.
   */
  static List<int[]> sample(
      Stepper s, int rows, int maxLength, Random[] random, double temperature, Constraint c) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    return walk(
        s,
        rows,
        maxLength,
        c,
        (r, lp) -> {
          double max = lp[argmax(lp)];
          double[] w = new double[lp.length];
          double total = 0;
          for (int v = 0; v < lp.length; v++) {
            w[v] = allowed(v) ? Math.exp((lp[v] - max) / temperature) : 0;
            total += w[v];
          }
          double u = random[r].nextDouble() * total;
          for (int v = 0; v < w.length; v++) {
            u -= w[v];
            if (u <= 0 && w[v] > 0) {
              return v;
            }
          }
          return argmax(lp);
        });
  }

  private interface Chooser {
    int choose(int row, double[] logProbabilities);
  }

  private static int argmax(double[] lp) {
    int best = -1;
    for (int v = 0; v < lp.length; v++) {
      if (allowed(v) && (best < 0 || lp[v] > lp[best])) {
        best = v;
      }
    }
    return best;
  }

  /** One word per row and step, by {@code choose}, until every row has ended. */
  private static List<int[]> walk(
      Stepper s, int rows, int maxLength, Constraint c, Chooser choose) {
    checkLength(maxLength);
    List<List<Integer>> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      out.add(new ArrayList<>());
    }
    boolean[] done = new boolean[rows];
    int[] previous = new int[rows];
    Arrays.fill(previous, Vocabulary.START_ID);
    for (int t = 0; t < maxLength; t++) {
      double[][] lp = s.step(previous);
      if (t == 0) {
        noEmptyOutput(lp);
      }
      boolean all = true;
      for (int r = 0; r < rows; r++) {
        if (done[r]) {
          previous[r] = Vocabulary.PAD_ID;
          continue;
        }
        int[] prefix = out.get(r).stream().mapToInt(Integer::intValue).toArray();
        int best = choose.choose(r, restrict(lp[r], c, r, prefix));
        if (best == Vocabulary.END_ID) {
          done[r] = true;
        } else {
          out.get(r).add(best);
        }
        previous[r] = best;
        all &= done[r];
      }
      if (all) {
        break;
      }
    }
    List<int[]> result = new ArrayList<>();
    out.forEach(l -> result.add(l.stream().mapToInt(Integer::intValue).toArray()));
    return result;
  }

  private record Candidate(double score, int beam, int word) {}

  private record Hypothesis(int[] words, double score) {}

  private static final Comparator<Candidate> BEST_FIRST =
      Comparator.comparingDouble(Candidate::score)
          .reversed()
          .thenComparingInt(Candidate::beam)
          .thenComparingInt(Candidate::word);

  /** Beam search ranked by summed log-probability (no length normalisation), unconstrained. */
  static List<int[]> beam(Stepper s, int n, int width, int maxLength) {
    return beam(s, n, width, maxLength, 0, Constraint.NONE);
  }

  /**
   * Beam search of {@code width} for {@code n} sequences; {@code s} has {@code n * width} rows,
   * sequence i in rows {@code i * width .. i * width + width - 1}. Finished hypotheses are ranked
   * by their summed log-probability divided by (words + 1)^{@code lengthNorm} (the +1 counts {@code
   * </s>}): with 0, a sum, which favours short outputs since every word costs probability; with 1,
   * the mean per token. A sequence stops once it has {@code width} finished hypotheses or its best
   * finished one beats the best any open one could still reach. Width 1 is greedy decoding.
   */
  static List<int[]> beam(
      Stepper s, int n, int width, int maxLength, double lengthNorm, Constraint constraint) {
    List<int[]> out = new ArrayList<>();
    for (List<int[]> best : nBest(s, n, width, maxLength, lengthNorm, constraint, 1)) {
      out.add(best.isEmpty() ? new int[0] : best.get(0));
    }
    return out;
  }

  /**
   * The {@code k} best finished hypotheses of each sequence's beam search (fewer if the beam
   * finishes fewer), best first, each distinct: {@link #beam} with {@code k = 1}. A sequence stops
   * once it has {@code width} finished hypotheses or its k-th best finished one beats the best any
   * open one could still reach, so {@code width >= k} is needed to find k.
   */
  static List<List<int[]>> nBest(
      Stepper s, int n, int width, int maxLength, double lengthNorm, Constraint constraint, int k) {
    checkLength(maxLength);
    if (k < 1 || k > width) {
      throw new IllegalArgumentException(
          "hypotheses wanted must be within 1 .. beam width " + width + ", got " + k);
    }
    if (width < 1) {
      throw new IllegalArgumentException("beam width must be at least 1, got " + width);
    }
    if (!(lengthNorm >= 0)) {
      throw new IllegalArgumentException("length-norm must be >= 0, got " + lengthNorm);
    }
    Beams beams = Beams.start(n * width, width);
    boolean[] done = new boolean[n];
    List<List<Hypothesis>> finished = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      finished.add(new ArrayList<>());
    }
    for (int t = 0; t < maxLength; t++) {
      boolean last = t == maxLength - 1;
      double[][] lp = s.step(beams.word);
      if (t == 0) {
        noEmptyOutput(lp);
      }
      Beams next = new Beams(n * width);
      boolean all = true;
      for (int i = 0; i < n; i++) {
        int base = i * width;
        int alive = 0;
        if (!done[i]) {
          List<Candidate> cands = candidates(lp, beams, i, width, constraint);
          List<Hypothesis> fin = finished.get(i);
          alive = extend(cands, beams, next, base, width, last, lengthNorm, fin);
          // An open hypothesis only loses probability, and at most maxLength tokens divide it.
          double bestOpen =
              alive > 0
                  ? next.score[base] / Math.pow(maxLength, lengthNorm)
                  : Double.NEGATIVE_INFINITY;
          done[i] = alive == 0 || fin.size() >= width || kthBest(fin, k) >= bestOpen;
        }
        for (int r = base + alive; r < base + width; r++) {
          next.close(r, base);
        }
        all &= done[i];
      }
      if (all) {
        break;
      }
      s.reorder(next.parent);
      beams = next;
    }
    List<List<int[]>> out = new ArrayList<>();
    for (List<Hypothesis> fin : finished) {
      out.add(best(fin, k));
    }
    return out;
  }

  /** The k-th best score in {@code fin}, -infinity if it holds fewer than k. */
  private static double kthBest(List<Hypothesis> fin, int k) {
    if (fin.size() < k) {
      return Double.NEGATIVE_INFINITY;
    }
    return fin.stream()
        .mapToDouble(Hypothesis::score)
        .boxed()
        .sorted(Comparator.reverseOrder())
        .skip(k - 1)
        .findFirst()
        .orElseThrow();
  }

  /**
   * The rows of one beam-search step: each row's parent row in the step before, its last word, its
   * summed log-probability (-infinity for an unused row) and its words so far.
   */
  private static final class Beams {
    final int[] parent;
    final int[] word;
    final double[] score;
    final int[][] words;

    Beams(int rows) {
      parent = new int[rows];
      word = new int[rows];
      score = new double[rows];
      words = new int[rows][];
    }

    static Beams start(int rows, int width) {
      Beams b = new Beams(rows);
      Arrays.fill(b.word, Vocabulary.START_ID);
      for (int r = 0; r < rows; r++) {
        // All beams start identical: only the first may expand, or the first step fills the beam
        // with copies of one word.
        b.score[r] = r % width == 0 ? 0 : Double.NEGATIVE_INFINITY;
        b.words[r] = new int[0];
      }
      return b;
    }

    /** Row r continues row {@code from} of the step before with candidate c. */
    void open(int r, int from, Candidate c, int[] prefix) {
      parent[r] = from;
      word[r] = c.word();
      score[r] = c.score();
      words[r] = append(prefix, c);
    }

    /** Row r is unused: it pads the sequence whose first row is {@code base}. */
    void close(int r, int base) {
      parent[r] = base;
      word[r] = Vocabulary.PAD_ID;
      score[r] = Double.NEGATIVE_INFINITY;
      words[r] = new int[0];
    }
  }

  /** The best width + 1 words after each open row of sequence i, best first. */
  private static List<Candidate> candidates(
      double[][] lp, Beams beams, int i, int width, Constraint constraint) {
    int base = i * width;
    List<Candidate> cands = new ArrayList<>();
    for (int b = 0; b < width; b++) {
      if (beams.score[base + b] == Double.NEGATIVE_INFINITY) {
        continue;
      }
      double[] row = restrict(lp[base + b], constraint, i, beams.words[base + b]);
      for (int v : top(row, width + 1)) {
        double sc = beams.score[base + b] + row[v];
        if (sc > Double.NEGATIVE_INFINITY) {
          cands.add(new Candidate(sc, b, v));
        }
      }
    }
    cands.sort(BEST_FIRST);
    return cands;
  }

  /**
   * Takes the candidates best first: one ending in {@code </s>} (or any, at the {@code last} step)
   * becomes a finished hypothesis in {@code fin}, the others open rows of {@code next} from {@code
   * base}, until {@code width} are open (or, at the last step, finished).
   *
   * @return how many rows are open
   */
  private static int extend(
      List<Candidate> cands,
      Beams beams,
      Beams next,
      int base,
      int width,
      boolean last,
      double lengthNorm,
      List<Hypothesis> fin) {
    int alive = 0;
    for (Candidate c : cands) {
      int[] prefix = beams.words[base + c.beam()];
      if (c.word() == Vocabulary.END_ID || last) {
        int[] w = c.word() == Vocabulary.END_ID ? prefix : append(prefix, c);
        int tokens = w.length + (c.word() == Vocabulary.END_ID ? 1 : 0);
        fin.add(new Hypothesis(w, c.score() / Math.pow(tokens, lengthNorm)));
        if (last && fin.size() >= width) {
          break;
        }
      } else {
        next.open(base + alive++, base + c.beam(), c, prefix);
        if (alive == width) {
          break;
        }
      }
    }
    return alive;
  }

  /**
   * The k best-ranked distinct word sequences of {@code fin}, best first; ties keep the order of
   * finishing. Two hypotheses with the same words (one cut at the last step, one ended there) count
   * once.
   */
  private static List<int[]> best(List<Hypothesis> fin, int k) {
    List<Hypothesis> ranked = new ArrayList<>(fin);
    ranked.sort(Comparator.comparingDouble(Hypothesis::score).reversed());
    List<int[]> out = new ArrayList<>();
    for (Hypothesis h : ranked) {
      if (out.size() == k) {
        break;
      }
      if (out.stream().noneMatch(w -> Arrays.equals(w, h.words()))) {
        out.add(h.words());
      }
    }
    return out;
  }

  private static int[] append(int[] prefix, Candidate c) {
    int[] w = Arrays.copyOf(prefix, prefix.length + 1);
    w[prefix.length] = c.word();
    return w;
  }

  /** The k allowed words of highest log-probability, best first, ties to the lower id. */
  private static int[] top(double[] lp, int k) {
    int[] best = new int[k];
    int m = 0;
    for (int v = 0; v < lp.length; v++) {
      if (!allowed(v)) {
        continue;
      }
      int pos = m;
      while (pos > 0 && lp[v] > lp[best[pos - 1]]) {
        pos--;
      }
      if (pos < k) {
        int end = Math.min(m, k - 1);
        System.arraycopy(best, pos, best, pos + 1, end - pos);
        best[pos] = v;
        m = Math.min(m + 1, k);
      }
    }
    return Arrays.copyOf(best, m);
  }

  private static void checkLength(int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException(
          "maximum output length must be at least 1, got " + maxLength);
    }
  }

  /**
   * Steps a decoder-only graph ({@link VaeGraph#decoderOnly}) with rnnTimeStep; each row has its
   * own condition (a row of {@code z}: the deterministic path and the latent) and LSTM state.
   */
  static final class GraphStepper implements Stepper {
    private final ComputationGraph decoder;
    private final INDArray z;

    GraphStepper(ComputationGraph decoder, INDArray z) {
      this.decoder = decoder;
      this.z = z.castTo(decoder.getConfiguration().getDataType());
      decoder.rnnClearPreviousState();
    }

    @Override
    public double[][] step(int[] previous) {
      float[] ids = new float[previous.length];
      for (int r = 0; r < ids.length; r++) {
        ids[r] = previous[r];
      }
      INDArray tokens =
          Nd4j.create(ids, new long[] {ids.length, 1, 1}, DataType.FLOAT).castTo(z.dataType());
      INDArray p = decoder.rnnTimeStep(z, tokens)[0];
      INDArray logp =
          org.nd4j.linalg.ops.transforms.Transforms.log(
              p.reshape(p.size(0), p.size(1)).castTo(DataType.DOUBLE), true);
      return logp.toDoubleMatrix();
    }

    @Override
    public void reorder(int[] parents) {
      boolean identity = true;
      for (int r = 0; r < parents.length; r++) {
        identity &= parents[r] == r;
      }
      if (identity) {
        return;
      }
      Map<String, INDArray> state = decoder.rnnGetPreviousState(VaeGraph.DECODER_LSTM);
      state.replaceAll((k, v) -> v.getRows(parents));
      decoder.rnnSetPreviousState(VaeGraph.DECODER_LSTM, state);
    }
  }
}
