package org.medvqa.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.Progress;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;
import org.medvqa.core.stage.TaskThreads;

/**
 * Feature extraction as a stage: the ResNet50 pooled feature (and optionally the last convolutional
 * map) of every distinct (image id, variant id) of a manifest, added to a {@link FeatureTable},
 * with the unreadable images in {@code _rejected}.
 *
 * <p>Incremental: with an existing output only the keys it lacks are computed; they are written
 * under a temporary folder and their run folder is renamed into place in one step, then {@code
 * provenance.json} is rewritten. A failed run leaves the output as it was, and the next run removes
 * its temporary folder; one run per output at a time (a second one started meanwhile removes the
 * first's temporary folder, and the first fails, saying so).
 *
 * <p>Each image's bytes are checked against the SHA-256 the manifest recorded for them ({@code
 * image_sha256}): an image changed since is rejected naming both hashes, or fails the stage ({@code
 * medvqa.images.hash-mismatch}), and never gets features, so the shared cache, keyed by that hash,
 * never holds the features of other bytes under it.
 */
public final class FeatureStage {
  /** The stage's name in messages, progress lines and provenance. */
  public static final String NAME = "extract-features";

  /**
   * The manifest columns read, besides the configured image-id column ({@code
   * medvqa.features.columns.image-id}) and, when present, the variant column and {@code
   * image_sha256}.
   */
  public static final List<String> NEEDS =
      List.of(ManifestColumns.SAMPLE_ID, ManifestColumns.IMAGE_PATH);

  /** The columns of the table it adds to (keep-map adds {@link FeatureTable#FEATURE_MAP}). */
  public static final StructType ADDS = FeatureTable.schema(false);

  /** The SHA-256 recorded for a key's file, carried to the task that reads it (not written). */
  private static final String SHA = "recorded_sha256";

  private final FeatureSettings settings;
  private final FeatureSettings.Extraction extraction;

  public FeatureStage(FeatureSettings settings) {
    this.settings = settings;
    this.extraction = settings.extraction();
  }

  /**
   * What a run did: the output, the run number it added (the last one when it added nothing), and
   * the counts.
   *
   * @param already keys the table held before
   * @param in keys this run extracted (0: nothing new)
   * @param added keys added to the table
   * @param rejected unreadable images
   */
  public record Result(
      Path out, int run, long already, long in, long added, long rejected, double seconds) {
    /** The run's own folder of the table (nothing there when {@code in == 0}). */
    public Path features() {
      return new Path(FeatureTable.table(out), FeatureTable.runFolder(run));
    }

    public long total() {
      return already + added;
    }

    /** The summary line the job prints. */
    public String summary() {
      if (in == 0) {
        return String.format(
            Locale.ROOT, "summary: images=0 new, %d already extracted, out=%s", already, out);
      }
      return String.format(
          Locale.ROOT,
          "summary: images=%d rejected=%d (%.2f%%) total=%d run=%d rate=%.2f images/s out=%s",
          added,
          rejected,
          100 * (double) rejected / in,
          total(),
          run,
          in / Math.max(1e-9, seconds),
          out);
    }
  }

  /** What one run will do, decided before any image is read. */
  private record Plan(
      FeatureSettings model,
      String signature,
      Path out,
      boolean exists,
      int run,
      long already,
      Dataset<Row> keys,
      long todo,
      Map<String, String> engines) {}

  /**
   * Extracts the manifest's keys the output lacks and adds them to it as a new run (or writes the
   * output, the first time), with provenance.
   */
  public Result run(StageContext ctx) throws IOException {
    Plan p = plan(ctx);
    ctx.say(describe(p));
    if (p.todo() == 0) {
      return new Result(p.out(), p.run() - 1, p.already(), 0, 0, 0, 0);
    }
    return write(ctx, p);
  }

