package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** The hand-written pieces on their own: KL, squared residual, weighting, exp(x / 2). */
class LossesTest {
  private static final ActivationIdentity ID = new ActivationIdentity();

  private static INDArray row(double... v) {
    return Nd4j.createFromArray(v).reshape(1, v.length);
  }

  @Test
  void klOfTheStandardNormalIsZero() {
    INDArray post = Nd4j.zeros(DataType.DOUBLE, 4, 6); // mu = 0, logvar = 0
    GaussianKl kl = new GaussianKl();
    assertEquals(0.0, kl.computeScore(null, post, ID, null, true), 0.0);
    assertEquals(0.0, kl.computeGradient(null, post, ID, null).norm2Number().doubleValue(), 0.0);
  }

  @Test
  void klMatchesTheClosedForm() {
    double[] mu = {0.5, -1.0, 2.0};
    double[] lv = {0.2, -0.7, 1.5};
    double expected = 0;
    for (int i = 0; i < 3; i++) {
      expected += 0.5 * (mu[i] * mu[i] + Math.exp(lv[i]) - 1 - lv[i]);
    }
    INDArray one = row(mu[0], mu[1], mu[2], lv[0], lv[1], lv[2]);
    INDArray two = Nd4j.vstack(one, Nd4j.zeros(DataType.DOUBLE, 1, 6));
    GaussianKl kl = new GaussianKl();
    assertEquals(expected, kl.computeScore(null, one, ID, null, false), 1e-12);
    // The second example is the prior: the sum is unchanged and the average halves.
    assertEquals(expected, kl.computeScore(null, two, ID, null, false), 1e-12);
    assertEquals(expected / 2, kl.computeScore(null, two, ID, null, true), 1e-12);
    assertEquals(expected, kl.computeScoreArray(null, two, ID, null).getDouble(0, 0), 1e-12);
    // A per-example mask drops the first example.
    INDArray mask = Nd4j.createFromArray(0.0, 1.0).reshape(2, 1);
    assertEquals(0.0, kl.computeScore(null, two, ID, mask, false), 1e-12);
  }

  /** Analytic gradients of the label-free losses against central differences. */
  @Test
  void gradientsMatchFiniteDifferences() {
    INDArray x = row(0.5, -1.0, 2.0, 0.2, -0.7, 1.5);
    for (ILossFunction loss :
        new ILossFunction[] {new GaussianKl(), new Weighted(new GaussianKl(), 0.3)}) {
      INDArray g = loss.computeGradient(null, x, ID, null);
      for (int j = 0; j < x.length(); j++) {
        INDArray plus = x.dup();
        INDArray minus = x.dup();
        plus.putScalar(0, j, x.getDouble(0, j) + 1e-6);
        minus.putScalar(0, j, x.getDouble(0, j) - 1e-6);
        double numeric =
            (loss.computeScore(null, plus, ID, null, false)
                    - loss.computeScore(null, minus, ID, null, false))
                / 2e-6;
        assertEquals(numeric, g.getDouble(0, j), 1e-6, loss + " parameter " + j);
      }
    }
  }

