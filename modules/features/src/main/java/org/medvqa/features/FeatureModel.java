package org.medvqa.features;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.core.config.ConfigProblem;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * A loaded feature network, shared by the tasks of one JVM. A DL4J graph is not safe to call from
 * two threads at once, so each thread gets its own graph object over the same parameter array (no
 * copy of the weights): inference reads the parameters and never writes them.
 */
public final class FeatureModel {
  private final FeatureSettings settings;
  private final ResNet50 network;
  private final ForwardPass engine;
  private final ThreadLocal<ComputationGraph> perThread;

  private FeatureModel(
      FeatureSettings settings, ResNet50 network, ComputationGraph shared, ForwardPass engine) {
    this.settings = settings;
    this.network = network;
    this.engine = engine;
    this.perThread =
        ThreadLocal.withInitial(
            () -> {
              ComputationGraph g = new ComputationGraph(shared.getConfiguration().clone());
              g.init(shared.params(), false);
              return g;
            });
  }

  /**
   * Builds the configured engine: the gemm or oneDNN forward pass over {@code weights}, or the
   * graph with {@code weights} copied into it by layer name.
   *
   * @throws ConfigProblem naming the key when the engine or precision cannot run here
   */
  public static FeatureModel build(FeatureSettings settings, WeightSet weights) {
    ResNet50 network = network(settings, weights);
    // oneDNN's library is loaded only for the engine that uses it.
    boolean onednn = settings.engine().equals("onednn");
    String engine =
        engineHere(
            settings,
            Nd4j.getBackend().getClass().getName(),
            onednn ? OneDnnRuntime.problem() : null,
            onednn && OneDnnRuntime.hasBf16());
    if (engine.equals("gemm")) {
      return new FeatureModel(settings, network, null, new GemmEngine(network, weights));
    }
    if (engine.equals("onednn")) {
      boolean bf16 = settings.precision().equals("bf16");
      return new FeatureModel(settings, network, null, new OneDnnEngine(network, weights, bf16));
    }
    ComputationGraph g = network.init();
    weights.applyTo(g);
    return new FeatureModel(settings, network, g, null);
  }

  /**
   * The engine that runs {@code settings} in this JVM: the configured one, or gemm in place of an
   * fp32 onednn whose native library cannot load here (a one-line notice; same features, same cache
   * signature).
   *
   * @param backend the class name of ND4J's backend: the gemm and onednn engines compute on the CPU
   *     with ND4J's CPU arrays, so another backend (CUDA) is refused rather than run wrongly
   * @param oneDnnProblem why oneDNN cannot load here ({@link OneDnnRuntime#problem()}), or null
   * @param bf16Cpu whether the CPU runs bf16 ({@link OneDnnRuntime#hasBf16()})
   * @throws ConfigProblem naming {@code medvqa.features.engine} or {@code precision}
   */
  static String engineHere(
      FeatureSettings settings, String backend, String oneDnnProblem, boolean bf16Cpu) {
    String engine = settings.engine();
    if (engine.equals("dl4j")) {
      return engine;
    }
    if (!backend.contains(".cpu.")) {
      throw new ConfigProblem(
          "config key '"
              + FeatureSettings.PATH
              + ".engine' is '"
              + engine
              + "', which runs on ND4J's CPU backend only, and this JVM has "
              + backend
              + ": use engine = dl4j on GPU executors");
    }
    boolean bf16 = settings.precision().equals("bf16");
    if (engine.equals("onednn") && oneDnnProblem != null) {
      if (bf16) {
        throw new ConfigProblem(
            "config key '"
                + FeatureSettings.PATH
                + ".precision' is 'bf16', which needs engine onednn, and "
                + oneDnnProblem);
      }
      System.err.println("medvqa.features.engine = onednn: " + oneDnnProblem + "; using gemm");
      return "gemm";
    }
    if (bf16 && !bf16Cpu) {
      throw new ConfigProblem(
          "config key '"
              + FeatureSettings.PATH
              + ".precision' is 'bf16', but this CPU has no avx512_bf16 (oneDNN's instruction set: "
              + OneDnnRuntime.isa()
              + "): use fp32");
    }
    return engine;
  }

  /**
   * The graph for these settings. A weight set narrower than the full network (the tiny networks of
   * the tests) gives its width divisor and block counts away by its layer names and shapes.
   */
  static ResNet50 network(FeatureSettings settings, WeightSet weights) {
    int divisor = 1;
    if (weights.get("conv1", WeightSet.W) != null) {
      divisor = (int) Math.max(1, 64 / weights.get("conv1", WeightSet.W).size(0));
    }
    int[] blocks = new int[4];
    for (int stage = 2; stage <= 5; stage++) {
      int n = 0;
      while (weights.has(ResNet50.blockName(stage, n) + "_branch2a")) {
        n++;
      }
      blocks[stage - 2] = Math.max(1, n);
    }
    return ResNet50.builder()
        .optImageSize(settings.imageSize())
        .optFormat(settings.nhwc() ? CNN2DFormat.NHWC : CNN2DFormat.NCHW)
        .optFoldBatchNorm(settings.foldBatchNorm())
        .optMap(settings.keepMap())
        .optStageMaps(settings.pooling().mapStages())
        .optWidthDivisor(divisor)
        .optBlocks(blocks)
        .build();
  }

