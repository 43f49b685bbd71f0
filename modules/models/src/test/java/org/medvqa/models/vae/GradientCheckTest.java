package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.medvqa.models.Example;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Back-propagated gradients of the whole VAE graphs against finite differences, in double
 * precision, with a fixed non-zero eps so that the reparameterisation path (exp(logvar / 2) * eps)
 * carries gradient. Loss weights other than 1 check that each weight reaches its gradient.
 */
class GradientCheckTest {
  @BeforeEach
  void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterEach
  void floatPrecision() {
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
  }

  static INDArray[] toDouble(INDArray[] a) {
    if (a == null) {
      return null;
    }
    INDArray[] out = new INDArray[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] == null ? null : a[i].castTo(DataType.DOUBLE);
    }
    return out;
  }

  /**
   * Every parameter's back-propagated gradient against central differences of the score, entry by
   * entry. DL4J's GradientCheckUtil is not used: it names parameters by the order of the flattened
   * parameter vector, which in these graphs is not the order of its name table, so excluding a
   * layer by name excluded other parameters (a failure was reported as fusion_W while the values
   * were the question LSTM's biases). The gradient DL4J computes is of the loss summed over the
   * minibatch (its updater divides by the minibatch size), the score is the mean, hence the factor
   * n.
   */
  static boolean check(ComputationGraph net, MultiDataSet mds, String... skippedLayers) {
    Set<String> skip = new HashSet<>(List.of(skippedLayers));
    INDArray[] in = toDouble(mds.getFeatures());
    INDArray[] labels = toDouble(mds.getLabels());
    org.nd4j.linalg.dataset.MultiDataSet d = new org.nd4j.linalg.dataset.MultiDataSet(in, labels);
    net.setInputs(in);
    net.setLabels(labels);
    net.computeGradientAndScore();
    long n = in[0].size(0);
    boolean ok = true;
    for (var e : net.gradient().gradientForVariable().entrySet()) {
      String key = e.getKey();
      int sep = key.lastIndexOf('_');
      if (skip.contains(key.substring(0, sep))) {
        continue;
      }
      INDArray p = net.getLayer(key.substring(0, sep)).getParam(key.substring(sep + 1));
      INDArray g = e.getValue();
      for (long j = 0; j < p.length(); j++) {
        // By subscripts: parameters and gradients need not share a memory order.
        long[] at = org.nd4j.linalg.api.shape.Shape.ind2subC(p.shape(), j);
        double original = p.getDouble(at);
        p.putScalar(at, original + 1e-6);
        double plus = net.score(d, true);
        p.putScalar(at, original - 1e-6);
        double minus = net.score(d, true);
        p.putScalar(at, original);
        double numeric = n * (plus - minus) / 2e-6;
        double analytic = g.getDouble(at);
        double abs = Math.abs(numeric - analytic);
        if (abs > 1e-8 && abs / (Math.abs(numeric) + Math.abs(analytic)) > 1e-3) {
          System.err.println(
              key + java.util.Arrays.toString(at) + ": " + analytic + " against " + numeric);
          ok = false;
        }
      }
    }
    return ok;
  }

  static INDArray fixedEps(int n, int z) {
    return Sequences.noise(n, z, new Random(42));
  }

  private static final String[] DECODER = {
    VaeGraph.DECODER_EMBEDDING, VaeGraph.DECODER_LSTM, VaeVqa.ANSWER
  };

  /**
   * The reconstruction targets (h_v, h_q) are detached: their loss sends no gradient into the
   * layers that compute them, while finite differences see the target move. Checks with a
   * reconstruction term leave those layers out; {@link #vqaGraphWithoutReconstruction} checks them.
   */
  private static final String[] TARGET_LAYERS = {
    "image-encoder", "question-embedding", "question-lstm"
  };

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static boolean checkVqa(String settings, String... skippedLayers) {
    VaeVqa m = Synthetic.tinyVqa(settings);
    List<Example> data = Synthetic.vqa(3, 5, 5, 0.1);
    ComputationGraph net = m.newGraph(3, new NoOp(), DataType.DOUBLE);
    return check(net, m.batch(data, fixedEps(data.size(), 2)), skippedLayers);
  }

  @Test
  void vqaGraphWithEveryLossTerm() {
    assertTrue(
        checkVqa(
            "lambda-answer = 1.0, lambda-kl = 0.5, lambda-image = 2.0, lambda-question = 3.0",
            TARGET_LAYERS));
  }

  @Test
  void vqaGraphWithoutReconstruction() {
    assertTrue(
        checkVqa(
            "lambda-answer = 1.0, lambda-kl = 0.5, reconstruct-image = false,"
                + " reconstruct-question = false"));
  }

  @Test
  void vqaKlAlone() {
    assertTrue(
        checkVqa(
            "lambda-answer = 0, lambda-kl = 1.0, lambda-image = 0, lambda-question = 0,"
                + " reconstruct-image = false, reconstruct-question = false",
            DECODER));
  }

  @Test
  void vqaReconstructionsAlone() {
    assertTrue(
        checkVqa(
            "lambda-answer = 0, lambda-kl = 0, lambda-image = 1.0, lambda-question = 2.0",
            concat(DECODER, TARGET_LAYERS)));
  }

  @Test
  void vqgGraphWithEveryLossTerm() {
    VaeVqg m = Synthetic.tinyVqg("lambda-question = 1.0, lambda-kl = 0.7, lambda-image = 2.0");
    List<Example> data = Synthetic.vqg(3, 5, 5, 0.1);
    ComputationGraph net = m.newGraph(3, new NoOp(), DataType.DOUBLE);
    assertTrue(check(net, m.batch(data, fixedEps(data.size(), 2)), "image-encoder"));
  }

  @Test
  void vqgGraphWithoutReconstruction() {
    VaeVqg m =
        Synthetic.tinyVqg("lambda-question = 1.0, lambda-kl = 0.7, reconstruct-image = false");
    List<Example> data = Synthetic.vqg(3, 5, 5, 0.1);
    ComputationGraph net = m.newGraph(3, new NoOp(), DataType.DOUBLE);
    assertTrue(check(net, m.batch(data, fixedEps(data.size(), 2))));
  }
}
