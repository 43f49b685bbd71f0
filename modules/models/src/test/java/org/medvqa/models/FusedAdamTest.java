package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class FusedAdamTest {

  /** Runs {@code steps} updates of {@code config} on a state view placed at an offset. */
  private static INDArray[] run(IUpdater config, DataType type, long n, int steps) {
    Nd4j.getRandom().setSeed(7);
    INDArray grads = Nd4j.rand(type, steps, n).subi(0.5).muli(3);
    // The state sits inside a larger buffer, as DL4J's updater blocks do.
    INDArray big = Nd4j.zeros(type, 1, 2 * n + 11);
    INDArray state =
        big.get(NDArrayIndex.point(0), NDArrayIndex.interval(5, 5 + 2 * n)).reshape(1, 2 * n);
    GradientUpdater u = config.instantiate(state, true);
    INDArray last = null;
    for (int t = 0; t < steps; t++) {
      last = grads.getRow(t).dup().reshape(1, n);
      u.applyUpdater(last, t, 0);
    }
    return new INDArray[] {last, state.dup()};
  }

  @Test
  void givesDl4jAdamsUpdatesAndState() {
    long n = 40_000 + 7; // more than two blocks, the last one partial
    INDArray[] ours = run(new FusedAdam(1e-3), DataType.FLOAT, n, 25);
    INDArray[] dl4j = run(new Adam(1e-3), DataType.FLOAT, n, 25);
    for (int i = 0; i < 2; i++) {
      double scale = dl4j[i].norm2Number().doubleValue() / Math.sqrt(n);
      double diff = ours[i].sub(dl4j[i]).amaxNumber().doubleValue();
      assertTrue(
          diff <= 1e-5 * scale + 1e-9, (i == 0 ? "update" : "state") + " differs by " + diff);
    }
    assertNotEquals(0.0, ours[0].amaxNumber().doubleValue());
  }

  @Test
  void doublePrecisionGoesToDl4jsOpUnchanged() {
    INDArray[] ours = run(new FusedAdam(1e-2), DataType.DOUBLE, 1000, 5);
    INDArray[] dl4j = run(new Adam(1e-2), DataType.DOUBLE, 1000, 5);
    assertEquals(dl4j[0], ours[0]);
    assertEquals(dl4j[1], ours[1]);
  }

  private static ComputationGraph graph(IUpdater updater) {
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(3)
            .dataType(DataType.FLOAT)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("x")
            .setInputTypes(InputType.feedForward(20))
            .addLayer(
                "h", new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build(), "x")
            .addLayer(
                "y",
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .nOut(5)
                    .activation(Activation.SOFTMAX)
                    .build(),
                "h")
            .setOutputs("y")
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  @Test
  void trainsAGraphAsAdamDoesAndSurvivesItsJson() {
    ComputationGraph ours = graph(new FusedAdam(1e-2));
    ComputationGraph dl4j = graph(new Adam(1e-2));
    Nd4j.getRandom().setSeed(11);
    INDArray x = Nd4j.rand(DataType.FLOAT, 64, 20);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 64, 5);
    for (int i = 0; i < 64; i++) {
      y.putScalar(i, i % 5, 1f);
    }
    for (int step = 0; step < 30; step++) {
      ours.fit(new INDArray[] {x}, new INDArray[] {y});
      dl4j.fit(new INDArray[] {x}, new INDArray[] {y});
    }
    double diff = ours.params().sub(dl4j.params()).amaxNumber().doubleValue();
    assertTrue(diff < 1e-4, "parameters differ by " + diff);
    assertTrue(ours.score() < 1.5, "did not learn: loss " + ours.score());

    ComputationGraphConfiguration back =
        ComputationGraphConfiguration.fromJson(ours.getConfiguration().toJson());
    for (String layer : new String[] {"h", "y"}) {
      BaseLayer l =
          (BaseLayer) ((LayerVertex) back.getVertices().get(layer)).getLayerConf().getLayer();
      assertInstanceOf(FusedAdam.class, l.getIUpdater());
      assertEquals(new FusedAdam(1e-2), l.getIUpdater());
    }
    assertNotEquals(new Adam(1e-2), new FusedAdam(1e-2));
    assertNotEquals(new FusedAdam(1e-2), new Adam(1e-2));
  }
}