  private Plan plan(StageContext ctx) throws IOException {
    SparkSession spark = ctx.spark(); // first: file access then uses Spark's Hadoop configuration
    HadoopFiles files = ctx.files();
    Path out = files.qualify(extraction.out());
    ctx.removeLeftovers(out);
    FeatureSettings model = FeatureTable.withModelFile(settings, files);
    if (model.threads() == 0) {
      model = model.withThreads(TaskThreads.perTask(spark.sparkContext().getConf()));
    }
    String signature = FeatureTable.signature(model);
    Dataset<Row> keys = keys(Tables.manifest(ctx, extraction.manifest()));
    boolean exists = files.exists(out);
    int run = 1;
    long already = 0;
    Map<String, String> engines = new LinkedHashMap<>();
    if (exists) {
      if (!extraction.incremental()) {
        throw new StageFailure(
            "output "
                + out
                + " already exists; remove it, choose another, or set medvqa.features.incremental = true");
      }
      run = FeatureTable.lastRun(files, out, signature, engines) + 1;
      Dataset<Row> done =
          FeatureTable.read(spark, out).select(FeatureTable.IMAGE_ID, FeatureTable.VARIANT_ID);
      already = done.count();
      keys = FeatureTable.without(keys, done);
    }
    if (extraction.maxImages() > 0) {
      keys =
          keys.orderBy(FeatureTable.IMAGE_ID, FeatureTable.VARIANT_ID)
              .limit((int) Math.min(Integer.MAX_VALUE, extraction.maxImages()));
    }
    engines.put(FeatureTable.ENGINE_NOTE + run, engine(model));
    return new Plan(model, signature, out, exists, run, already, keys, keys.count(), engines);
  }

  /**
   * The distinct keys of a manifest, each with one image path and the SHA-256 recorded for that
   * file (checked against the bytes read; a manifest without the column is not checked): columns
   * image_id, variant_id, image_path, recorded_sha256.
   */
  public Dataset<Row> keys(Dataset<Row> manifest) {
    Tables.requireColumns(manifest, NEEDS, "manifest", "is it an ingest output?");
    String imageColumn = extraction.imageColumn();
    if (!Tables.has(manifest, imageColumn)) {
      throw new StageFailure(
          "manifest has no column '" + imageColumn + "' (medvqa.features.columns.image-id)");
    }
    Column variant = variant(manifest);
    refuseKeyless(manifest, imageColumn);
    Column recorded =
        Tables.has(manifest, ManifestColumns.IMAGE_SHA256)
            ? col(ManifestColumns.IMAGE_SHA256)
            : lit(null).cast(DataTypes.StringType);
    return manifest
        .filter(hasImage())
        .select(
            col(imageColumn).as(FeatureTable.IMAGE_ID),
            variant.as(FeatureTable.VARIANT_ID),
            struct(col(FeatureTable.IMAGE_PATH).as("p"), recorded.as("h")).as("file"))
        .groupBy(FeatureTable.IMAGE_ID, FeatureTable.VARIANT_ID)
        .agg(min("file").as("file"))
        .select(
            col(FeatureTable.IMAGE_ID),
            col(FeatureTable.VARIANT_ID),
            col("file.p").as(FeatureTable.IMAGE_PATH),
            col("file.h").as(SHA));
  }

  private static Column hasImage() {
    return col(FeatureTable.IMAGE_PATH).isNotNull().and(col(FeatureTable.IMAGE_PATH).notEqual(""));
  }

  /** The variant index column, 0 for a manifest without one (all originals). */
  private Column variant(Dataset<Row> manifest) {
    String variantColumn = extraction.variantColumn();
    if (!Tables.has(manifest, variantColumn)) {
      return lit(0);
    }
    DataType t = manifest.schema().apply(variantColumn).dataType();
    if (!(t instanceof IntegralType)) {
      throw new StageFailure(
          "manifest column '"
              + variantColumn
              + "' is "
              + t.simpleString()
              + ", expected an integer variant index");
    }
    return col(variantColumn).cast(DataTypes.IntegerType);
  }

