package org.medvqa.models.vae;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.medvqa.models.ArrayBytes;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * Sparse cross-entropy over the real tokens of a sequence only: a step whose label is {@link
 * Vocabulary#PAD_ID} (the steps after a text's {@code </s>}) adds nothing to the score or the
 * gradient. The mask is read from the labels themselves instead of a label mask array, because
 * label masks are what DL4J's minibatch merging and Spark training mishandled (see the training
 * module's README). RnnOutputLayer hands the loss one row per (example, step), so the score summed
 * by DL4J and divided by the minibatch size is the sum of the real tokens' cross-entropy per
 * example.
 *
 * <p>With a softmax activation on float arrays in host memory (every VAE here), score and gradient
 * come from one softmax op and a pass over the labels: DL4J's sparse cross-entropy turns the labels
 * into a one-hot array and runs some fifteen ND4J ops per call on arrays of rows x vocabulary, 11%
 * of a VAE training step on one thread (Java Flight Recorder). The values are DL4J's: the score is
 * -log of the label's softmax probability, clipped below at DL4J's 1e-10, and the gradient is the
 * softmax minus the one-hot label.
 *
 * <p>A training step asks for the gradient (backprop) and then for the score of the same rows; the
 * gradient's softmax gives both, so the score after it is taken from there ({@link KeptScores})
 * instead of a second softmax over rows x vocabulary (two per step were about a tenth of a VAE step
 * on one thread, ND4J's op profiler). It is taken only when the score's pre-output holds the very
 * values, labels and weights of the gradient's, compared in full: DL4J hands the score a copy, not
 * the same array ({@link org.medvqa.models.LeanRnnOutput}).
 */
public final class TokenXent implements ILossFunction {
  private static final long serialVersionUID = 1L;

  /** DL4J's clipping of the softmax probability before its log (LossMCXENT's default). */
  static final double CLIP = 1e-10;

  private final LossSparseMCXENT xent = new LossSparseMCXENT();

  /** Whether the fused path computes this call (otherwise DL4J's sparse cross-entropy does). */
  static boolean fused(INDArray labels, INDArray preOutput, IActivation activationFn) {
    return activationFn instanceof ActivationSoftmax
        && ArrayBytes.hostBackend()
        && preOutput.rank() == 2
        && preOutput.dataType() == DataType.FLOAT
        && labels.length() == preOutput.size(0);
  }

  /**
   * Per row: the label's index in {@code targets}, and in {@code weights} the mask's value where
   * the label is a real token, 0 for padding (as DL4J's path multiplies the row by its mask).
   */
  private static void rowTargets(
      INDArray labels, INDArray mask, long classes, int[] targets, float[] weights) {
    double[] ids = labels.reshape(targets.length).toDoubleVector();
    double[] m = mask == null ? null : mask.reshape(mask.length()).toDoubleVector();
    for (int r = 0; r < targets.length; r++) {
      int label = (int) ids[r];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException(
            "token label " + label + " in row " + r + " is outside the vocabulary of " + classes);
      }
      targets[r] = label;
      weights[r] = label == Vocabulary.PAD_ID ? 0f : m == null ? 1f : (float) m[r];
    }
  }

  /** The score of each row under the fused path, [rows, 1]. */
  private static INDArray fusedScores(
      INDArray labels, INDArray preOutput, IActivation softmax, INDArray mask) {
    float[] kept = KeptScores.take(labels, preOutput, mask);
    if (kept != null) {
      return Nd4j.createFromArray(kept).reshape(kept.length, 1);
    }
    Rows rows = Rows.of(labels, preOutput, softmax, mask);
    float[] scores = rows.scores();
    Reference.reachabilityFence(rows.probabilities());
    return Nd4j.createFromArray(scores).reshape(scores.length, 1);
  }

  /** The gradient under the fused path: (softmax minus one-hot) times the row's weight. */
  private static INDArray fusedGradient(
      INDArray labels, INDArray preOutput, IActivation softmax, INDArray mask) {
    Rows rows = Rows.of(labels, preOutput, softmax, mask);
    int[] t = rows.targets();
    float[] w = rows.weights();
    int classes = rows.classes();
    FloatBuffer buf = rows.values();
    KeptScores.keep(preOutput, t, w, rows.scores());
    float[] row = null;
    for (int r = 0; r < t.length; r++) {
      int at = rows.at(r);
      buf.put(at + t[r], buf.get(at + t[r]) - 1f);
      if (w[r] != 1) {
        row = row == null ? new float[classes] : row;
        buf.get(at, row, 0, classes);
        for (int j = 0; j < classes; j++) {
          row[j] *= w[r];
        }
        buf.put(at, row, 0, classes);
      }
    }
    Reference.reachabilityFence(rows.probabilities());
    return rows.probabilities();
  }

  /**
   * A fused call's softmax (the activation applied to a c-order copy of the pre-output; {@code
   * values} reads and writes it), the rows' targets and weights of {@link #rowTargets}, and the
   * number of classes per row.
   */
  private record Rows(
      int classes, int[] targets, float[] weights, INDArray probabilities, FloatBuffer values) {
    static Rows of(INDArray labels, INDArray preOutput, IActivation softmax, INDArray mask) {
      int classes = (int) preOutput.size(1);
      int n = (int) labels.length();
      int[] t = new int[n];
      float[] w = new float[n];
      rowTargets(labels, mask, classes, t, w);
      INDArray p = softmax.getActivation(preOutput.dup('c'), true);
      return new Rows(classes, t, w, p, p.data().asNioFloat());
    }

    /** Where row {@code r} starts in {@link #values}. */
    int at(int r) {
      return (int) probabilities.offset() + r * classes;
    }

    /** Each row's score: -log of its label's probability, clipped, times the row's weight. */
    float[] scores() {
      float[] scores = new float[targets.length];
      for (int r = 0; r < targets.length; r++) {
        if (weights[r] != 0) {
          double p = values.get(at(r) + targets[r]);
          scores[r] = (float) (-Math.log(Math.max(p, CLIP)) * weights[r]);
        }
      }
      return scores;
    }
  }

  /**
   * The per-row scores of this thread's last fused gradient, with what they were computed from: the
   * pre-output's values as laid out in its buffer (order and shape, in that order's default
   * layout), the rows' targets and weights. One entry per thread (each Spark task thread trains its
   * own network), given out once.
   */
  static final class KeptScores {
    private static final ThreadLocal<KeptScores> KEPT = new ThreadLocal<>();

    /** Scores given out instead of computed (tests check that keeping happens). */
    static final AtomicLong REUSED = new AtomicLong();

    private final char order;
    private final long[] shape;
    private final float[] values;
    private final int[] targets;
    private final float[] weights;
    private final float[] scores;

    private KeptScores(INDArray preOutput, float[] values, int[] t, float[] w, float[] scores) {
      this.order = preOutput.ordering();
      this.shape = preOutput.shape();
      this.values = values;
      this.targets = t;
      this.weights = w;
      this.scores = scores;
    }

    /**
     * The pre-output's buffer as a float view of exactly its elements, or null where they are not
     * one block in the default layout of its order (a view with gaps), then neither kept nor
     * matched.
     */
    private static FloatBuffer dense(INDArray a) {
      if (!Shape.hasDefaultStridesForShape(a) || a.offset() + a.length() > Integer.MAX_VALUE) {
        return null;
      }
      return a.data().asNioFloat().slice((int) a.offset(), (int) a.length());
    }

    static void keep(INDArray preOutput, int[] t, float[] w, float[] scores) {
      FloatBuffer b = dense(preOutput);
      if (b == null) {
        KEPT.remove();
        return;
      }
      float[] values = new float[b.remaining()];
      b.get(values);
      Reference.reachabilityFence(preOutput);
      KEPT.set(new KeptScores(preOutput, values, t, w, scores));
    }

    /**
     * The kept scores if {@code preOutput}, the labels and the mask are what they were computed
     * from, else null; forgets them either way.
     */
    static float[] take(INDArray labels, INDArray preOutput, INDArray mask) {
      KeptScores k = KEPT.get();
      if (k == null) {
        return null;
      }
      KEPT.remove();
      if (preOutput.ordering() != k.order
          || !Arrays.equals(preOutput.shape(), k.shape)
          || labels.length() != k.targets.length) {
        return null;
      }
      FloatBuffer b = dense(preOutput);
      if (b == null || b.remaining() != k.values.length) {
        return null;
      }
      int[] t = new int[k.targets.length];
      float[] w = new float[t.length];
      rowTargets(labels, mask, preOutput.size(1), t, w);
      boolean same =
          Arrays.equals(t, k.targets)
              && Arrays.equals(w, k.weights)
              && FloatBuffer.wrap(k.values).mismatch(b) < 0;
      Reference.reachabilityFence(preOutput);
      if (!same) {
        return null;
      }
      REUSED.incrementAndGet();
      return k.scores;
    }
  }

  /** 1 for rows whose label is a real token, 0 for padding, [rows, 1]. */
  private static INDArray realTokens(INDArray labels, INDArray mask) {
    INDArray real = labels.neq(Vocabulary.PAD_ID).castTo(labels.dataType());
    real = real.reshape(real.size(0), 1);
    if (mask != null) {
      real.muli(mask.reshape(mask.size(0), 1).castTo(real.dataType()));
    }
    return real;
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    if (fused(labels, preOutput, activationFn)) {
      return fusedScores(labels, preOutput, activationFn, mask);
    }
    return xent.computeScoreArray(labels, preOutput, activationFn, null)
        .reshape(labels.size(0), 1)
        .muli(realTokens(labels, mask));
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? sum / labels.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    if (fused(labels, preOutput, activationFn)) {
      return fusedGradient(labels, preOutput, activationFn, mask);
    }
    return xent.computeGradient(labels, preOutput, activationFn, null)
        .muliColumnVector(realTokens(labels, mask));
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenXent;
  }

  @Override
  public int hashCode() {
    return TokenXent.class.hashCode();
  }

  @Override
  public String toString() {
    return "TokenXent()";
  }
}
