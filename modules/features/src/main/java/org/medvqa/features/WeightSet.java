package org.medvqa.features;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Weights by layer name, in DL4J's layouts, independent of where they came from (the Keras TF.js
 * files, a saved DL4J model, the DL4J zoo) and of the graph they go into (NCHW or NHWC, batch norms
 * folded or not): convolution {@code W} [out, in, kh, kw] and {@code b} [out]; batch norm {@code
 * gamma}, {@code beta}, {@code mean}, {@code var} [channels] with its epsilon; dense {@code W} [in,
 * out] and {@code b} [out].
 */
public final class WeightSet {
  public static final String W = DefaultParamInitializer.WEIGHT_KEY;
  public static final String B = DefaultParamInitializer.BIAS_KEY;
  public static final String GAMMA = BatchNormalizationParamInitializer.GAMMA;
  public static final String BETA = BatchNormalizationParamInitializer.BETA;
  public static final String MEAN = BatchNormalizationParamInitializer.GLOBAL_MEAN;
  public static final String VAR = BatchNormalizationParamInitializer.GLOBAL_VAR;
  private static final String LOG_STD = BatchNormalizationParamInitializer.GLOBAL_LOG_STD;

  private final Map<String, Map<String, INDArray>> layers = new LinkedHashMap<>();
  private final Map<String, Double> epsilons = new LinkedHashMap<>();

  /** Adds one parameter (kept as given: callers hand over arrays they no longer use). */
  public void put(String layer, String param, INDArray value) {
    layers.computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(param, value);
  }

  /** Records the epsilon of a batch-norm layer. */
  public void epsilon(String layer, double eps) {
    epsilons.put(layer, eps);
  }

  public boolean has(String layer) {
    return layers.containsKey(layer);
  }

  public INDArray get(String layer, String param) {
    Map<String, INDArray> p = layers.get(layer);
    return p == null ? null : p.get(param);
  }

  public Set<String> layerNames() {
    return layers.keySet();
  }

  /** Number of tensors. */
  public int tensorCount() {
    return layers.values().stream().mapToInt(Map::size).sum();
  }

  /** Number of scalar parameters. */
  public long parameterCount() {
    return layers.values().stream()
        .flatMap(m -> m.values().stream())
        .mapToLong(INDArray::length)
        .sum();
  }

  /**
   * The weights of a DL4J graph by layer name (copies). Batch norms stored as log10 of the standard
   * deviation (DL4J's default) are turned back into variances.
   */
  public static WeightSet of(ComputationGraph graph) {
    WeightSet w = new WeightSet();
    for (Layer l : graph.getLayers()) {
      String name = l.conf().getLayer().getLayerName();
      Map<String, INDArray> table = l.paramTable();
      if (table == null || table.isEmpty()) {
        continue;
      }
      if (l.conf().getLayer() instanceof BatchNormalization bn) {
        double eps = bn.getEps();
        w.epsilon(name, eps);
        w.put(name, GAMMA, table.get(GAMMA).dup().reshape(-1));
        w.put(name, BETA, table.get(BETA).dup().reshape(-1));
        w.put(name, MEAN, table.get(MEAN).dup().reshape(-1));
        if (table.containsKey(VAR)) {
          w.put(name, VAR, table.get(VAR).dup().reshape(-1));
        } else {
          // log10(std) with std = sqrt(var + eps)
          INDArray std =
              Transforms.pow(
                  Nd4j.valueArrayOf(table.get(LOG_STD).shape(), 10.0f), table.get(LOG_STD), true);
          w.put(name, VAR, std.muli(std).subi(eps).reshape(-1));
        }
        continue;
      }
      for (Map.Entry<String, INDArray> e : table.entrySet()) {
        INDArray v = e.getValue().dup();
        w.put(name, e.getKey(), e.getKey().equals(B) ? v.reshape(-1) : v);
      }
    }
    return w;
  }

