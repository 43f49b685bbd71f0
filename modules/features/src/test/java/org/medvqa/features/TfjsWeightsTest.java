package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class TfjsWeightsTest {
  /**
   * Writes a graph's weights as Keras would export them to TF.js: Keras names and layouts, float32
   * little-endian, concatenated and cut into shards of {@code shardBytes} (tensors straddle
   * shards).
   */
  static Path writeTfjs(ComputationGraph g, Path dir, int shardBytes) throws IOException {
    Files.createDirectories(dir);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("format", "layers-model");
    ArrayNode layers =
        root.putObject("modelTopology")
            .putObject("model_config")
            .putObject("config")
            .putArray("layers");
    ArrayNode weights = json.createArrayNode();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (Layer l : g.getLayers()) {
      String name = l.conf().getLayer().getLayerName();
      Map<String, INDArray> table = l.paramTable();
      if (table.isEmpty()) {
        continue;
      }
      ObjectNode layer = layers.addObject();
      layer.put("name", name);
      if (l.conf().getLayer() instanceof BatchNormalization) {
        layer.put("class_name", "BatchNormalization");
        layer.putObject("config").put("epsilon", ResNet50.BN_EPSILON);
        add(weights, bytes, name + "/gamma", table.get("gamma"));
        add(weights, bytes, name + "/beta", table.get("beta"));
        add(weights, bytes, name + "/moving_mean", table.get("mean"));
        add(weights, bytes, name + "/moving_variance", table.get("var"));
      } else {
        boolean conv = l.conf().getLayer() instanceof ConvolutionLayer;
        layer.put("class_name", conv ? "Conv2D" : "Dense");
        INDArray w = table.get("W");
        // DL4J [out, in, kh, kw] -> Keras (kh, kw, in, out)
        add(weights, bytes, name + "/kernel", conv ? w.permute(2, 3, 1, 0) : w);
        add(weights, bytes, name + "/bias", table.get("b").reshape(-1));
      }
    }
    byte[] all = bytes.toByteArray();
    ArrayNode paths = json.createArrayNode();
    int shards = (all.length + shardBytes - 1) / shardBytes;
    for (int i = 0; i < shards; i++) {
      String file = "group1-shard" + (i + 1) + "of" + shards + ".bin";
      paths.add(file);
      Files.write(
          dir.resolve(file),
          Arrays.copyOfRange(all, i * shardBytes, Math.min(all.length, (i + 1) * shardBytes)));
    }
    ObjectNode group = root.putArray("weightsManifest").addObject();
    group.set("paths", paths);
    group.set("weights", weights);
    Path model = dir.resolve("model.json");
    json.writeValue(model.toFile(), root);
    return model;
  }

  private static void add(ArrayNode manifest, ByteArrayOutputStream out, String name, INDArray a) {
    ObjectNode w = manifest.addObject();
    w.put("name", name);
    w.put("dtype", "float32");
    ArrayNode shape = w.putArray("shape");
    for (long d : a.shape()) {
      shape.add(d);
    }
    float[] f = a.dup('c').data().asFloat();
    ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(f);
    out.writeBytes(b.array());
  }

  @Test
  void kerasWeightsLoadByNameAndReproduceTheNetwork(@TempDir Path dir) throws Exception {
    ComputationGraph source = TinyNets.randomWithStatistics(3);
    Path model = writeTfjs(source, dir, 10_000);
    TfjsWeights read = TfjsWeights.read(model);
    assertEquals(source.numParams(), read.weights().parameterCount());
    // The manifest lists Keras layouts; the weight set holds DL4J's.
    TfjsWeights.Entry conv1 =
        read.manifest().stream()
            .filter(e -> e.name().equals("conv1/kernel"))
            .findFirst()
            .orElseThrow();
    assertArrayEquals(new long[] {7, 7, 3, 64 / TinyNets.DIVISOR}, conv1.shape());
    assertArrayEquals(
        new long[] {64 / TinyNets.DIVISOR, 3, 7, 7}, read.weights().get("conv1", "W").shape());
    assertEquals("BatchNormalization", read.layerClasses().get("bn_conv1"));

    ComputationGraph target = TinyNets.builder().optSeed(99).build().init();
    read.weights().applyTo(target);
    INDArray x = TinyNets.input(2, CNN2DFormat.NCHW, 5);
    INDArray expected = source.output(false, x)[0];
    INDArray got = target.output(false, x)[0];
    assertTrue(got.equalsWithEps(expected, 1e-5), "imported network differs from the exported one");
  }

  @Test
  void aKerasKernelElementLandsWhereDl4jExpectsIt(@TempDir Path dir) throws Exception {
    ComputationGraph source = TinyNets.randomWithStatistics(4);
    Path model = writeTfjs(source, dir, 1 << 20);
    WeightSet w = TfjsWeights.read(model).weights();
    INDArray dl4j = source.getLayer("res2a_branch2b").getParam("W"); // [out, in, kh, kw]
    // Keras kernel[kh=2][kw=0][in=1][out=3] is DL4J W[3][1][2][0].
    assertEquals(dl4j.getFloat(3, 1, 2, 0), w.get("res2a_branch2b", "W").getFloat(3, 1, 2, 0), 0f);
  }

  @Test
  void brokenPackagesAreRefusedWithTheReason(@TempDir Path dir) throws Exception {
    Path model = writeTfjs(TinyNets.builder().build().init(), dir, 10_000);
    Path shard = dir.resolve("group1-shard2of" + (Files.list(dir).count() - 1) + ".bin");
    byte[] b = Files.readAllBytes(shard);
    Files.write(shard, Arrays.copyOf(b, b.length - 4));
    IOException e = assertThrows(IOException.class, () -> TfjsWeights.read(model));
    assertTrue(e.getMessage().contains("bytes"), e.getMessage());
    Files.delete(shard);
    e = assertThrows(IOException.class, () -> TfjsWeights.read(model));
    assertTrue(e.getMessage().contains("is missing"), e.getMessage());
  }
}