  /**
   * [target, reconstruction]: the score is the mean square of their difference; the gradient is the
   * true one on the reconstruction's half and zero on the target's (the target is detached).
   */
  @Test
  void detachedSquaredErrorScoresBothHalvesAndDifferentiatesOne() {
    INDArray x = Nd4j.vstack(row(1, -2, 0.5, 0, 0, 3), row(0, 0, 2, 0, 1, 0));
    DetachedSquaredError l = new DetachedSquaredError();
    double first = (1 + 4 + 6.25) / 3.0;
    double second = (0 + 1 + 4) / 3.0;
    assertEquals((first + second) / 2, l.computeScore(null, x, ID, null, true), 1e-12);
    INDArray g = l.computeGradient(null, x, ID, null);
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 6; j++) {
        double expected;
        if (j < 3) {
          expected = 0;
        } else {
          INDArray plus = x.dup();
          INDArray minus = x.dup();
          plus.putScalar(i, j, x.getDouble(i, j) + 1e-6);
          minus.putScalar(i, j, x.getDouble(i, j) - 1e-6);
          expected =
              (l.computeScore(null, plus, ID, null, false)
                      - l.computeScore(null, minus, ID, null, false))
                  / 2e-6;
        }
        assertEquals(expected, g.getDouble(i, j), 1e-6, "row " + i + ", unit " + j);
      }
    }
  }

  /**
   * Two sequences of three steps over a vocabulary of 5 (ids 0-4): the first has targets "4 </s>
   * <pad>", the second "3 4 </s>". The score is the real tokens' -log p summed per sequence and
   * averaged over the 2 sequences; the padded step counts nothing and gets no gradient.
   */
  @Test
  void tokenCrossEntropyLeavesPaddingOut() {
    // RnnOutputLayer hands the loss one row per (sequence, step).
    double[][] p = {
      {0.1, 0.1, 0.1, 0.1, 0.6},
      {0.1, 0.1, 0.5, 0.2, 0.1},
      {0.7, 0.1, 0.1, 0.05, 0.05},
      {0.1, 0.1, 0.1, 0.4, 0.3},
      {0.2, 0.2, 0.1, 0.2, 0.3},
      {0.1, 0.1, 0.6, 0.1, 0.1}
    };
    INDArray logits = Nd4j.createFromArray(p).castTo(DataType.DOUBLE);
    org.nd4j.linalg.ops.transforms.Transforms.log(logits, false);
    INDArray labels = Nd4j.createFromArray(new double[] {4, 2, 0, 3, 4, 2}).reshape(6, 1);
    double expected =
        -(Math.log(0.6) + Math.log(0.5) + Math.log(0.4) + Math.log(0.3) + Math.log(0.6));
    org.nd4j.linalg.activations.impl.ActivationSoftmax softmax =
        new org.nd4j.linalg.activations.impl.ActivationSoftmax();
    TokenXent xent = new TokenXent();
    assertEquals(expected, xent.computeScore(labels, logits, softmax, null, false), 1e-9);
    assertEquals(expected / 6, xent.computeScore(labels, logits, softmax, null, true), 1e-9);
    INDArray g = xent.computeGradient(labels, logits, softmax, null);
    assertEquals(0.0, g.getRow(2).amaxNumber().doubleValue(), 0.0);
    // Softmax cross-entropy's gradient on a real step: p - onehot.
    assertEquals(0.6 - 1, g.getDouble(0, 4), 1e-9);
    assertEquals(0.1, g.getDouble(0, 0), 1e-9);
  }

  /**
   * The fused path (float, softmax) gives DL4J's sparse cross-entropy: the same scores, clipped
   * where a label's probability underflows, and the same gradient, with padding and masked rows at
   * 0.
   */
  @Test
  void fusedTokenXentMatchesDl4jsSparseCrossEntropy() {
    org.nd4j.linalg.activations.impl.ActivationSoftmax softmax =
        new org.nd4j.linalg.activations.impl.ActivationSoftmax();
    Nd4j.getRandom().setSeed(7);
    INDArray logits = Nd4j.randn(DataType.FLOAT, 7, 11).muli(3);
    logits.putScalar(3, 5, -60f); // row 3's label: probability below the 1e-10 clip
    INDArray labels = Nd4j.createFromArray(new float[] {4, 0, 10, 5, 1, 0, 7}).reshape(7, 1);
    INDArray mask = Nd4j.createFromArray(new float[] {1, 1, 1, 1, 0, 1, 0.5f}).reshape(7, 1);
    TokenXent xent = new TokenXent();
    assertTrue(TokenXent.fused(labels, logits, softmax));
    // In double precision the loss goes to DL4J's own sparse cross-entropy.
    INDArray dl = logits.castTo(DataType.DOUBLE);
    INDArray dlLabels = labels.castTo(DataType.DOUBLE);
    assertFalse(TokenXent.fused(dlLabels, dl, softmax));
    INDArray fused = xent.computeScoreArray(labels, logits, softmax, mask);
    INDArray reference =
        xent.computeScoreArray(dlLabels, dl, softmax, mask.castTo(DataType.DOUBLE));
    assertEquals(-Math.log(TokenXent.CLIP), fused.getDouble(3, 0), 1e-4);
    for (int r = 0; r < 7; r++) {
      assertEquals(reference.getDouble(r, 0), fused.getDouble(r, 0), 1e-4, "row " + r);
    }
    assertEquals(0.0, fused.getDouble(1, 0), 0.0); // padding
    assertEquals(0.0, fused.getDouble(4, 0), 0.0); // masked
    INDArray g = xent.computeGradient(labels, logits, softmax, mask);
    INDArray gRef = xent.computeGradient(dlLabels, dl, softmax, mask.castTo(DataType.DOUBLE));
    assertEquals(DataType.FLOAT, g.dataType());
    assertTrue(gRef.castTo(DataType.FLOAT).equalsWithEps(g, 1e-6), g + " against " + gRef);
    assertEquals(0.0, g.getRow(1).amaxNumber().doubleValue(), 0.0);
    assertEquals(
        reference.sumNumber().doubleValue(),
        xent.computeScore(labels, logits, softmax, mask, false),
        1e-3);
  }

  /**
   * The score asked after a gradient (DL4J's order in a training step) comes from the gradient's
   * softmax when its pre-output holds the same values, in a copy as DL4J hands it, with the same
   * labels and mask; any other pre-output, labels or mask is scored afresh.
   */
  @Test
  void scoreAfterGradientReusesItsSoftmaxOnlyForTheSameRows() {
    org.nd4j.linalg.activations.impl.ActivationSoftmax softmax =
        new org.nd4j.linalg.activations.impl.ActivationSoftmax();
    Nd4j.getRandom().setSeed(11);
    // 'f' order, as DL4J's output layer computes its pre-output.
    INDArray logits = Nd4j.randn(DataType.FLOAT, 6, 9).muli(2).dup('f');
    INDArray labels = Nd4j.createFromArray(new float[] {3, 0, 8, 1, 2, 5}).reshape(6, 1);
    INDArray mask = Nd4j.createFromArray(new float[] {1, 1, 0.5f, 1, 0, 1}).reshape(6, 1);
    TokenXent xent = new TokenXent();
    INDArray fresh = xent.computeScoreArray(labels, logits, softmax, mask);

    long before = TokenXent.KeptScores.REUSED.get();
    xent.computeGradient(labels, logits, softmax, mask);
    INDArray reused = xent.computeScoreArray(labels, logits.dup('f'), softmax, mask);
    assertEquals(before + 1, TokenXent.KeptScores.REUSED.get());
    assertTrue(fresh.equalsWithEps(reused, 0.0), reused + " against " + fresh);
    // Given out once: a second score computes again, to the same values.
    assertTrue(fresh.equalsWithEps(xent.computeScoreArray(labels, logits, softmax, mask), 0.0));
    assertEquals(before + 1, TokenXent.KeptScores.REUSED.get());

    // One value changed, a label changed, the mask changed, another layout: scored afresh.
    INDArray changed = logits.dup('f');
    changed.putScalar(2, 8, changed.getFloat(2, 8) + 0.5f); // row 2's label, weight 0.5
    INDArray otherLabels = labels.dup();
    otherLabels.putScalar(0, 0, 4);
    INDArray otherMask = Nd4j.ones(DataType.FLOAT, 6, 1);
    Object[][] cases = {
      {changed, labels, mask},
      {logits, otherLabels, mask},
      {logits, labels, otherMask},
      {logits.dup('c'), labels, mask}
    };
    for (Object[] c : cases) {
      INDArray z = (INDArray) c[0];
      INDArray l = (INDArray) c[1];
      INDArray m = (INDArray) c[2];
      xent.computeGradient(labels, logits, softmax, mask);
      INDArray got = xent.computeScoreArray(l, z, softmax, m);
      INDArray expected =
          xent.computeScoreArray(
              l.castTo(DataType.DOUBLE),
              z.castTo(DataType.DOUBLE),
              softmax,
              m.castTo(DataType.DOUBLE));
      assertEquals(before + 1, TokenXent.KeptScores.REUSED.get());
      for (int r = 0; r < 6; r++) {
        assertEquals(expected.getDouble(r, 0), got.getDouble(r, 0), 1e-4, "row " + r);
      }
    }
    // The 'c' copy of the same values is scored afresh above but gives the same scores.
    assertTrue(
        fresh.equalsWithEps(xent.computeScoreArray(labels, logits.dup('c'), softmax, mask), 1e-6));
  }

  @Test
  void fusedTokenXentRefusesALabelOutsideTheVocabulary() {
    INDArray logits = Nd4j.zeros(DataType.FLOAT, 2, 3);
    INDArray labels = Nd4j.createFromArray(new float[] {1, 3}).reshape(2, 1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TokenXent()
                    .computeGradient(
                        labels,
                        logits,
                        new org.nd4j.linalg.activations.impl.ActivationSoftmax(),
                        null));
    assertTrue(e.getMessage().contains("row 1"), e.getMessage());
  }

  @Test
  void weightedScalesScoreAndGradient() {
    INDArray x = row(0.5, -1.0, 0.2, -0.7);
    Weighted w = new Weighted(new GaussianKl(), 0.25);
    GaussianKl kl = new GaussianKl();
    assertEquals(
        0.25 * kl.computeScore(null, x, ID, null, true), w.computeScore(null, x, ID, null, true));
    assertEquals(
        kl.computeGradient(null, x, ID, null).mul(0.25), w.computeGradient(null, x, ID, null));
    assertThrows(IllegalArgumentException.class, () -> new Weighted(new GaussianKl(), -1));
  }

  @Test
  void halfExpAndItsDerivative() {
    HalfExp h = new HalfExp();
    INDArray x = row(-1.0, 0.0, 2.0);
    INDArray a = h.getActivation(x.dup(), true);
    INDArray d = h.backprop(x.dup(), Nd4j.onesLike(x)).getFirst();
    for (int j = 0; j < 3; j++) {
      double v = x.getDouble(0, j);
      assertEquals(Math.exp(v / 2), a.getDouble(0, j), 1e-12);
      assertEquals(0.5 * Math.exp(v / 2), d.getDouble(0, j), 1e-12);
    }
  }

  /**
   * The graph configuration, custom activation and losses included, survives DL4J's JSON (what
   * ModelSerializer writes and the Spark training master ships to executors).
   */
  @Test
  void graphConfigurationRoundTripsThroughJson() {
    VaeVqa m = Synthetic.tinyVqa("lambda-kl = 0.25");
    ComputationGraphConfiguration conf = m.newGraph(1, new NoOp()).getConfiguration();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertEquals(conf.toJson(), back.toJson());
    LossLayer kl =
        (LossLayer) ((LayerVertex) back.getVertices().get(VaeGraph.KL)).getLayerConf().getLayer();
    assertEquals(new Weighted(new GaussianKl(), 0.25), kl.getLossFn());
    RnnOutputLayer answer =
        (RnnOutputLayer)
            ((LayerVertex) back.getVertices().get(VaeVqa.ANSWER)).getLayerConf().getLayer();
    assertInstanceOf(Weighted.class, answer.getLossFn());
  }
}
