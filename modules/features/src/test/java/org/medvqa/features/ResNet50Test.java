package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class ResNet50Test {
  @Test
  void theFullNetworkHasTheKerasLayersAndParameterCount() {
    ComputationGraph g = ResNet50.builder().optTop(true).build().init();
    // Keras' ResNet50 (include_top=True): 25,636,712 parameters.
    assertEquals(25_636_712L, g.numParams());
    for (String name :
        new String[] {
          "conv1",
          "bn_conv1",
          "res2a_branch1",
          "bn2a_branch1",
          "res4f_branch2c",
          "bn5c_branch2c",
          "fc1000"
        }) {
      assertNotNull(g.getLayer(name), name);
    }
    assertArrayEquals(new long[] {64, 3, 7, 7}, g.getLayer("conv1").getParam("W").shape());
    assertArrayEquals(
        new long[] {512, 1024, 1, 1}, g.getLayer("res5a_branch2a").getParam("W").shape());
    assertArrayEquals(new long[] {2048, 1000}, g.getLayer("fc1000").getParam("W").shape());
    assertEquals(7, ResNet50.builder().build().mapSide());
    assertEquals("res5c_relu", ResNet50.builder().build().mapLayer());
  }

  @Test
  void outputsHaveTheDocumentedShapes() {
    ResNet50 net = TinyNets.builder().optMap(true).build();
    ComputationGraph g = net.init();
    INDArray[] out = g.output(false, TinyNets.input(2, CNN2DFormat.NCHW, 1));
    assertEquals(2048 / TinyNets.DIVISOR, net.featureWidth());
    assertArrayEquals(new long[] {2, net.featureWidth()}, out[0].shape());
    assertArrayEquals(
        new long[] {2, net.featureWidth(), net.mapSide(), net.mapSide()}, out[1].shape());
  }

  @Test
  void nhwcAndFoldedBatchNormGiveTheSameFeatures() {
    ComputationGraph reference = TinyNets.randomWithStatistics(7);
    WeightSet w = WeightSet.of(reference);
    INDArray expected = reference.output(false, TinyNets.input(3, CNN2DFormat.NCHW, 2))[0];
    for (CNN2DFormat format : CNN2DFormat.values()) {
      for (boolean fold : new boolean[] {false, true}) {
        ComputationGraph g =
            TinyNets.builder().optFormat(format).optFoldBatchNorm(fold).build().init();
        w.applyTo(g);
        if (fold) {
          assertNull(g.getVertex("bn_conv1"), "a folded graph has no batch norms");
        }
        INDArray got = g.output(false, TinyNets.input(3, format, 2))[0];
        double diff = got.sub(expected).amaxNumber().doubleValue();
        double scale = expected.amaxNumber().doubleValue();
        assertTrue(
            diff <= 1e-4 * scale + 1e-5,
            format + " fold=" + fold + ": max difference " + diff + " of " + scale);
      }
    }
  }

  @Test
  void missingOrMisshapenWeightsAreNamed() {
    ComputationGraph tiny = TinyNets.builder().build().init();
    WeightSet w = WeightSet.of(tiny);
    ComputationGraph wider =
        ResNet50.builder().optImageSize(64).optWidthDivisor(8).optBlocks(1, 2, 1, 1).build().init();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> w.applyTo(wider));
    assertTrue(
        e.getMessage().contains("layer 'conv1'") && e.getMessage().contains("shape"),
        e.getMessage());
    ComputationGraph deeper =
        ResNet50.builder()
            .optImageSize(64)
            .optWidthDivisor(16)
            .optBlocks(2, 2, 1, 1)
            .build()
            .init();
    e = assertThrows(IllegalArgumentException.class, () -> w.applyTo(deeper));
    assertTrue(e.getMessage().contains("res2b_branch2a"), e.getMessage());
  }
}