  /**
   * Where the gemm engine's time went since the last call, as "kind share%, ..." (this JVM, all
   * threads), and resets the counters. For benchmarks.
   */
  public static String profile() {
    long total = 0;
    for (int i = 0; i < GemmEngine.PROFILE.length(); i++) {
      total += GemmEngine.PROFILE.get(i);
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < GemmEngine.PROFILE.length(); i++) {
      long v = GemmEngine.PROFILE.getAndSet(i, 0);
      b.append(i == 0 ? "" : ", ")
          .append(GemmEngine.PROFILE_NAMES[i])
          .append(
              String.format(
                  java.util.Locale.ROOT, " %.0f%%", total == 0 ? 0.0 : 100.0 * v / total));
    }
    return b.toString();
  }

  /** The oneDNN kernels this thread's plan uses (engine onednn; else ""), for benchmarks. */
  public String kernels() {
    return engine instanceof OneDnnEngine o ? o.kernels() : "";
  }

  public FeatureSettings settings() {
    return settings;
  }

  /** The network description (feature width, map side). */
  public ResNet50 network() {
    return network;
  }

  /** This thread's graph (engine dl4j). */
  public ComputationGraph graph() {
    if (engine != null) {
      throw new IllegalStateException("the " + settings.engine() + " engine has no DL4J graph");
    }
    return perThread.get();
  }

  /** Applies the configured thread count to ND4J for the calling thread (0 leaves ND4J's own). */
  public void applyThreads() {
    applyThreads(settings.threads());
  }

  /**
   * Applies {@code n} threads to ND4J (and oneDNN) for the calling thread (0 leaves ND4J's own).
   */
  public static void applyThreads(int n) {
    if (n > 0) {
      Nd4j.getEnvironment().setMaxThreads(n);
      Nd4j.getEnvironment().setMaxMasterThreads(n);
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
      Nd4j.factory().blas().setMaxThreads(n);
    }
  }

  /**
   * Runs the network on {@code n} prepared images.
   *
   * @param input {@code n} images as written by {@link ImagePreprocessor} (exactly {@code n * 3 *
   *     size * size} floats)
   * @return per image the pooled feature, and the map (h, w, c order) when kept
   */
  public float[][][] run(float[] input, int n) {
    int size = settings.imageSize();
    int[] stages = settings.pooling().mapStages();
    INDArray[] out;
    INDArray[] stageMaps = new INDArray[stages.length];
    if (engine != null) {
      // Always a full batch (zeros after the last image), so that every pass has the same shapes
      // and reuses the engine's buffers; only the first n rows are read.
      int full = Math.max(n, settings.batchSize());
      float[] padded = n == full ? input : java.util.Arrays.copyOf(input, full * 3 * size * size);
      out = engine.run(padded, full, settings.keepMap(), stages);
      System.arraycopy(out, out.length - stages.length, stageMaps, 0, stages.length);
    } else {
      long[] shape =
          settings.nhwc() ? new long[] {n, size, size, 3} : new long[] {n, 3, size, size};
      out = graph().output(false, Nd4j.create(input, shape, 'c'));
      java.util.List<String> names = network.outputs();
      for (int k = 0; k < stages.length; k++) {
        stageMaps[k] = nhwc(out[names.indexOf(network.stageLayer(stages[k]))]);
      }
    }
    float[][] pooled = out[0].toFloatMatrix();
    float[][][] result = new float[n][][];
    INDArray map = settings.keepMap() ? out[1] : null;
    if (map != null && engine == null) {
      map = nhwc(map);
    }
    float[][] flat = new float[stages.length][];
    int[] sides = new int[stages.length];
    for (int k = 0; k < stages.length; k++) {
      flat[k] = flat(stageMaps[k]);
      sides[k] = (int) stageMaps[k].size(1);
    }
    for (int i = 0; i < n; i++) {
      float[] m =
          map == null
              ? null
              : map.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup('c').data().asFloat();
      float[] feature =
          settings.pooling().isDefault()
              ? pooled[i]
              : settings.pooling().feature(i, pooled[i], flat, sides, network);
      result[i] = new float[][] {feature, m};
    }
    return result;
  }

  /** The values of {@code a} in c order, copied once (the engines' maps already are). */
  private static float[] flat(INDArray a) {
    return (a.isView() || a.ordering() != 'c' ? a.dup('c') : a).data().asFloat();
  }

  /** A map of the dl4j engine in h, w, c order (the graph's layout may be NCHW). */
  private INDArray nhwc(INDArray map) {
    return settings.nhwc() ? map : map.permute(0, 2, 3, 1);
  }
}
