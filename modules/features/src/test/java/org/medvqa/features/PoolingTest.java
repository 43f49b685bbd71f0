package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Requirements;
import org.medvqa.core.config.ConfigProblem;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code medvqa.features.pooling}: the settings, and every engine against poolings computed here
 * from the DL4J graph's own activations.
 */
class PoolingTest {
  private static final Pooling ALL =
      new Pooling(
          List.of("res5-mean", "res5-max", "res4-mean", "res4-max", "res3-max", "res4-grid"));

  @Test
  void badListsAreRefusedNamingTheKey() {
    for (List<String> bad :
        List.of(
            List.<String>of(),
            List.of("res6-mean"),
            List.of("res4-sum"),
            List.of("res4-max", "res4-max"))) {
      ConfigProblem e = assertThrows(ConfigProblem.class, () -> new Pooling(bad));
      assertTrue(e.getMessage().contains("medvqa.features.pooling"), e.getMessage());
    }
  }

  @Test
  void stagesAndWidthFollowTheList() {
    ResNet50 full = ResNet50.builder().build();
    assertArrayEquals(new int[0], Pooling.DEFAULT.mapStages());
    assertEquals(2048, Pooling.DEFAULT.width(full));
    assertArrayEquals(new int[] {3, 4, 5}, ALL.mapStages());
    assertEquals(2048 + 2048 + 1024 + 1024 + 512 + 4 * 1024, ALL.width(full));
    assertArrayEquals(
        new int[] {2048 * 2 + 1024 * 2 + 512, ALL.width(full)}, ALL.range("res4-grid", full));
    assertEquals(14, full.stageSide(4));
    assertEquals(7, full.mapSide());
    assertEquals("res4f_relu", full.stageLayer(4));
  }

  @Test
  void onlyAnotherPoolingChangesTheCacheSignature() {
    FeatureSettings s = OneDnnEngineTest.settings("gemm", "fp32", 2, false);
    assertEquals(FeatureTable.signature(s), FeatureTable.signature(s.withPooling(Pooling.DEFAULT)));
    assertTrue(FeatureTable.signature(s).endsWith("map=false"), FeatureTable.signature(s));
    assertNotEquals(FeatureTable.signature(s), FeatureTable.signature(s.withPooling(ALL)));
  }

  @Test
  void bothSpellingsOfALocalModelFileGiveOneSignature() {
    FeatureSettings s = OneDnnEngineTest.settings("gemm", "fp32", 2, false);
    String slash = FeatureTable.signature(s.withModelFile("file:/work/models/r.zip"));
    String triple = FeatureTable.signature(s.withModelFile("file:///work/models/r.zip"));
    assertEquals(slash, triple);
    assertTrue(slash.contains("model=file:/work/models/r.zip"), slash);
    assertTrue(FeatureTable.sameSignature(triple.replace("file:/", "file:///"), slash));
    assertFalse(
        FeatureTable.sameSignature(
            slash, FeatureTable.signature(s.withModelFile("file:/other.zip"))));
    assertEquals("s3a://b/r.zip", FeatureTable.localForm("s3a://b/r.zip"));
  }

  /** Mean or max over the positions of an NCHW activation [n, c, h, w], for image {@code i}. */
  private static float[] reference(INDArray act, int i, boolean max) {
    INDArray image = act.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i));
    INDArray flat = image.reshape(image.size(0), image.size(1) * image.size(2));
    return (max ? flat.max(1) : flat.mean(1)).toFloatVector();
  }

  /** The means of the four quadrants of an NCHW activation [n, c, h, w] with an even side. */
  private static float[] quadrants(INDArray act, int i) {
    int h = (int) act.size(2);
    float[] out = new float[0];
    for (int[] q : new int[][] {{0, 0}, {0, 1}, {1, 0}, {1, 1}}) {
      INDArray part =
          act.get(
              org.nd4j.linalg.indexing.NDArrayIndex.point(i),
              org.nd4j.linalg.indexing.NDArrayIndex.all(),
              org.nd4j.linalg.indexing.NDArrayIndex.interval(q[0] * h / 2, (q[0] + 1) * h / 2),
              org.nd4j.linalg.indexing.NDArrayIndex.interval(q[1] * h / 2, (q[1] + 1) * h / 2));
      out = concat(out, part.reshape(part.size(0), -1).mean(1).toFloatVector());
    }
    return out;
  }

  @Test
  void theGridOfAnOddMapSharesItsMiddleRowAndColumn() {
    // One channel, a 3 x 3 map 0..8 (row-major): each quadrant is a 2 x 2 block around a corner.
    float[] map = new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8};
    float[] out = new float[4];
    Pooling.grid(map, 0, 3, 1, out, 0);
    assertArrayEquals(new float[] {2, 3, 5, 6}, out, 1e-6f);
    assertTrue(
        assertThrows(ConfigProblem.class, () -> new Pooling(List.of("res4-grid3")))
            .getMessage()
            .contains("-grid"));
  }

  @Test
  void everyEngineGivesThePoolingsOfTheGraphsActivations() {
    ComputationGraph g = TinyNets.randomWithStatistics(11);
    WeightSet w = WeightSet.of(g);
    int n = 3;
    INDArray nchw = TinyNets.input(n, CNN2DFormat.NCHW, 4);
    Map<String, INDArray> acts = g.feedForward(nchw, false);
    ResNet50 net = TinyNets.builder().build();
    List<float[]> expected = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] e = new float[0];
      for (String item : ALL.items()) {
        int stage = item.charAt(3) - '0';
        INDArray act = acts.get(net.stageLayer(stage));
        float[] part =
            item.endsWith("grid") ? quadrants(act, i) : reference(act, i, item.endsWith("max"));
        e = concat(e, part);
      }
      expected.add(e);
    }
    float[] input = TinyNets.input(n, CNN2DFormat.NHWC, 4).data().asFloat();
    for (String engine : List.of("dl4j", "gemm", "onednn")) {
      if (engine.equals("onednn")) {
        Requirements.require(
            OneDnnRuntime.problem() == null, String.valueOf(OneDnnRuntime.problem()));
      }
      // Batch 4 for 3 images: the engines pad, as the last batch of an extraction does.
      FeatureModel m =
          FeatureModel.build(
              OneDnnEngineTest.settings(engine, "fp32", 4, false).withPooling(ALL), w);
      float[][][] out = m.run(input, n);
      for (int i = 0; i < n; i++) {
        assertEquals(ALL.width(net), out[i][0].length, engine);
        ModelLoaderTest.assertClose(expected.get(i), out[i][0], engine + ", image " + i);
      }
    }
  }

  @Test
  void theDefaultPoolingIsTheGraphsAveragePool() {
    ComputationGraph g = TinyNets.randomWithStatistics(12);
    INDArray nchw = TinyNets.input(2, CNN2DFormat.NCHW, 6);
    INDArray pool = g.output(false, nchw)[0];
    float[] input = TinyNets.input(2, CNN2DFormat.NHWC, 6).data().asFloat();
    FeatureModel m =
        FeatureModel.build(OneDnnEngineTest.settings("gemm", "fp32", 2, false), WeightSet.of(g));
    float[][][] out = m.run(input, 2);
    for (int i = 0; i < 2; i++) {
      ModelLoaderTest.assertClose(pool.getRow(i).toFloatVector(), out[i][0], "image " + i);
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
