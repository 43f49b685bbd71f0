package org.medvqa.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Keeping the workers' networks between averaging rounds must not change what is trained: the same
 * graph, data and seeds give the same parameters and updater state as dl4j-spark's own workers.
 * Adam's state and its bias correction (which reads the iteration count) make a round that started
 * from anything but the averaged state show up.
 */
class KeptNetworkTrainingMasterTest {
  private static JavaSparkContext sc;

  @BeforeAll
  static void start() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("kept-network-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  @Test
  void keptNetworksTrainWhatRebuiltOnesTrain() {
    List<DataSet> data = data();
    ComputationGraph rebuilt = train(data, false);
    int before = KeptNetworkTrainingMaster.Worker.REUSED.get();
    ComputationGraph kept = train(data, true);
    int reused = KeptNetworkTrainingMaster.Worker.REUSED.get() - before;

    // 2 epochs of 4 rounds on 2 workers: 16 worker rounds. Only a task thread's first round of the
    // run builds a network (and a thread Spark starts anew), so at least half start on a kept one.
    assertTrue(reused >= 8, "rounds on a kept network: " + reused);
    assertClose(rebuilt.params(), kept.params(), "parameters");
    assertClose(
        rebuilt.getUpdater().getStateViewArray(),
        kept.getUpdater().getStateViewArray(),
        "Adam state");
    assertEquals(
        rebuilt.getConfiguration().getIterationCount(),
        kept.getConfiguration().getIterationCount());
  }

  private static void assertClose(INDArray a, INDArray b, String what) {
    double diff = a.sub(b).amaxNumber().doubleValue();
    double scale = a.amaxNumber().doubleValue();
    assertTrue(diff <= 1e-5 * Math.max(1, scale), what + " differ by " + diff);
  }

  private static ComputationGraph train(List<DataSet> data, boolean keep) {
    ParameterAveragingTrainingMaster.Builder b =
        new ParameterAveragingTrainingMaster.Builder(2, 8)
            .batchSizePerWorker(8)
            .averagingFrequency(2)
            .workerPrefetchNumBatches(0)
            .saveUpdater(true)
            .rngSeed(42)
            .repartionData(Repartition.Never);
    TrainingMaster<?, ?> master = keep ? new KeptNetworkTrainingMaster(b) : b.build();
    ComputationGraph net = new ComputationGraph(graph());
    net.init();
    SparkComputationGraph spark = new SparkComputationGraph(sc, net, master);
    JavaRDD<DataSet> rdd = sc.parallelize(data, 2);
    for (int epoch = 0; epoch < 2; epoch++) {
      spark.fit(rdd);
    }
    return spark.getNetwork();
  }

  private static org.deeplearning4j.nn.conf.ComputationGraphConfiguration graph() {
    return new NeuralNetConfiguration.Builder()
        .seed(7)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-2))
        .graphBuilder()
        .addInputs("in")
        .addLayer(
            "h", new DenseLayer.Builder().nIn(6).nOut(10).activation(Activation.TANH).build(), "in")
        .addLayer(
            "out",
            new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(10)
                .nOut(3)
                .activation(Activation.SOFTMAX)
                .build(),
            "h")
        .setOutputs("out")
        .build();
  }

  /** 128 examples in minibatches of 8: 16 minibatches, 8 per worker, 4 rounds of 2 per epoch. */
  private static List<DataSet> data() {
    Nd4j.getRandom().setSeed(3);
    List<DataSet> out = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      INDArray x = Nd4j.randn(DataType.FLOAT, 8, 6);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 3);
      for (int r = 0; r < 8; r++) {
        y.putScalar(
            r, (int) ((x.getDouble(r, 0) > 0 ? 1 : 0) + (x.getDouble(r, 1) > 0 ? 1 : 0)), 1);
      }
      out.add(new DataSet(x, y));
    }
    return out;
  }
}
