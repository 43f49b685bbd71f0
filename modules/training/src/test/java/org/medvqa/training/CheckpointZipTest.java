package org.medvqa.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class CheckpointZipTest {

  private static ComputationGraph trainedOnce() {
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(7)
            .updater(new Adam(1e-2))
            .graphBuilder()
            .addInputs("in")
            .addLayer("h", new DenseLayer.Builder().nIn(6).nOut(5).build(), "in")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .activation(Activation.SOFTMAX)
                    .nIn(5)
                    .nOut(3)
                    .build(),
                "h")
            .setOutputs("out")
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    INDArray x = Nd4j.rand(8, 6);
    INDArray y = Nd4j.zeros(8, 3);
    for (int i = 0; i < 8; i++) {
      y.putScalar(i, i % 3, 1);
    }
    net.fit(new INDArray[] {x}, new INDArray[] {y}); // Adam's state is no longer zero
    return net;
  }

  @Test
  void modelSerializerReadsBackTheConfigurationParametersAndUpdaterState() throws Exception {
    ComputationGraph net = trainedOnce();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CheckpointZip.write(net, bytes);
    ComputationGraph back =
        ModelSerializer.restoreComputationGraph(
            new ByteArrayInputStream(bytes.toByteArray()), true);
    assertEquals(net.getConfiguration().toJson(), back.getConfiguration().toJson());
    assertEquals(net.params(), back.params());
    INDArray state = net.getUpdater().getStateViewArray();
    assertTrue(state.sumNumber().doubleValue() != 0, "the test's state is not all zeros");
    assertEquals(state, back.getUpdater().getStateViewArray());
  }

  @Test
  void theEntriesAreModelSerializers() throws Exception {
    ComputationGraph net = trainedOnce();
    boolean[] closed = {false};
    ByteArrayOutputStream ours =
        new ByteArrayOutputStream() {
          @Override
          public void close() {
            closed[0] = true;
          }
        };
    CheckpointZip.write(net, ours);
    assertFalse(closed[0], "the caller's stream stays open for the caller to close");
    ByteArrayOutputStream theirs = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, theirs, true);
    assertEquals(entries(theirs.toByteArray()), entries(ours.toByteArray()));
  }

  /** Each entry's name and content, in order. */
  private static List<String> entries(byte[] zip) throws Exception {
    List<String> out = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        out.add(e.getName() + " " + java.util.Arrays.hashCode(in.readAllBytes()));
      }
    }
    return out;
  }
}
