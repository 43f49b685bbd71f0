package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LeanLayersTest {
  private static final int N = 6;
  private static final int STEPS = 3;
  private static final int VOCAB = 7;

  /**
   * A graph with the VAE's shapes of use: dense layers (one with dropout on its input, one linear)
   * into a squared-error loss layer, and a decoder LSTM into a softmax output over sequences.
   * {@code lean} wraps the dense and output layers, the rest is the same.
   */
  private static ComputationGraph graph(boolean lean, DataType type) {
    UnaryOperator<Layer> d = l -> lean ? LeanDense.of((DenseLayer) l) : l;
    UnaryOperator<Layer> o = l -> lean ? LeanRnnOutput.of((RnnOutputLayer) l) : l;
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(5)
            .dataType(type)
            .updater(new Adam(1e-2))
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("x", "words")
            .addLayer(
                "h",
                d.apply(
                    new DenseLayer.Builder()
                        .nIn(10)
                        .nOut(8)
                        .activation(Activation.TANH)
                        .dropOut(0.8)
                        .build()),
                "x")
            .addLayer(
                "rec",
                d.apply(
                    new DenseLayer.Builder()
                        .nIn(8)
                        .nOut(10)
                        .activation(Activation.IDENTITY)
                        .build()),
                "h")
            .addLayer(
                "rec-loss",
                new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                    .activation(Activation.IDENTITY)
                    .build(),
                "rec")
            .addVertex("steps", new DuplicateToTimeSeriesVertex("words"), "h")
            .addVertex("dec-in", new MergeVertex(), "words", "steps")
            .addLayer(
                "lstm",
                CpuLstm.of(
                    new LSTM.Builder()
                        .nIn(3 + 8)
                        .nOut(9)
                        .activation(Activation.TANH)
                        .dataFormat(RNNFormat.NCW)
                        .build()),
                "dec-in")
            .addLayer(
                "out",
                o.apply(
                    new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(9)
                        .nOut(VOCAB)
                        .activation(Activation.SOFTMAX)
                        .dataFormat(RNNFormat.NCW)
                        .build()),
                "lstm")
            .setOutputs("rec-loss", "out")
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  private static MultiDataSet batch(int step, DataType type) {
    INDArray x = Nd4j.randn(type, N, 10);
    INDArray words = Nd4j.randn(type, N, 3, STEPS);
    INDArray labels = Nd4j.zeros(type, N, VOCAB, STEPS);
    for (int i = 0; i < N; i++) {
      for (int s = 0; s < STEPS; s++) {
        labels.putScalar(new long[] {i, (i + s + step) % VOCAB, s}, 1.0);
      }
    }
    return new MultiDataSet(new INDArray[] {x, words}, new INDArray[] {x.dup(), labels});
  }

  /** Parameters, Adam state and last score after the same minibatches and dropout draws. */
  private static Object[] fit(ComputationGraph net, DataType type) {
    Nd4j.getRandom().setSeed(17);
    for (int step = 0; step < 5; step++) {
      net.fit(batch(step, type));
    }
    return new Object[] {
      net.params().dup(), net.getUpdater().getStateViewArray().dup(), net.score()
    };
  }

  @Test
  void trainsExactlyAsDl4jsLayers() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      ComputationGraph dl4j = graph(false, type);
      ComputationGraph lean = graph(true, type);
      lean.setParams(dl4j.params().dup());
      INDArray start = dl4j.params().dup();
      Object[] a = fit(dl4j, type);
      Object[] b = fit(lean, type);
      assertEquals(a[0], b[0], type + " parameters");
      assertEquals(a[1], b[1], type + " Adam state");
      assertEquals((double) a[2], (double) b[2], 0.0, type + " score");
      assertNotEquals(start, b[0]); // it trained

      // Every training step took the kept pre-activation instead of computing it again.
      for (String dense : new String[] {"h", "rec"}) {
        assertEquals(5, ((LeanDense.Impl) lean.getLayer(dense)).kept.reused, dense);
      }
      assertEquals(5, ((LeanRnnOutput.Impl) lean.getLayer("out")).kept.reused);

      // Inference is DL4J's.
      MultiDataSet test = batch(9, type);
      INDArray[] p = dl4j.output(false, test.getFeatures());
      INDArray[] q = lean.output(false, test.getFeatures());
      assertEquals(p[1], q[1]);
      assertEquals(p[0], q[0]);
    }
  }

  @Test
  void aScoreWithoutBackpropComputesItsOwn() {
    ComputationGraph dl4j = graph(false, DataType.FLOAT);
    ComputationGraph lean = graph(true, DataType.FLOAT);
    lean.setParams(dl4j.params().dup());
    fit(dl4j, DataType.FLOAT);
    fit(lean, DataType.FLOAT);
    // A score in training mode runs the forward pass and the score, no backprop: nothing kept from
    // the last step may stand in for this batch's values.
    MultiDataSet other = batch(42, DataType.FLOAT);
    Nd4j.getRandom().setSeed(3);
    double a = dl4j.score(other, true);
    Nd4j.getRandom().setSeed(3);
    double b = lean.score(other, true);
    assertEquals(a, b, 0.0);
    assertEquals(dl4j.score(other, false), lean.score(other, false), 0.0);
  }

  @Test
  void keepsTheSettingsAndTheJson() {
    ComputationGraphConfiguration conf = graph(true, DataType.FLOAT).getConfiguration();
    ComputationGraphConfiguration read = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertEquals(conf, read);
    Layer h =
        ((org.deeplearning4j.nn.conf.graph.LayerVertex) read.getVertices().get("h"))
            .getLayerConf()
            .getLayer();
    assertInstanceOf(LeanDense.class, h);
    assertEquals(0.8, ((org.deeplearning4j.nn.conf.dropout.Dropout) h.getIDropout()).getP(), 0.0);
    Layer out =
        ((org.deeplearning4j.nn.conf.graph.LayerVertex) read.getVertices().get("out"))
            .getLayerConf()
            .getLayer();
    assertInstanceOf(LeanRnnOutput.class, out);
    assertEquals(RNNFormat.NCW, ((LeanRnnOutput) out).getRnnDataFormat());
    assertTrue(((LeanRnnOutput) out).getLossFn().toString().contains("MCXENT"));
    // A DL4J layer with the same settings is not equal to the lean one, and the other way round.
    DenseLayer plain = new DenseLayer.Builder().nIn(2).nOut(3).build();
    assertNotEquals(plain, LeanDense.of(plain));
    assertNotEquals(LeanDense.of(plain), plain);
  }
}