  /** An image without its key could not be found again in the table: refuse, naming the rows. */
  private static void refuseKeyless(Dataset<Row> manifest, String imageColumn) {
    List<String> keyless =
        manifest
            .filter(hasImage().and(col(imageColumn).isNull()))
            .select(ManifestColumns.SAMPLE_ID)
            .limit(5)
            .as(Encoders.STRING())
            .collectAsList();
    if (!keyless.isEmpty()) {
      throw new StageFailure(
          "manifest rows with an image but no '"
              + imageColumn
              + "' (medvqa.features.columns.image-id), e.g. samples "
              + keyless);
    }
  }

  private static String describe(Plan p) {
    FeatureSettings s = p.model();
    return String.format(
        Locale.ROOT,
        "%d images to extract (%d already in %s); model %s, engine %s, batch %d, %d thread(s) per task",
        p.todo(),
        p.already(),
        p.out(),
        s.modelSource().equals("zoo") ? "DL4J zoo ResNet50" : s.modelFile(),
        engine(s),
        s.batchSize(),
        s.threads());
  }

  /** The engine and precision, as the log and the provenance name them. */
  private static String engine(FeatureSettings s) {
    return switch (s.engine()) {
      case "gemm" -> "gemm fp32";
      case "onednn" -> "onednn " + s.precision();
      default -> "dl4j fp32 " + (s.nhwc() ? "NHWC" : "NCHW") + (s.foldBatchNorm() ? " folded" : "");
    };
  }

  /**
   * The features of {@code keys} (columns as {@link #keys} returns them), extracted on the
   * executors with one lazily loaded model per JVM: rows of the table's columns plus {@code
   * reason}, null for the images that have features. Lazy: every action extracts again.
   *
   * @param model settings with the model file resolved ({@link FeatureTable#withModelFile})
   * @param todo how many keys there are (sizes the partitions)
   * @param done counts the images done, for progress
   */
  public static Dataset<Row> extract(
      SparkSession spark,
      Dataset<Row> keys,
      long todo,
      FeatureSettings model,
      HadoopFiles files,
      LongAccumulator done) {
    int perTask = model.extraction().imagesPerTask();
    int slots = Math.max(1, spark.sparkContext().defaultParallelism());
    int partitions = (int) Math.max(Math.min(todo, slots), (todo + perTask - 1) / perTask);
    ExtractPartition work =
        new ExtractPartition(
            new ModelLoader(model, files.conf()), new SerializableConf(files.conf()), done);
    JavaRDD<Row> rows = keys.repartition(partitions).javaRDD().mapPartitions(work);
    return spark.createDataFrame(rows, FeatureTable.resultSchema(model.keepMap()));
  }

