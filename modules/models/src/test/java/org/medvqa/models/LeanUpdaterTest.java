package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LeanUpdaterTest {

  private static ComputationGraph graph(double l2) {
    NeuralNetConfiguration.Builder b =
        new NeuralNetConfiguration.Builder()
            .seed(3)
            .dataType(DataType.FLOAT)
            .updater(new FusedAdam(1e-2))
            .weightInit(WeightInit.XAVIER);
    if (l2 > 0) {
      b.l2(l2);
    }
    ComputationGraph net =
        new ComputationGraph(
            b.graphBuilder()
                .addInputs("x")
                .setInputTypes(InputType.feedForward(12))
                .addLayer(
                    "h", new DenseLayer.Builder().nOut(9).activation(Activation.TANH).build(), "x")
                .addLayer(
                    "y",
                    new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(4)
                        .activation(Activation.SOFTMAX)
                        .build(),
                    "h")
                .setOutputs("y")
                .build());
    net.init();
    return net;
  }

  /** Parameters and updater state after fitting the same minibatches. */
  private static INDArray[] fit(ComputationGraph net) {
    Nd4j.getRandom().setSeed(11);
    for (int step = 0; step < 6; step++) {
      INDArray x = Nd4j.randn(DataType.FLOAT, 8, 12);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 4);
      for (int i = 0; i < 8; i++) {
        y.putScalar(i, (i + step) % 4, 1f);
      }
      net.fit(new MultiDataSet(x, y));
    }
    return new INDArray[] {net.params().dup(), net.getUpdater().getStateViewArray().dup()};
  }

  @Test
  void skipsOnlyTheEmptyRegularisationPass() {
    ComputationGraph dl4j = graph(0);
    ComputationGraph lean = graph(0);
    assertEquals(1, LeanUpdater.install(lean));
    assertInstanceOf(LeanUpdater.Block.class, lean.getUpdater().getUpdaterBlocks().get(0));
    assertEquals(0, LeanUpdater.install(lean)); // already lean
    INDArray[] a = fit(dl4j);
    INDArray[] b = fit(lean);
    assertEquals(a[0], b[0]);
    assertEquals(a[1], b[1]);
    assertNotEquals(graph(0).params(), b[0]); // it trained
  }

  @Test
  void leavesARegularisedBlockToDl4j() {
    ComputationGraph net = graph(1e-2);
    assertEquals(0, LeanUpdater.install(net));
    // The L2 term is applied: the same steps end elsewhere than without it.
    assertNotEquals(fit(graph(0))[0], fit(net)[0]);
  }
}
