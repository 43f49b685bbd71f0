package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.Progress;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;
import org.medvqa.features.BatchExtraction;
import org.medvqa.features.FeatureModel;
import org.medvqa.features.FeatureSettings;
import org.medvqa.features.ModelLoader;

/**
 * {@code extract-features}: the ResNet50 pooled feature (and optionally the last convolutional map)
 * of every distinct (image id, variant id) of a manifest, as Parquet, plus the unreadable images in
 * {@code _rejected} and {@code provenance.json}.
 *
 * <p>Output layout: {@code out/features/run=N/} and {@code out/_rejected/run=N/}, one folder per
 * run. Read the table with {@code spark.read().parquet(out + "/features")}: columns {@code
 * image_id}, {@code variant_id} (0 = the original image, k = its k-th augmented variant), {@code
 * image_path}, {@code features} (array of floats, 2048 for ResNet50), {@code feature_map} (with
 * {@code keep-map}: 7 x 7 x 2048 floats in h, w, c order) and the partition column {@code run}.
 *
 * <p>Incremental: with an existing output only the keys it lacks are computed; they are written
 * under a temporary folder and their run folder is renamed into place in one step, then {@code
 * provenance.json} is rewritten. Keys of a run never occur in an earlier one, so a reader never
 * sees a key twice; a failed run leaves the output as it was, and the next run removes its
 * temporary folder; one run per output at a time (a second one started meanwhile removes the
 * first's temporary folder, and the first fails, saying so).
 *
 * <p>Each image's bytes are checked against the SHA-256 the manifest recorded for them ({@code
 * image_sha256}): an image changed since is rejected naming both hashes, or fails the job ({@code
 * medvqa.images.hash-mismatch}), and never gets features, so the shared cache, keyed by that hash,
 * never holds the features of other bytes under it.
 */
public final class ExtractFeaturesJob implements Job {
  static final String FEATURES = "features";
  static final String REJECTED = "_rejected";
  static final String RUN = "run";
  static final String IMAGE_ID = ManifestColumns.IMAGE_ID;
  static final String VARIANT_ID = "variant_id";
  static final String IMAGE_PATH = ManifestColumns.IMAGE_PATH;
  static final String FEATURE = "features";
  static final String FEATURE_MAP = "feature_map";
  static final String REASON = ManifestColumns.REASON;

