package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
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

  static boolean check(ComputationGraph net, MultiDataSet mds, String... skippedLayers) {
    // Parameters off the path of the loss under test are skipped to keep the check to seconds: both
    // their gradients are zero (the loss-weight test checks that separately).
    Set<String> skip = new HashSet<>();
    for (String layer : skippedLayers) {
      net.getLayer(layer).paramTable().keySet().forEach(p -> skip.add(layer + "_" + p));
    }
    return GradientCheckUtil.checkGradients(
        new GradientCheckUtil.GraphConfig()
            .net(net)
            .inputs(toDouble(mds.getFeatures()))
            .labels(toDouble(mds.getLabels()))
            .inputMask(toDouble(mds.getFeaturesMaskArrays()))
            .labelMask(toDouble(mds.getLabelsMaskArrays()))
            .epsilon(1e-6)
            .maxRelError(1e-3)
            .minAbsoluteError(1e-9)
            .print(GradientCheckUtil.PrintMode.FAILURES_ONLY)
            .excludeParams(skip)
            .exitOnFirstError(false));
  }

  static INDArray fixedEps(int n, int z) {
    return Sequences.noise(n, z, new Random(42));
  }

  private static final String[] DECODER = {
    VaeGraph.DECODER_EMBEDDING, VaeGraph.DECODER_LSTM, VaeVqa.ANSWER
  };

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
            "lambda-answer = 1.0, lambda-kl = 0.5, lambda-image = 2.0, lambda-question = 3.0"));
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
            DECODER));
  }

  @Test
  void vqgGraphWithEveryLossTerm() {
    VaeVqg m = Synthetic.tinyVqg("lambda-question = 1.0, lambda-kl = 0.7, lambda-image = 2.0");
    List<Example> data = Synthetic.vqg(3, 5, 5, 0.1);
    ComputationGraph net = m.newGraph(3, new NoOp(), DataType.DOUBLE);
    assertTrue(check(net, m.batch(data, fixedEps(data.size(), 2))));
  }
}
