package org.medvqa.features;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.features} settings, checked once and carried to the executors as plain values
 * (the model itself never travels: see {@link ModelLoader}). The model and preprocessing settings
 * are the components; what only the {@link FeatureStage} reads on the driver (its input, output and
 * limits) is {@link #extraction()}.
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
 * @param engine {@code gemm} (the forward pass as SGEMMs, NHWC, batch norms folded), {@code onednn}
 *     (oneDNN convolution primitives, see {@link OneDnnEngine}) or {@code dl4j} (the DL4J graph,
 *     laid out by {@code nhwc} and {@code foldBatchNorm})
 * @param precision {@code fp32} or {@code bf16} (engine {@code onednn} only, on a CPU with bf16)
 * @param pooling what the feature vector is made of (default: the last stage's mean)
 * @param extraction the stage's input, output and limits
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
    String engine,
    String precision,
    Pooling pooling,
    Extraction extraction)
    implements Serializable {

  /** The path of these settings in the configuration. */
  public static final String PATH = "medvqa.features";

  public FeatureSettings {
    pooling = pooling == null ? Pooling.DEFAULT : pooling;
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
    if (maxSide < 1) {
      throw new ConfigProblem(
          "config key 'medvqa.images.max-side' is '" + maxSide + "', expected at least 1");
    }
    check(batchSize >= 1 && batchSize <= 1024, "batch-size", batchSize, "1..1024");
    check(threads >= 0 && threads <= 1024, "threads", threads, "0 (automatic) .. 1024");
    check(
        List.of("gemm", "onednn", "dl4j").contains(engine),
        "engine",
        engine,
        "gemm, onednn or dl4j");
    check(List.of("fp32", "bf16").contains(precision), "precision", precision, "fp32 or bf16");
    check(
        precision.equals("fp32") || engine.equals("onednn"),
        "precision",
        precision,
        "fp32 with engine " + engine + " (bf16 needs medvqa.features.engine = onednn)");
  }

  /**
   * What the extract-features stage reads besides the model, parsed by {@link #from}.
   *
   * @param manifest the manifest (an ingest or augment output folder, or its table); "" = unset
   * @param out the feature table folder to write or extend; "" = unset
   * @param incremental extend an existing output with the keys it lacks (false: refuse it)
   * @param imageColumn the manifest column holding the key's image id
   * @param variantColumn the manifest column holding the variant index (absent: all originals)
   * @param imagesPerTask images per Spark task
   * @param maxImages 0 = all; N = only the first N keys still to do
   * @param maxRejectedFraction the stage fails, adding nothing, above this fraction unreadable
   * @param onHashMismatch {@code reject} or {@code fail} for an image changed since its hash was
   *     recorded ({@code medvqa.images.hash-mismatch})
   */
  public record Extraction(
      String manifest,
      String out,
      boolean incremental,
      String imageColumn,
      String variantColumn,
      int imagesPerTask,
      long maxImages,
      double maxRejectedFraction,
      String onHashMismatch)
      implements Serializable {

    /** The reference defaults, for settings made in code (tests, the importer's check). */
    static Extraction reference() {
      return read(ConfigFactory.defaultReference());
    }

    static Extraction read(Config cfg) {
      boolean incremental = cfg.getBoolean(PATH + ".incremental");
      double maxRejected = ConfigCheck.requireRange(cfg, PATH + ".max-rejected-fraction", 0, 1);
      int perTask = (int) ConfigCheck.requireRange(cfg, PATH + ".images-per-task", 1, 1e7);
      long maxImages = (long) ConfigCheck.requireRange(cfg, PATH + ".max-images", 0, 1e15);
      String imageColumn = ConfigCheck.requireString(cfg, PATH + ".columns.image-id");
      String variantColumn = ConfigCheck.requireString(cfg, PATH + ".columns.variant-id");
      // The key's default lives with the other image settings in the jobs' reference.conf; a
      // config without it (this module's own tests) rejects, the default.
      String onMismatch =
          cfg.hasPath(HASH_MISMATCH)
              ? ConfigCheck.requireOneOf(cfg, HASH_MISMATCH, List.of("reject", "fail"))
              : "reject";
      return new Extraction(
          cfg.getString(PATH + ".manifest"),
          cfg.getString(PATH + ".out"),
          incremental,
          imageColumn,
          variantColumn,
          perTask,
          maxImages,
          maxRejected,
          onMismatch);
    }
  }

  /** The key that says what an image changed since its hash was recorded does. */
  public static final String HASH_MISMATCH = "medvqa.images.hash-mismatch";

  /** The model and preprocessing settings in fp32, with the stage's settings at their defaults. */
  public FeatureSettings(
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
      String engine) {
    this(
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
        threads,
        prefetch,
        engine,
        "fp32",
        Pooling.DEFAULT,
        Extraction.reference());
  }

  /** Whether the network takes channels-last input (the gemm and onednn engines always do). */
  public boolean inputNhwc() {
    return nhwc || !engine.equals("dl4j");
  }

  /**
   * Reads and validates {@code medvqa.features} for the extract-features stage: the manifest and
   * the output are required (named first when missing), then everything {@link #from} reads.
   */
  public static FeatureSettings forExtraction(Config config) {
    ConfigCheck.requireString(config, PATH + ".manifest");
    ConfigCheck.requireString(config, PATH + ".out");
    return from(config);
  }

  /**
   * Reads and validates {@code medvqa.features} (unknown keys and wrong types are the caller's
   * {@code ConfigCheck}; ranges and words are checked here, naming the key). The manifest and the
   * output may be unset: {@link #forExtraction} requires them.
   */
  public static FeatureSettings from(Config config) {
    config.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = config.getConfig(PATH);
    String format = c.getString("data-format").toUpperCase(Locale.ROOT);
    check(List.of("NCHW", "NHWC").contains(format), "data-format", format, "NCHW or NHWC");
    // The model settings are checked (by the constructor) before the stage's, as they always were.
    FeatureSettings model =
        new FeatureSettings(
            c.getString("model.source"),
            c.getString("model.file"),
            c.getInt("image.size"),
            c.getString("image.resize"),
            c.getString("image.preprocessing"),
            config.getInt("medvqa.images.max-side"),
            c.getBoolean("keep-map"),
            c.getInt("batch-size"),
            format.equals("NHWC"),
            c.getBoolean("fold-batch-norm"),
            c.getInt("threads"),
            c.getBoolean("prefetch"),
            c.getString("engine"),
            c.getString("precision"),
            new Pooling(c.getStringList("pooling")),
            null);
    return model.withExtraction(Extraction.read(config));
  }

  /** The same settings with the stage's settings {@code x}. */
  public FeatureSettings withExtraction(Extraction x) {
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
        threads,
        prefetch,
        engine,
        precision,
        pooling,
        x);
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
        engine,
        precision,
        pooling,
        extraction);
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
        engine,
        precision,
        pooling,
        extraction);
  }

  /** The same settings with another engine and precision (tests and benchmarks). */
  public FeatureSettings withEngine(String otherEngine, String otherPrecision) {
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
        threads,
        prefetch,
        otherEngine,
        otherPrecision,
        pooling,
        extraction);
  }

  /** The same settings with another {@code medvqa.features.pooling} (tests and benchmarks). */
  public FeatureSettings withPooling(Pooling other) {
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
        threads,
        prefetch,
        engine,
        precision,
        other,
        extraction);
  }

  /**
   * What decides the graph an executor builds and its passes (the batch every pass is padded to):
   * equal keys share one loaded model per JVM. Preprocessing, threads and prefetch are not in it:
   * each run applies its own ({@link BatchExtraction}).
   */
  String modelKey() {
    return String.join(
        "|",
        modelSource,
        modelFile,
        String.valueOf(imageSize),
        String.valueOf(batchSize),
        engine,
        precision,
        String.valueOf(nhwc),
        String.valueOf(foldBatchNorm),
        String.valueOf(keepMap),
        pooling.toString());
  }

  private static void check(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new ConfigProblem(
          "config key '" + PATH + "." + key + "' is '" + value + "', expected " + expected);
    }
  }
}
