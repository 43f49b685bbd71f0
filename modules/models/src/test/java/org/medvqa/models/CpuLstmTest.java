package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CpuLstmTest {
  private static final int IN = 7;
  private static final int HIDDEN = 5;
  private static final int OUT = 3;

  private static LSTM lstm(int nIn, int nOut, RNNFormat format) {
    return new LSTM.Builder()
        .nIn(nIn)
        .nOut(nOut)
        .activation(Activation.TANH)
        .dataFormat(format)
        .build();
  }

  /** x -> LSTM -> LSTM -> RNN output (squared error), with DL4J's LSTM or CpuLstm. */
  private static ComputationGraph graph(boolean cpu, RNNFormat format, DataType type) {
    LSTM first = lstm(IN, HIDDEN, format);
    LSTM second = lstm(HIDDEN, HIDDEN, format);
    ComputationGraph net =
        new ComputationGraph(
            new NeuralNetConfiguration.Builder()
                .seed(11)
                .dataType(type)
                .updater(new Adam(1e-2))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("x")
                .addLayer("lstm1", cpu ? CpuLstm.of(first) : first, "x")
                .addLayer("lstm2", cpu ? CpuLstm.of(second) : second, "lstm1")
                .addLayer(
                    "out",
                    new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(HIDDEN)
                        .nOut(OUT)
                        .activation(Activation.IDENTITY)
                        .dataFormat(format)
                        .build(),
                    "lstm2")
                .setOutputs("out")
                .build());
    net.init();
    return net;
  }

  private static MultiDataSet data(int mb, int steps, RNNFormat format, DataType type) {
    Nd4j.getRandom().setSeed(3);
    INDArray x = Nd4j.randn(type, mb, IN, steps).muli(1.5);
    INDArray y = Nd4j.randn(type, mb, OUT, steps);
    if (format == RNNFormat.NWC) {
      x = x.permute(0, 2, 1).dup();
      y = y.permute(0, 2, 1).dup();
    }
    return new MultiDataSet(new INDArray[] {x}, new INDArray[] {y});
  }

  private static void assertClose(INDArray expected, INDArray actual, double tol, String what) {
    assertEquals(
        java.util.Arrays.toString(expected.shape()),
        java.util.Arrays.toString(actual.shape()),
        what + " shape");
    double scale = Math.max(1e-3, expected.amaxNumber().doubleValue());
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(diff <= tol * scale, what + " differs by " + diff + " (largest " + scale + ")");
  }

  private static int passes(ComputationGraph net) {
    return ((CpuLstm.Impl) net.getLayer("lstm1")).cpuPasses()
        + ((CpuLstm.Impl) net.getLayer("lstm2")).cpuPasses();
  }

  @Test
  void givesDl4jsOutputScoreAndGradients() {
    for (RNNFormat format : RNNFormat.values()) {
      for (int steps : new int[] {1, 6}) {
        ComputationGraph dl4j = graph(false, format, DataType.FLOAT);
        ComputationGraph ours = graph(true, format, DataType.FLOAT);
        assertEquals(dl4j.params(), ours.params(), "same initial parameters");
        MultiDataSet d = data(4, steps, format, DataType.FLOAT);
        String at = format + ", " + steps + " steps: ";
        assertClose(
            dl4j.output(d.getFeatures())[0], ours.output(d.getFeatures())[0], 1e-5, at + "output");
        dl4j.setInputs(d.getFeatures());
        dl4j.setLabels(d.getLabels());
        dl4j.computeGradientAndScore();
        ours.setInputs(d.getFeatures());
        ours.setLabels(d.getLabels());
        ours.computeGradientAndScore();
        assertEquals(dl4j.score(), ours.score(), 1e-5 * Math.abs(dl4j.score()), at + "score");
        for (String layer : new String[] {"lstm1", "lstm2"}) {
          for (String p : new String[] {"W", "RW", "b"}) {
            String key = layer + "_" + p;
            assertClose(
                dl4j.gradient().getGradientFor(key),
                ours.gradient().getGradientFor(key),
                1e-4,
                at + key);
          }
        }
        assertClose(
            dl4j.gradient().gradient(), ours.gradient().gradient(), 1e-4, at + "flat gradient");
        assertTrue(passes(ours) > 0, "the CPU helper computed the passes");
      }
    }
  }

  @Test
  void trainsLikeDl4jsLstm() {
    ComputationGraph dl4j = graph(false, RNNFormat.NCW, DataType.FLOAT);
    ComputationGraph ours = graph(true, RNNFormat.NCW, DataType.FLOAT);
    MultiDataSet d = data(8, 5, RNNFormat.NCW, DataType.FLOAT);
    for (int i = 0; i < 30; i++) {
      dl4j.fit(d);
      ours.fit(d);
    }
    assertClose(dl4j.params(), ours.params(), 1e-3, "parameters after 30 Adam steps");
    assertTrue(
        ours.score() < 0.9 * score(graph(true, RNNFormat.NCW, DataType.FLOAT), d), "it learned");
  }

  private static double score(ComputationGraph net, MultiDataSet d) {
    net.setInputs(d.getFeatures());
    net.setLabels(d.getLabels());
    net.computeGradientAndScore();
    return net.score();
  }

  @Test
  void stepsLikeTheWholeSequence() {
    ComputationGraph ours = graph(true, RNNFormat.NCW, DataType.FLOAT);
    INDArray x = data(3, 5, RNNFormat.NCW, DataType.FLOAT).getFeatures(0);
    INDArray whole = ours.output(x)[0];
    ours.rnnClearPreviousState();
    for (int t = 0; t < 5; t++) {
      INDArray step =
          x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1));
      INDArray out = ours.rnnTimeStep(step)[0];
      assertClose(
          whole.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)),
          out.reshape(3, OUT, 1),
          1e-5,
          "step " + t);
    }
  }

  @Test
  void givesDl4jsResultsWithMasks() {
    // DL4J's LSTM does not pass a feature mask to its helper: masked steps are zeroed around it.
    ComputationGraph dl4j = graph(false, RNNFormat.NCW, DataType.FLOAT);
    ComputationGraph ours = graph(true, RNNFormat.NCW, DataType.FLOAT);
    MultiDataSet d = data(4, 6, RNNFormat.NCW, DataType.FLOAT);
    INDArray mask = Nd4j.ones(DataType.FLOAT, 4, 6);
    mask.get(NDArrayIndex.point(1), NDArrayIndex.interval(4, 6)).assign(0);
    INDArray[] masks = {mask};
    assertClose(
        dl4j.output(false, d.getFeatures(), masks)[0],
        ours.output(false, d.getFeatures(), masks)[0],
        1e-5,
        "masked output");
    for (ComputationGraph net : new ComputationGraph[] {dl4j, ours}) {
      net.setInputs(d.getFeatures());
      net.setLabels(d.getLabels());
      net.setLayerMaskArrays(masks, masks);
      net.computeGradientAndScore();
    }
    assertClose(dl4j.gradient().gradient(), ours.gradient().gradient(), 1e-4, "masked gradient");
    assertTrue(passes(ours) > 0);
  }

  @Test
  void leavesDoublesToDl4j() {
    ComputationGraph dl4jD = graph(false, RNNFormat.NCW, DataType.DOUBLE);
    ComputationGraph oursD = graph(true, RNNFormat.NCW, DataType.DOUBLE);
    MultiDataSet dd = data(4, 6, RNNFormat.NCW, DataType.DOUBLE);
    assertEquals(dl4jD.output(dd.getFeatures())[0], oursD.output(dd.getFeatures())[0]);
    assertEquals(0, passes(oursD), "double precision is DL4J's");
  }

  @Test
  void keepsItsClassAndSettingsThroughJson() {
    ComputationGraph ours = graph(true, RNNFormat.NCW, DataType.FLOAT);
    ComputationGraphConfiguration back =
        ComputationGraphConfiguration.fromJson(ours.getConfiguration().toJson());
    Object layer = ((LayerVertex) back.getVertices().get("lstm1")).getLayerConf().getLayer();
    assertInstanceOf(CpuLstm.class, layer);
    assertEquals(
        ((LayerVertex) ours.getConfiguration().getVertices().get("lstm1"))
            .getLayerConf()
            .getLayer(),
        layer);
    LSTM plain = lstm(IN, HIDDEN, RNNFormat.NCW);
    CpuLstm copy = CpuLstm.of(plain);
    assertEquals(plain.getForgetGateBiasInit(), copy.getForgetGateBiasInit());
    assertEquals(plain.getGateActivationFn(), copy.getGateActivationFn());
    assertEquals(plain.getActivationFn(), copy.getActivationFn());
    ComputationGraph loaded = new ComputationGraph(back);
    loaded.init(ours.params().dup(), false);
    INDArray x = data(2, 4, RNNFormat.NCW, DataType.FLOAT).getFeatures(0);
    assertEquals(ours.output(x)[0], loaded.output(x)[0]);
    assertTrue(((CpuLstm.Impl) loaded.getLayer("lstm1")).cpuPasses() > 0);
  }
}
