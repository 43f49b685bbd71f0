package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Requirements;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The proof of the import, on the real weights ({@code make weights}) and a real photograph
 * (Debian's python-matplotlib-data ships {@code grace_hopper.jpg}). Skips, saying what is missing,
 * when either is absent.
 */
class RealWeightsTest {
  static final Path WEIGHTS =
      Path.of(System.getProperty("medvqa.weights", "../../models/resnet50-keras-imagenet.zip"));
  static final Path GRACE_HOPPER =
      Path.of("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg");

  /** ImageNet class 652, "military uniform". */
  static final int MILITARY_UNIFORM = 652;

  static ComputationGraph graph;
  static byte[] photo;

  @BeforeAll
  static void load() throws Exception {
    Requirements.require(
        Files.isRegularFile(WEIGHTS),
        "no weights at " + WEIGHTS.toAbsolutePath() + ": run `make weights` first");
    Requirements.require(
        Files.isRegularFile(GRACE_HOPPER),
        "no " + GRACE_HOPPER + ": apt-get install python-matplotlib-data");
    graph = ModelSerializer.restoreComputationGraph(new File(WEIGHTS.toString()), false);
    photo = Files.readAllBytes(GRACE_HOPPER);
  }

  @Test
  void graceHopperIsAMilitaryUniform() throws Exception {
    float[] x = new float[3 * 224 * 224];
    new ImagePreprocessor(224, false, true, false, 20000).prepare(photo, x, 0);
    INDArray[] out = graph.output(false, Nd4j.create(x, new long[] {1, 3, 224, 224}, 'c'));
    INDArray probs = out[out.length - 1];
    int best = probs.argMax(1).getInt(0);
    float p = probs.getFloat(0, best);
    System.out.printf("grace_hopper.jpg: class %d, p = %.4f%n", best, p);
    assertEquals(MILITARY_UNIFORM, best);
    assertTrue(p >= 0.9, "p = " + p);
  }

  @Test
  void parameterShapesMatchTheManifest() throws Exception {
    Path manifest = WEIGHTS.toAbsolutePath().getParent().resolve("npm/package/ResNet50/model.json");
    Requirements.require(Files.isRegularFile(manifest), "no " + manifest + ": run `make weights`");
    TfjsWeights keras = TfjsWeights.read(manifest);
    assertEquals(320, keras.manifest().size());
    assertEquals(graph.numParams(), keras.weights().parameterCount());
    for (TfjsWeights.Entry e : keras.manifest()) {
      if (!List.of(
              "conv1", "bn_conv1", "res3a_branch1", "res4f_branch2b", "bn5c_branch2c", "fc1000")
          .contains(e.layer())) {
        continue;
      }
      INDArray p = graph.getLayer(e.layer()).getParam(TfjsWeights.dl4jParam(e.param()));
      long[] keras4 = e.shape();
      long[] expected =
          keras4.length == 4 ? new long[] {keras4[3], keras4[2], keras4[0], keras4[1]} : keras4;
      assertEquals(e.length(), p.length(), e.name());
      if (expected.length > 1) {
        assertArrayEquals(expected, p.shape(), e.name());
      }
    }
  }

  @Test
  void theFastLayoutGivesTheSameFeatures() throws Exception {
    WeightSet w = WeightSet.of(graph);
    float[][] pooled = new float[2][];
    int i = 0;
    for (boolean fast : new boolean[] {false, true}) {
      FeatureSettings s =
          new FeatureSettings(
              "file",
              WEIGHTS.toString(),
              224,
              "stretch",
              "caffe",
              20000,
              false,
              1,
              false,
              false,
              0,
              false,
              fast ? "gemm" : "dl4j");
      FeatureModel m = FeatureModel.build(s, w);
      float[] x = new float[3 * 224 * 224];
      new ImagePreprocessor(s).prepare(photo, x, 0);
      pooled[i++] = m.run(x, 1)[0][0];
    }
    assertEquals(ResNet50.FEATURES, pooled[0].length);
    ModelLoaderTest.assertClose(
        pooled[0], pooled[1], "the DL4J graph (NCHW, batch norms kept) vs the gemm engine");
  }
}
