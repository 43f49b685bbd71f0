package org.medvqa.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.features} settings, checked once and carried to the executors as plain values
 * (the model itself never travels: see {@link ModelLoader}).
 *
 * @param modelSource {@code file} or {@code zoo}
 * @param modelFile the DL4J model file for {@code file} (a URI or local path), else ""
 * @param imageSize side of the square network input
 * @param resize {@code stretch} or {@code pad}
 * @param preprocessing {@code caffe} (BGR, ImageNet means subtracted) or {@code raw} (RGB 0-255)
 * @param maxSide longest image side accepted
 * @param keepMap whether to keep the last convolutional map as well as the pooled vector
 * @param batchSize images per forward pass
 * @param nhwc channels-last activations inside the network
 * @param foldBatchNorm batch norms folded into the convolutions
 * @param threads OpenMP threads per task, 0 = automatic
 * @param prefetch decode the next batch while the network runs
 * @param engine {@code gemm} (the forward pass as SGEMMs, NHWC, batch norms folded) or {@code dl4j}
 *     (the DL4J graph, laid out by {@code nhwc} and {@code foldBatchNorm})
 */
public record FeatureSettings(
    String modelSource,
    String modelFile,
    int imageSize,
    String resize,
    String preprocessing,
    int maxSide,
    boolean keepMap,
    int batchSize,
    boolean nhwc,
    boolean foldBatchNorm,
    int threads,
    boolean prefetch,
    String engine)
    implements Serializable {

  /** The path of these settings in the configuration. */
  public static final String PATH = "medvqa.features";

  public FeatureSettings {
    check(List.of("file", "zoo").contains(modelSource), "model.source", modelSource, "file or zoo");
    check(
        !modelSource.equals("file") || !modelFile.isBlank(),
        "model.file",
        modelFile,
        "a DL4J model file (make weights writes models/resnet50-keras-imagenet.zip)");
    check(imageSize >= 32 && imageSize <= 1024, "image.size", imageSize, "32..1024");
    check(List.of("stretch", "pad").contains(resize), "image.resize", resize, "stretch or pad");
    check(
        List.of("caffe", "raw").contains(preprocessing),
        "image.preprocessing",
        preprocessing,
        "caffe or raw");
    check(maxSide >= 1, "image.max-side", maxSide, "at least 1");
    check(batchSize >= 1 && batchSize <= 1024, "batch-size", batchSize, "1..1024");
    check(threads >= 0 && threads <= 1024, "threads", threads, "0 (automatic) .. 1024");
    check(List.of("gemm", "dl4j").contains(engine), "engine", engine, "gemm or dl4j");
  }

  /** Whether the network takes channels-last input (the gemm engine always does). */
  public boolean inputNhwc() {
    return nhwc || engine.equals("gemm");
  }

  /**
   * Reads and validates {@code medvqa.features} (unknown keys and wrong types are the caller's
   * {@code ConfigCheck}; ranges and words are checked here, naming the key).
   */
  public static FeatureSettings from(Config config) {
    config.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = config.getConfig(PATH);
    String format = c.getString("data-format").toUpperCase(Locale.ROOT);
    check(List.of("NCHW", "NHWC").contains(format), "data-format", format, "NCHW or NHWC");
    return new FeatureSettings(
        c.getString("model.source"),
        c.getString("model.file"),
        c.getInt("image.size"),
        c.getString("image.resize"),
        c.getString("image.preprocessing"),
        c.getInt("image.max-side"),
        c.getBoolean("keep-map"),
        c.getInt("batch-size"),
        format.equals("NHWC"),
        c.getBoolean("fold-batch-norm"),
        c.getInt("threads"),
        c.getBoolean("prefetch"),
        c.getString("engine"));
  }

  /** The same settings with another model file (tests and the importer's check). */
  public FeatureSettings withModelFile(String file) {
    return new FeatureSettings(
        "file",
        file,
        imageSize,
        resize,
        preprocessing,
        maxSide,
        keepMap,
        batchSize,
        nhwc,
        foldBatchNorm,
        threads,
        prefetch,
        engine);
  }

  /** The same settings with another thread count per task. */
  public FeatureSettings withThreads(int n) {
    return new FeatureSettings(
        modelSource,
        modelFile,
        imageSize,
        resize,
        preprocessing,
        maxSide,
        keepMap,
        batchSize,
        nhwc,
        foldBatchNorm,
        n,
        prefetch,
        engine);
  }

  /** What decides the graph an executor builds: equal keys share one loaded model per JVM. */
  String modelKey() {
    return String.join(
        "|",
        modelSource,
        modelFile,
        String.valueOf(imageSize),
        engine,
        String.valueOf(nhwc),
        String.valueOf(foldBatchNorm),
        String.valueOf(keepMap));
  }

  private static void check(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new ConfigProblem(
          "config key '" + PATH + "." + key + "' is '" + value + "', expected " + expected);
    }
  }
}
