package org.medvqa.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads a Keras model saved in the TensorFlow.js layers format ({@code model.json} with a weights
 * manifest, plus binary shards of little-endian float32 tensors concatenated in manifest order) and
 * converts its weights to DL4J layouts: convolution kernels (kh, kw, in, out) become [out, in, kh,
 * kw]; dense kernels (in, out) stay; batch-norm {@code moving_mean}/{@code moving_variance} become
 * {@code mean}/{@code var} with the epsilon of the layer's Keras config.
 */
public final class TfjsWeights {
  /** One tensor of the manifest: its full name ({@code layer/param}) and shape. */
  public record Entry(String name, long[] shape) {
    public long length() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    public String layer() {
      return name.substring(0, name.indexOf('/'));
    }

    public String param() {
      return name.substring(name.indexOf('/') + 1);
    }
  }

  private final List<Entry> manifest;
  private final Map<String, String> layerClasses;
  private final Map<String, Double> epsilons;
  private final WeightSet weights;

  private TfjsWeights(
      List<Entry> manifest,
      Map<String, String> layerClasses,
      Map<String, Double> epsilons,
      WeightSet weights) {
    this.manifest = manifest;
    this.layerClasses = layerClasses;
    this.epsilons = epsilons;
    this.weights = weights;
  }

  /** The tensors listed in the manifest, in order. */
  public List<Entry> manifest() {
    return Collections.unmodifiableList(manifest);
  }

  /**
   * Keras class of each layer of the topology ({@code Conv2D}, {@code BatchNormalization}, ...).
   */
  public Map<String, String> layerClasses() {
    return Collections.unmodifiableMap(layerClasses);
  }

  /** The weights in DL4J layouts. */
  public WeightSet weights() {
    return weights;
  }

  /**
   * Reads {@code model.json} and the shards beside it.
   *
   * @throws IOException when a file is missing, a shard is short or long, or a tensor is not
   *     float32, naming the file or tensor
   */
  public static TfjsWeights read(Path modelJson) throws IOException {
    JsonNode root = new ObjectMapper().readTree(modelJson.toFile());
    if (!"layers-model".equals(root.path("format").asText("layers-model"))) {
      throw new IOException(
          modelJson + ": format '" + root.path("format").asText() + "', expected layers-model");
    }
    Map<String, String> classes = new HashMap<>();
    Map<String, Double> eps = new HashMap<>();
    for (JsonNode layer :
        root.path("modelTopology").path("model_config").path("config").path("layers")) {
      String name = layer.path("name").asText();
      classes.put(name, layer.path("class_name").asText());
      JsonNode e = layer.path("config").path("epsilon");
      if (!e.isMissingNode()) {
        eps.put(name, e.asDouble());
      }
    }
    List<Entry> entries = new ArrayList<>();
    List<Path> shards = new ArrayList<>();
    readManifest(root, modelJson, entries, shards);
    checkShards(modelJson, entries, shards);
    WeightSet weights = readShards(entries, shards, eps);
    return new TfjsWeights(entries, classes, eps, weights);
  }

  /** Collects the manifest's tensors and the shard files beside {@code modelJson}, in order. */
  private static void readManifest(
      JsonNode root, Path modelJson, List<Entry> entries, List<Path> shards) throws IOException {
    Path dir = modelJson.toAbsolutePath().getParent();
    for (JsonNode group : root.path("weightsManifest")) {
      for (JsonNode p : group.path("paths")) {
        shards.add(dir.resolve(p.asText()));
      }
      for (JsonNode w : group.path("weights")) {
        String dtype = w.path("dtype").asText();
        if (!dtype.equals("float32")) {
          throw new IOException(
              modelJson
                  + ": tensor "
                  + w.path("name").asText()
                  + " is "
                  + dtype
                  + ", only float32 is supported");
        }
        if (w.has("quantization")) {
          throw new IOException(
              modelJson + ": tensor " + w.path("name").asText() + " is quantised; not supported");
        }
        long[] shape = new long[w.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = w.path("shape").get(i).asLong();
        }
        entries.add(new Entry(w.path("name").asText(), shape));
      }
    }
    if (entries.isEmpty()) {
      throw new IOException(modelJson + ": no weightsManifest entries");
    }
  }

  /** The shards must exist and hold exactly the manifest's tensors, four bytes a value. */
  private static void checkShards(Path modelJson, List<Entry> entries, List<Path> shards)
      throws IOException {
    long expected = entries.stream().mapToLong(Entry::length).sum() * 4;
    long actual = 0;
    for (Path s : shards) {
      if (!Files.isRegularFile(s)) {
        throw new IOException("weight shard " + s + " is missing");
      }
      actual += Files.size(s);
    }
    if (actual != expected) {
      throw new IOException(
          modelJson + ": the shards hold " + actual + " bytes, the manifest lists " + expected);
    }
  }

  /** Reads the tensors from the shards, read as one stream, into DL4J layouts. */
  private static WeightSet readShards(
      List<Entry> entries, List<Path> shards, Map<String, Double> eps) throws IOException {
    WeightSet weights = new WeightSet();
    List<InputStream> streams = new ArrayList<>();
    for (Path s : shards) {
      streams.add(Files.newInputStream(s));
    }
    try (DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(
                new SequenceInputStream(Collections.enumeration(streams)), 1 << 20))) {
      for (Entry e : entries) {
        float[] data = readFloats(in, e);
        weights.put(e.layer(), dl4jParam(e.param()), toDl4j(e, data));
        if (e.param().equals("gamma")) {
          weights.epsilon(e.layer(), eps.getOrDefault(e.layer(), ResNet50.BN_EPSILON));
        }
      }
    } finally {
      for (InputStream s : streams) {
        s.close();
      }
    }
    return weights;
  }

  private static float[] readFloats(DataInputStream in, Entry e) throws IOException {
    long n = e.length();
    if (n > Integer.MAX_VALUE / 4) {
      throw new IOException("tensor " + e.name() + " is too large");
    }
    byte[] bytes = new byte[(int) n * 4];
    try {
      in.readFully(bytes);
    } catch (EOFException ex) {
      throw new IOException("the shards end inside tensor " + e.name(), ex);
    }
    float[] out = new float[(int) n];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** Keras parameter names to DL4J's. */
  static String dl4jParam(String keras) {
    return switch (keras) {
      case "kernel" -> WeightSet.W;
      case "bias" -> WeightSet.B;
      case "gamma" -> WeightSet.GAMMA;
      case "beta" -> WeightSet.BETA;
      case "moving_mean" -> WeightSet.MEAN;
      case "moving_variance" -> WeightSet.VAR;
      default -> throw new IllegalArgumentException("unknown Keras parameter '" + keras + "'");
    };
  }

  private static INDArray toDl4j(Entry e, float[] data) {
    INDArray a = Nd4j.create(data, e.shape(), 'c').castTo(DataType.FLOAT);
    if (e.param().equals("kernel") && e.shape().length == 4) {
      // Keras (kh, kw, in, out) -> DL4J [out, in, kh, kw]
      return a.permute(3, 2, 0, 1).dup('c');
    }
    return a;
  }

  /** The Keras epsilon of a batch-norm layer, if the topology states one. */
  public Double epsilon(String layer) {
    return epsilons.get(layer);
  }
}