  /** Extracts into a temporary folder, checks the rejects, then adds the run to the output. */
  private Result write(StageContext ctx, Plan p) throws IOException {
    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    LongAccumulator done = spark.sparkContext().longAccumulator("images");
    Dataset<Row> result = extract(spark, p.keys(), p.todo(), p.model(), files, done);
    String run = FeatureTable.runFolder(p.run());
    // A new output is committed whole; an existing one gets the run's folders moved in (the
    // temporary folder, emptied, is removed on close either way).
    try (StagedOutput o =
        p.exists() ? StagedOutput.beside(ctx, p.out()) : StagedOutput.open(ctx, extraction.out())) {
      Path tmp = o.tmp();
      Path rows = new Path(tmp, "rows");
      long start = System.nanoTime();
      try (Progress progress =
          Progress.start(
              NAME + ": images", p.todo(), done::value, ctx.out(), Duration.ofSeconds(10))) {
        result.write().parquet(rows.toString());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long[] counts = split(ctx, spark.read().parquet(rows.toString()), tmp, run, p);
      files.deleteQuietly(rows);
      Result r = new Result(p.out(), p.run(), p.already(), p.todo(), counts[0], counts[1], seconds);
      Provenance prov = provenance(ctx, p, r);
      if (!p.exists()) {
        o.commit(prov);
      } else {
        FeatureTable.append(files, tmp, p.out(), run);
        ctx.writeProvenance(p.out(), prov);
      }
      return r;
    }
  }

  /**
   * Splits the extracted rows into the run's table and rejects under {@code tmp}, reports the
   * rejects and fails above the limits; returns {added, rejected}.
   */
  private long[] split(StageContext ctx, Dataset<Row> all, Path tmp, String run, Plan p)
      throws IOException {
    SparkSession spark = ctx.spark();
    Path features = new Path(new Path(tmp, FeatureTable.FEATURES), run);
    Path rejected = new Path(new Path(tmp, FeatureTable.REJECTED), run);
    all.filter(col(FeatureTable.REASON).isNull())
        .drop(FeatureTable.REASON)
        .write()
        .parquet(features.toString());
    all.filter(col(FeatureTable.REASON).isNotNull())
        .select(
            FeatureTable.IMAGE_ID,
            FeatureTable.VARIANT_ID,
            FeatureTable.IMAGE_PATH,
            FeatureTable.REASON)
        .coalesce(1)
        .write()
        .parquet(rejected.toString());
    Dataset<Row> bad = spark.read().parquet(rejected.toString());
    long nBad = bad.count();
    long nOk = spark.read().parquet(features.toString()).count();
    reportRejects(ctx, bad, nBad);
    limitRejects(bad, nBad, p);
    return new long[] {nOk, nBad};
  }

  private static void reportRejects(StageContext ctx, Dataset<Row> rejected, long n) {
    if (n == 0) {
      return;
    }
    ctx.say("rejected " + n + " images; for example:");
    for (Row row : rejected.limit(5).collectAsList()) {
      ctx.say("  " + row.getString(0) + " (variant " + row.getInt(1) + "): " + row.getString(3));
    }
  }

  /**
   * Fails, adding nothing, on a changed image with hash-mismatch = fail or on more unreadable
   * images than max-rejected-fraction. (Not {@link StagedOutput#limitRejects}: a failed run of an
   * incremental table must leave the table as it was, and nothing beside it either.)
   */
  private void limitRejects(Dataset<Row> bad, long nBad, Plan p) {
    Column changedReason = col(FeatureTable.REASON).startsWith(ContentHash.CHANGED);
    List<Row> changed = bad.filter(changedReason).limit(1).collectAsList();
    if (!changed.isEmpty() && extraction.onHashMismatch().equals("fail")) {
      throw new StageFailure(
          bad.filter(changedReason).count()
              + " images changed since their hash was recorded, e.g. "
              + changed.get(0).getString(0)
              + " ("
              + changed.get(0).getString(2)
              + "): "
              + changed.get(0).getString(3)
              + "; medvqa.images.hash-mismatch = fail, so nothing was added to "
              + p.out());
    }
    double fraction = (double) nBad / p.todo();
    if (fraction > extraction.maxRejectedFraction()) {
      throw new StageFailure(
          String.format(
              Locale.ROOT,
              "%d of %d images unreadable (%.2f%%), above medvqa.features.max-rejected-fraction = %s;"
                  + " nothing was added to %s",
              nBad,
              p.todo(),
              100 * fraction,
              extraction.maxRejectedFraction(),
              p.out()));
    }
  }

  private static Provenance provenance(StageContext ctx, Plan p, Result r) {
    FeatureSettings s = p.model();
    Provenance prov = ctx.provenance();
    // The fp32 engines share a table (see FeatureTable.signature): each run names its own.
    p.engines().forEach(prov::note);
    return prov.input("manifest", HadoopFiles.uri(ctx.files().qualify(s.extraction().manifest())))
        .input(
            "model", s.modelSource().equals("zoo") ? "dl4j-zoo:ResNet50/IMAGENET" : s.modelFile())
        .count("images_already_extracted", r.already())
        .count("images_in", r.in())
        .count("images_out", r.added())
        .count("images_rejected", r.rejected())
        .count("images_total", r.total())
        .note("signature", p.signature())
        .note("last_run", String.valueOf(r.run()))
        .note("key", "(image_id, variant_id); variant_id 0 = original image")
        .note("seconds_extracting", String.format(Locale.ROOT, "%.1f", r.seconds()));
  }
}