  /**
   * Sets every parameter of {@code graph} from these weights, by layer name. A convolution whose
   * batch norm is in these weights but not in the graph gets it folded in: with {@code s = gamma /
   * sqrt(var + eps)}, {@code W' = W s} per output channel and {@code b' = (b - mean) s + beta}.
   *
   * @throws IllegalArgumentException naming the layer when a weight is missing or has the wrong
   *     shape
   */
  public void applyTo(ComputationGraph graph) {
    for (Layer l : graph.getLayers()) {
      String name = l.conf().getLayer().getLayerName();
      Map<String, INDArray> table = l.paramTable();
      if (table == null || table.isEmpty()) {
        continue;
      }
      if (!has(name)) {
        throw new IllegalArgumentException("no weights for layer '" + name + "'");
      }
      if (l.conf().getLayer() instanceof BatchNormalization bn) {
        for (String p : new String[] {GAMMA, BETA, MEAN, VAR}) {
          if (!table.containsKey(p)) {
            throw new IllegalArgumentException(
                "batch norm '"
                    + name
                    + "' must store '"
                    + p
                    + "' (build it with useLogStd(false))");
          }
          copy(name, p, require(name, p), table.get(p));
        }
        double eps = epsilons.getOrDefault(name, ResNet50.BN_EPSILON);
        if (Math.abs(eps - bn.getEps()) > 1e-12) {
          throw new IllegalArgumentException(
              "batch norm '" + name + "' has epsilon " + bn.getEps() + ", the weights " + eps);
        }
        continue;
      }
      boolean fold =
          l.conf().getLayer() instanceof ConvolutionLayer
              && has(ResNet50.batchNormFor(name))
              && graph.getVertex(ResNet50.batchNormFor(name)) == null;
      INDArray weights = require(name, W);
      INDArray bias = get(name, B);
      if (bias == null) {
        long out = ((FeedForwardLayer) l.conf().getLayer()).getNOut();
        bias = Nd4j.zeros(weights.dataType(), out);
      }
      if (fold) {
        INDArray[] f = folded(name);
        weights = f[0];
        bias = f[1];
      }
      copy(name, W, weights, table.get(W));
      if (table.containsKey(B)) {
        copy(name, B, bias, table.get(B));
      }
    }
  }

  /**
   * A convolution's weights [out, in, kh, kw] and bias [out] with its batch norm folded in (as they
   * are when the weights hold no batch norm for it).
   */
  public INDArray[] folded(String conv) {
    INDArray weights = require(conv, W);
    INDArray bias = get(conv, B);
    if (bias == null) {
      bias = Nd4j.zeros(weights.dataType(), weights.size(0));
    }
    String bnName = ResNet50.batchNormFor(conv);
    if (!has(bnName)) {
      return new INDArray[] {weights, bias};
    }
    double eps = epsilons.getOrDefault(bnName, ResNet50.BN_EPSILON);
    INDArray scale =
        require(bnName, GAMMA).div(Transforms.sqrt(require(bnName, VAR).add(eps), false));
    long out = weights.size(0);
    return new INDArray[] {
      weights.mul(scale.reshape(out, 1, 1, 1)),
      bias.sub(require(bnName, MEAN)).muli(scale).addi(require(bnName, BETA))
    };
  }

  private INDArray require(String layer, String param) {
    INDArray v = get(layer, param);
    if (v == null) {
      throw new IllegalArgumentException("no weight '" + param + "' for layer '" + layer + "'");
    }
    return v;
  }

  private static void copy(String layer, String param, INDArray from, INDArray to) {
    boolean vector = from.length() == to.length() && (from.rank() == 1 || to.rank() == 1);
    if (!vector && !Arrays.equals(from.shape(), to.shape())) {
      throw new IllegalArgumentException(
          "layer '"
              + layer
              + "' parameter '"
              + param
              + "': weights have shape "
              + Arrays.toString(from.shape())
              + ", the graph expects "
              + Arrays.toString(to.shape()));
    }
    to.assign(vector ? from.reshape(to.shape()) : from);
  }
}
