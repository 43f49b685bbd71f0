package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
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

/** Each λ scales its own term: the score is the weighted sum, and a zero λ silences a gradient. */
class LossWeightsTest {
  private static final List<Example> DATA = Synthetic.vqa(3, 5, 5, 0.1);

  @BeforeEach
  void doublePrecision() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterEach
  void floatPrecision() {
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
  }

  private static String lambdas(double a, double kl, double image, double question) {
    return "lambda-answer = "
        + a
        + ", lambda-kl = "
        + kl
        + ", lambda-image = "
        + image
        + ", lambda-question = "
        + question;
  }

  private static MultiDataSet doubles(MultiDataSet mds) {
    return new org.nd4j.linalg.dataset.MultiDataSet(
        GradientCheckTest.toDouble(mds.getFeatures()),
        GradientCheckTest.toDouble(mds.getLabels()),
        GradientCheckTest.toDouble(mds.getFeaturesMaskArrays()),
        GradientCheckTest.toDouble(mds.getLabelsMaskArrays()));
  }

  /** A graph with the weights of {@code settings} and the parameters of {@code like}. */
  private static ComputationGraph graph(String settings, ComputationGraph like) {
    ComputationGraph net = Synthetic.tinyVqa(settings).newGraph(3, new NoOp(), DataType.DOUBLE);
    if (like != null) {
      net.setParams(like.params().dup());
    }
    return net;
  }

  private static double score(String settings, ComputationGraph like, INDArray eps) {
    VaeVqa m = Synthetic.tinyVqa(settings);
    return graph(settings, like).score(doubles(m.batch(DATA, eps)), true);
  }

  @Test
  void scoreIsTheWeightedSumOfTheTerms() {
    INDArray eps = GradientCheckTest.fixedEps(DATA.size(), 2);
    ComputationGraph base = graph(lambdas(1, 1, 1, 1), null);
    double ce = score(lambdas(1, 0, 0, 0), base, eps);
    double kl = score(lambdas(0, 1, 0, 0), base, eps);
    double lv = score(lambdas(0, 0, 1, 0), base, eps);
    double lq = score(lambdas(0, 0, 0, 1), base, eps);
    for (double t : new double[] {ce, kl, lv, lq}) {
      assertTrue(t > 0, "every term is positive on random weights: " + t);
    }
    double mixed = score(lambdas(2, 3, 5, 7), base, eps);
    assertEquals(2 * ce + 3 * kl + 5 * lv + 7 * lq, mixed, 1e-9 * mixed);
    assertEquals(0.0, score(lambdas(0, 0, 0, 0), base, eps), 1e-12);
  }

  private static Map<String, INDArray> gradients(String settings, INDArray eps) {
    VaeVqa m = Synthetic.tinyVqa(settings);
    ComputationGraph net = m.newGraph(3, new NoOp(), DataType.DOUBLE);
    MultiDataSet mds = doubles(m.batch(DATA, eps));
    net.setInputs(mds.getFeatures());
    net.setLabels(mds.getLabels());
    net.setLayerMaskArrays(mds.getFeaturesMaskArrays(), mds.getLabelsMaskArrays());
    net.computeGradientAndScore();
    return net.gradient().gradientForVariable();
  }

  private static double norm(Map<String, INDArray> g, String layer) {
    return g.get(layer + "_W").norm2Number().doubleValue();
  }

  @Test
  void aZeroWeightSilencesTheParametersOnlyItsTermReaches() {
    INDArray eps = GradientCheckTest.fixedEps(DATA.size(), 2);
    INDArray zeros = Nd4j.zeros(DataType.FLOAT, DATA.size(), 2);
    Map<String, INDArray> all = gradients(lambdas(1, 1, 1, 1), eps);
    for (String layer :
        List.of(
            VaeVqa.ANSWER,
            VaeGraph.DECODER_LSTM,
            "image-reconstruction-output",
            "question-reconstruction-output",
            VaeGraph.LOGVAR)) {
      assertTrue(norm(all, layer) > 1e-8, layer + " has a gradient with every term on");
    }
    // λ1: the answer's output layer and the decoder LSTM learn only from the cross-entropy.
    Map<String, INDArray> g = gradients(lambdas(0, 1, 1, 1), eps);
    assertEquals(0.0, norm(g, VaeVqa.ANSWER));
    assertEquals(0.0, norm(g, VaeGraph.DECODER_LSTM));
    // λ3 and λ4: each reconstruction MLP learns only from its own error.
    g = gradients(lambdas(1, 1, 0, 1), eps);
    assertEquals(0.0, norm(g, "image-reconstruction-output"));
    assertEquals(0.0, norm(g, "image-reconstruction-hidden"));
    assertTrue(norm(g, "question-reconstruction-output") > 1e-8);
    g = gradients(lambdas(1, 1, 1, 0), eps);
    assertEquals(0.0, norm(g, "question-reconstruction-output"));
    assertEquals(0.0, norm(g, "question-reconstruction-hidden"));
    assertTrue(norm(g, "image-reconstruction-output") > 1e-8);
    // λ2: with eps = 0, logvar reaches no other term than the KL.
    assertTrue(norm(gradients(lambdas(1, 1, 1, 1), zeros), VaeGraph.LOGVAR) > 1e-8);
    assertEquals(0.0, norm(gradients(lambdas(1, 0, 1, 1), zeros), VaeGraph.LOGVAR));
    // ... and with noise it reaches the others through sigma * eps.
    assertTrue(norm(gradients(lambdas(1, 0, 1, 1), eps), VaeGraph.LOGVAR) > 1e-8);
  }
}