  /** The SHA-256 recorded for a key's file, carried to the task that reads it (not written). */
  private static final String SHA = "recorded_sha256";

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "extract-features";
  }

  @Override
  public String summary() {
    return "ResNet50 features of every distinct image of a manifest, as Parquet (incremental)";
  }

  /** Rows the tasks return: features, or the reason there are none. */
  static StructType resultSchema(boolean keepMap) {
    StructType s =
        new StructType()
            .add(IMAGE_ID, DataTypes.StringType, false)
            .add(VARIANT_ID, DataTypes.IntegerType, false)
            .add(IMAGE_PATH, DataTypes.StringType, false)
            .add(FEATURE, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    if (keepMap) {
      s = s.add(FEATURE_MAP, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }
    return s.add(REASON, DataTypes.StringType, true);
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    Config cfg = ctx.config();
    String manifestPath = ConfigCheck.requireString(cfg, "medvqa.features.manifest");
    String outPath = ConfigCheck.requireString(cfg, "medvqa.features.out");
    FeatureSettings settings = FeatureSettings.from(cfg);
    Config c = cfg.getConfig(FeatureSettings.PATH);
    boolean incremental = c.getBoolean("incremental");
    double maxRejected =
        ConfigCheck.requireRange(cfg, "medvqa.features.max-rejected-fraction", 0, 1);
    int perTask = (int) ConfigCheck.requireRange(cfg, "medvqa.features.images-per-task", 1, 1e7);
    long maxImages = (long) ConfigCheck.requireRange(cfg, "medvqa.features.max-images", 0, 1e15);
    String imageColumn = ConfigCheck.requireString(cfg, "medvqa.features.columns.image-id");
    String variantColumn = ConfigCheck.requireString(cfg, "medvqa.features.columns.variant-id");
    String onMismatch =
        ConfigCheck.requireOneOf(cfg, "medvqa.images.hash-mismatch", List.of("reject", "fail"));

    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    Path out = files.qualify(outPath);
    ctx.removeLeftovers(out);
    settings = withModelFile(settings, files);
    if (settings.threads() == 0) {
      settings = settings.withThreads(autoThreads(spark));
    }
    String signature = signature(settings);

    // 1. The distinct keys of the manifest, each with one image path and the SHA-256 recorded for
    //    that file (checked against the bytes read; a manifest without the column is not checked).
    Dataset<Row> manifest = Tables.manifest(ctx, manifestPath);
    List<String> columns = Arrays.asList(manifest.columns());
    if (!columns.contains(imageColumn)) {
      throw new StageFailure(
          "manifest has no column '" + imageColumn + "' (medvqa.features.columns.image-id)");
    }
    org.apache.spark.sql.Column variant = lit(0);
    if (columns.contains(variantColumn)) {
      DataType t = manifest.schema().apply(variantColumn).dataType();
      if (!(t instanceof IntegralType)) {
        throw new StageFailure(
            "manifest column '"
                + variantColumn
                + "' is "
                + t.simpleString()
                + ", expected an integer variant index");
      }
      variant = col(variantColumn).cast(DataTypes.IntegerType);
    }
    // An image without its key could not be found again in the table: refuse, naming the rows.
    List<String> keyless =
        manifest
            .filter(
                col(IMAGE_PATH)
                    .isNotNull()
                    .and(col(IMAGE_PATH).notEqual(""))
                    .and(col(imageColumn).isNull()))
            .select(ManifestColumns.SAMPLE_ID)
            .limit(5)
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    if (!keyless.isEmpty()) {
      throw new StageFailure(
          "manifest rows with an image but no '"
              + imageColumn
              + "' (medvqa.features.columns.image-id), e.g. samples "
              + keyless);
    }
    org.apache.spark.sql.Column recorded =
        columns.contains(ManifestColumns.IMAGE_SHA256)
            ? col(ManifestColumns.IMAGE_SHA256)
            : lit(null).cast(DataTypes.StringType);
    Dataset<Row> keys =
        manifest
            .filter(col(IMAGE_PATH).isNotNull().and(col(IMAGE_PATH).notEqual("")))
            .select(
                col(imageColumn).as(IMAGE_ID),
                variant.as(VARIANT_ID),
                struct(col(IMAGE_PATH).as("p"), recorded.as("h")).as("file"))
            .groupBy(IMAGE_ID, VARIANT_ID)
            .agg(min("file").as("file"))
            .select(
                col(IMAGE_ID),
                col(VARIANT_ID),
                col("file.p").as(IMAGE_PATH),
                col("file.h").as(SHA));

    // 2. With an existing output, only the keys it lacks.
    boolean exists = files.exists(out);
    int runNumber = 1;
    long already = 0;
    if (exists) {
      if (!incremental) {
        throw new StageFailure(
            "output "
                + out
                + " already exists; remove it, choose another, or set medvqa.features.incremental = true");
      }
      runNumber = checkExisting(files, out, signature, settings.keepMap()) + 1;
      Dataset<Row> done =
          spark.read().parquet(new Path(out, FEATURES).toString()).select(IMAGE_ID, VARIANT_ID);
      already = done.count();
      Dataset<Row> d = done.toDF("d_image_id", "d_variant_id");
      keys =
          keys.join(
              d,
              col(IMAGE_ID)
                  .equalTo(col("d_image_id"))
                  .and(col(VARIANT_ID).equalTo(col("d_variant_id"))),
              "left_anti");
    }
    if (maxImages > 0) {
      keys = keys.orderBy(IMAGE_ID, VARIANT_ID).limit((int) Math.min(Integer.MAX_VALUE, maxImages));
    }
    long todo = keys.count();
    ctx.say(
        String.format(
            Locale.ROOT,
            "%d images to extract (%d already in %s); model %s, engine %s, batch %d, %d thread(s) per task",
            todo,
            already,
            out,
            settings.modelSource().equals("zoo") ? "DL4J zoo ResNet50" : settings.modelFile(),
            settings.engine().equals("gemm")
                ? "gemm"
                : "dl4j "
                    + (settings.nhwc() ? "NHWC" : "NCHW")
                    + (settings.foldBatchNorm() ? " folded" : ""),
            settings.batchSize(),
            settings.threads()));
    if (todo == 0) {
      ctx.say(
          String.format(
              Locale.ROOT, "summary: images=0 new, %d already extracted, out=%s", already, out));
      return Main.OK;
    }

    // 3. Extraction on the executors, one lazily loaded model per JVM.
    int slots = Math.max(1, spark.sparkContext().defaultParallelism());
    int partitions = (int) Math.max(Math.min(todo, slots), (todo + perTask - 1) / perTask);
    ModelLoader loader = new ModelLoader(settings, files.conf());
    SerializableConf conf = new SerializableConf(files.conf());
    LongAccumulator done = spark.sparkContext().longAccumulator("images");
    boolean keepMap = settings.keepMap();
    JavaRDD<Row> rows =
        keys.repartition(partitions)
            .javaRDD()
            .mapPartitions(it -> extractPartition(it, loader, conf, done, keepMap));
    Dataset<Row> result = spark.createDataFrame(rows, resultSchema(keepMap));

    Path tmp = files.temporaryFor(out);
    String run = RUN + "=" + runNumber;
    long start = System.nanoTime();
    try {
      try (Progress p =
          Progress.start(
              name() + ": images", todo, done::value, ctx.out(), Duration.ofSeconds(10))) {
        result.write().parquet(new Path(tmp, "rows").toString());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Dataset<Row> all = spark.read().parquet(new Path(tmp, "rows").toString());
      all.filter(col(REASON).isNull())
          .drop(REASON)
          .write()
          .parquet(new Path(new Path(tmp, FEATURES), run).toString());
      all.filter(col(REASON).isNotNull())
          .select(IMAGE_ID, VARIANT_ID, IMAGE_PATH, REASON)
          .coalesce(1)
          .write()
          .parquet(new Path(new Path(tmp, REJECTED), run).toString());
      Dataset<Row> bad = spark.read().parquet(new Path(new Path(tmp, REJECTED), run).toString());
      long nBad = bad.count();
      long nOk = spark.read().parquet(new Path(new Path(tmp, FEATURES), run).toString()).count();
      reportRejects(ctx, bad, nBad);
      List<Row> changed =
          bad.filter(col(REASON).startsWith(ContentHash.CHANGED)).limit(1).collectAsList();
      if (!changed.isEmpty() && onMismatch.equals("fail")) {
        throw new StageFailure(
            bad.filter(col(REASON).startsWith(ContentHash.CHANGED)).count()
                + " images changed since their hash was recorded, e.g. "
                + changed.get(0).getString(0)
                + " ("
                + changed.get(0).getString(2)
                + "): "
                + changed.get(0).getString(3)
                + "; medvqa.images.hash-mismatch = fail, so nothing was added to "
                + out);
      }
      double fraction = (double) nBad / todo;
      if (fraction > maxRejected) {
        throw new StageFailure(
            String.format(
                Locale.ROOT,
                "%d of %d images unreadable (%.2f%%), above medvqa.features.max-rejected-fraction = %s;"
                    + " nothing was added to %s",
                nBad,
                todo,
                100 * fraction,
                maxRejected,
                out));
      }
      files.deleteQuietly(new Path(tmp, "rows"));
      Provenance prov =
          ctx.provenance()
              .input("manifest", HadoopFiles.uri(files.qualify(manifestPath)))
              .input(
                  "model",
                  settings.modelSource().equals("zoo")
                      ? "dl4j-zoo:ResNet50/IMAGENET"
                      : settings.modelFile())
              .count("images_already_extracted", already)
              .count("images_in", todo)
              .count("images_out", nOk)
              .count("images_rejected", nBad)
              .count("images_total", already + nOk)
              .note("signature", signature)
              .note("last_run", String.valueOf(runNumber))
              .note("key", "(image_id, variant_id); variant_id 0 = original image")
              .note("seconds_extracting", String.format(Locale.ROOT, "%.1f", seconds));
      if (!exists) {
        ctx.writeProvenance(tmp, prov);
        files.commit(tmp, out);
      } else {
        moveRun(files, new Path(tmp, FEATURES), new Path(out, FEATURES), run);
        moveRun(files, new Path(tmp, REJECTED), new Path(out, REJECTED), run);
        ctx.writeProvenance(out, prov);
      }
      ctx.say(
          String.format(
              Locale.ROOT,
              "summary: images=%d rejected=%d (%.2f%%) total=%d run=%d rate=%.2f images/s out=%s",
              nOk,
              nBad,
              100 * fraction,
              already + nOk,
              runNumber,
              todo / Math.max(1e-9, seconds),
              out));
      return Main.OK;
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
    }
  }

  /** What must not change between the runs of one output: the model and the preprocessing. */
  /**
   * {@code s} with its model file as a full URI (the form the signature records and executors
   * open), refused when the file is missing.
   */
  static FeatureSettings withModelFile(FeatureSettings s, HadoopFiles files)
      throws java.io.IOException {
    if (!s.modelSource().equals("file")) {
      return s;
    }
    Path model = files.qualify(s.modelFile());
    if (!files.exists(model)) {
      throw new StageFailure(
          "model file "
              + model
              + " does not exist (make weights writes models/resnet50-keras-imagenet.zip;"
              + " set medvqa.features.model.file)");
    }
    return s.withModelFile(HadoopFiles.uri(model));
  }

  static String signature(FeatureSettings s) {
    return String.join(
        " ",
        "model=" + (s.modelSource().equals("zoo") ? "zoo" : s.modelFile()),
        "size=" + s.imageSize(),
        "resize=" + s.resize(),
        "preprocessing=" + s.preprocessing(),
        "map=" + s.keepMap());
  }

  /**
   * Checks that an existing output is complete and was made with the same model and preprocessing,
   * and returns its highest run number.
   */
  private static int checkExisting(HadoopFiles files, Path out, String signature, boolean keepMap)
      throws IOException {
    Path prov = new Path(out, "provenance.json");
    if (!files.exists(prov) || !files.exists(new Path(out, FEATURES))) {
      throw new StageFailure(
          "output "
              + out
              + " exists but is not a complete extract-features output (no provenance.json or features/); remove it");
    }
    JsonNode p = JSON.readTree(files.readAll(prov));
    String before = p.path("notes").path("signature").asText("");
    if (!before.equals(signature)) {
      throw new StageFailure(
          "output "
              + out
              + " was made with different settings ("
              + before
              + ", now "
              + signature
              + "); features of one table must come from one model and preprocessing: choose another output");
    }
    int max = 0;
    FileSystem fs = files.fs(out);
    for (FileStatus s : fs.listStatus(new Path(out, FEATURES))) {
      String n = s.getPath().getName();
      if (s.isDirectory() && n.startsWith(RUN + "=")) {
        try {
          max = Math.max(max, Integer.parseInt(n.substring(RUN.length() + 1)));
        } catch (NumberFormatException e) {
          throw new StageFailure("unexpected folder " + s.getPath() + " in the feature table");
        }
      }
    }
    return max;
  }

  /** Renames one run folder into the table; refuses to overwrite (a concurrent run). */
  private static void moveRun(HadoopFiles files, Path fromTable, Path toTable, String run)
      throws IOException {
    Path from = new Path(fromTable, run);
    if (!files.exists(from)) {
      // Written by this run a moment ago: removed since, by another run of the same output.
      throw new StageFailure(
          from
              + " vanished while this run was working: another extract-features run on the same"
              + " output removed it?");
    }
    FileSystem fs = files.fs(toTable);
    fs.mkdirs(toTable);
    Path to = new Path(toTable, run);
    if (fs.exists(to)) {
      throw new StageFailure(
          to
              + " appeared while this run was working: another extract-features run on the same output?");
    }
    if (!fs.rename(from, to)) {
      throw new IOException("could not rename " + from + " to " + to);
    }
  }

  /** Threads per task when not configured: the executor's cores over its concurrent tasks. */
  static int autoThreads(SparkSession spark) {
    SparkConf conf = spark.sparkContext().getConf();
    String master = conf.get("spark.master", "local[*]");
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int cores;
    int slots;
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?\\]").matcher(master);
    if (master.equals("local")) {
      cores = Runtime.getRuntime().availableProcessors();
      slots = 1;
    } else if (m.matches()) {
      cores = Runtime.getRuntime().availableProcessors();
      slots = m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
    } else {
      cores = conf.getInt("spark.executor.cores", Runtime.getRuntime().availableProcessors());
      slots = Math.max(1, cores / taskCpus);
    }
    return Math.max(taskCpus, cores / Math.max(1, slots));
  }

  /** One task: its images through the network of this JVM, in batches. */
  static Iterator<Row> extractPartition(
      Iterator<Row> rows,
      ModelLoader loader,
      SerializableConf conf,
      LongAccumulator done,
      boolean keepMap) {
    if (!rows.hasNext()) {
      return java.util.Collections.emptyIterator();
    }
    FeatureModel model = loader.get();
    Iterator<BatchExtraction.Request> requests =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return rows.hasNext();
          }

          @Override
          public BatchExtraction.Request next() {
            Row r = rows.next();
            return new BatchExtraction.Request(
                r.getString(0), r.getInt(1), r.getString(2), r.getString(3));
          }
        };
    BatchExtraction extraction =
        new BatchExtraction(requests, model, path -> read(conf, path), done::add);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) t -> extraction.close());
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return extraction.hasNext();
      }

      @Override
      public Row next() {
        BatchExtraction.Result r = extraction.next();
        BatchExtraction.Request q = r.request();
        List<Object> values = new ArrayList<>(6);
        values.add(q.imageId());
        values.add(q.variantId());
        values.add(q.path());
        values.add(r.features());
        if (keepMap) {
          values.add(r.map());
        }
        values.add(r.problem());
        return RowFactory.create(values.toArray());
      }
    };
  }

  private static byte[] read(SerializableConf conf, String path) throws IOException {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
      return in.readAllBytes();
    }
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
}
