package org.medvqa.augment.image;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.flatten;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
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

/**
 * {@code augment-images} as a stage: K shifted, flipped, rotated and blurred variants of every
 * distinct image of a manifest's chosen splits ({@code medvqa.augment.images}). Each image is read
 * through the Hadoop file system and decoded once on an executor ({@link AugmentPartition}), its
 * variants drawn from (seed, image id, variant index), transformed, encoded and written; partitions
 * are streamed image by image, and only counts come back to the driver.
 *
 * <p>Output folder: {@code images/<shard>/<image_id>-v<k>.jpg} (or {@code .png}), {@code manifest/}
 * (Parquet), {@code _rejected/} and {@code provenance.json}. The manifest holds, for every QA row
 * of an augmented image, one row per variant: the input's columns with {@code sample_id} {@code
 * <sample_id>-i<k>}, {@code image_path}, {@code image_width} and {@code image_height} of the
 * variant, and {@code image_id} still the parent's (so that splits by image, and {@code
 * extract-features}' key {@code (image_id, variant_id)}, see the family), then the columns {@link
 * #ADDED}. With {@code keep-originals} the input rows come too, as variant 0.
 */
public final class ImageAugmentStage {
  /** The input row's sample id (the row itself for an original). */
  public static final String PARENT_SAMPLE_ID = "parent_sample_id";

  /** 0 for the original image, 1..K for its variants. */
  public static final String VARIANT_ID = "variant_id";

  /** The variant's own image name, {@code <image_id>-v<k>} (the image id for variant 0). */
  public static final String VARIANT_IMAGE = "variant_image";

  /** The parent image's file (the variant was made from it). */
  public static final String PARENT_IMAGE_PATH = "parent_image_path";

  /** Horizontal shift in whole pixels, positive to the right (applied after the rotation). */
  public static final String SHIFT_X = "shift_x";

  /** Vertical shift in whole pixels, positive downwards. */
  public static final String SHIFT_Y = "shift_y";

  /** Rotation about the centre in degrees, positive counter-clockwise as seen on screen. */
  public static final String ROTATION = "rotation";

  /** Mirrored left-right (applied first). */
  public static final String FLIP_HORIZONTAL = "flip_horizontal";

  /** Mirrored top-bottom (applied first). */
  public static final String FLIP_VERTICAL = "flip_vertical";

  /** Gaussian blur sigma in pixels (applied last); 0 for none. */
  public static final String BLUR_SIGMA = "blur_sigma";

  /**
   * Whether the image's variants could be flipped: false when one of its questions (or answers)
   * mentions left or right; null for rows outside the augmented splits.
   */
  public static final String FLIPS_ALLOWED = "flips_allowed";

  /** Columns added to the manifest, in order. */
  public static final List<String> ADDED =
      List.of(
          PARENT_SAMPLE_ID,
          VARIANT_ID,
          VARIANT_IMAGE,
          PARENT_IMAGE_PATH,
          SHIFT_X,
          SHIFT_Y,
          ROTATION,
          FLIP_HORIZONTAL,
          FLIP_VERTICAL,
          BLUR_SIGMA,
          FLIPS_ALLOWED);

  /**
   * The manifest columns the stage reads ({@code image_sha256} too when present: the bytes read are
   * checked against it; {@code image_width} and {@code image_height} are replaced when present).
   */
  public static final List<String> NEEDS =
      List.of(
          ManifestColumns.SAMPLE_ID,
          ManifestColumns.IMAGE_ID,
          ManifestColumns.IMAGE_PATH,
          ManifestColumns.QUESTION,
          ManifestColumns.ANSWERS,
          ManifestColumns.SPLIT,
          ManifestColumns.SOURCE_FILE,
          ManifestColumns.SOURCE_LINE);

  /** What the executors return: one row per variant, or one per image that could not be used. */
  public static final StructType VARIANT_SCHEMA =
      new StructType()
          .add("v_image_id", DataTypes.StringType, true)
          .add(VARIANT_ID, DataTypes.IntegerType, false)
          .add(VARIANT_IMAGE, DataTypes.StringType, true)
          .add("v_path", DataTypes.StringType, true)
          .add("v_width", DataTypes.IntegerType, true)
          .add("v_height", DataTypes.IntegerType, true)
          .add("v_channels", DataTypes.IntegerType, true)
          .add("v_bytes", DataTypes.LongType, false)
          .add("v_sha256", DataTypes.StringType, true)
          .add(SHIFT_X, DataTypes.IntegerType, false)
          .add(SHIFT_Y, DataTypes.IntegerType, false)
          .add(ROTATION, DataTypes.DoubleType, false)
          .add(FLIP_HORIZONTAL, DataTypes.BooleanType, false)
          .add(FLIP_VERTICAL, DataTypes.BooleanType, false)
          .add(BLUR_SIGMA, DataTypes.DoubleType, false)
          .add(FLIPS_ALLOWED, DataTypes.BooleanType, true)
          .add("v_kind", DataTypes.StringType, true)
          .add("v_problem", DataTypes.StringType, true);

  /** The folder of the variant files in the output. */
  public static final String IMAGES = "images";

  /** The manifest table in the output. */
  public static final String MANIFEST = "manifest";

  /** The rejected rows in the output. */
  public static final String REJECTED = "_rejected";

  private static final String PROBLEM = "v_problem";

  /**
   * What the augmentation did.
   *
   * @param recordsIn rows of the input manifest
   * @param images distinct images of the chosen splits
   * @param imagesRejected images that could not be used (their rows are rejected)
   * @param variants variant files written
   * @param bytes bytes of the variant files
   * @param withoutFlips images never flipped because a question or answer names a side
   * @param grey images processed as one grey channel
   * @param phases seconds of each phase so far, in order (plan, augment, manifest, finish)
   */
  public record Stats(
      long recordsIn,
      long images,
      long imagesRejected,
      long variants,
      long bytes,
      long withoutFlips,
      long grey,
      Map<String, Double> phases) {
    public long imagesAugmented() {
      return images - imagesRejected;
    }

    /** These statistics with {@code phases} instead. */
    public Stats withPhases(Map<String, Double> phases) {
      return new Stats(
          recordsIn, images, imagesRejected, variants, bytes, withoutFlips, grey, phases);
    }

    /** Seconds reading, decoding, transforming, encoding and writing the images. */
    public double augmentSeconds() {
      return phases.getOrDefault("augment", 0.0);
    }
  }

  /**
   * The outputs of {@link #apply}: the manifest and the rejected rows (lazy, over the cached
   * executor rows: close the result when they are written), the executor rows and the statistics.
   */
  public record Result(
      Dataset<Row> manifest, Dataset<Row> rejected, Dataset<Row> variants, Stats stats)
      implements AutoCloseable {
    @Override
    public void close() {
      variants.unpersist();
    }
  }

  /**
   * What {@link #run} wrote.
   *
   * @param out the committed output folder
   * @param stats the augmentation's statistics, with every phase
   * @param recordsOut rows of the output manifest
   * @param rejected rows rejected
   */
  public record Outcome(Path out, Stats stats, long recordsOut, long rejected) {
    /** The rejected fraction of the input rows. */
    public double rejectedFraction() {
      return stats.recordsIn() == 0 ? 1 : (double) rejected / stats.recordsIn();
    }
  }

  private final ImageAugmentSettings settings;

  public ImageAugmentStage(ImageAugmentSettings settings) {
    this.settings = settings;
  }

  public ImageAugmentSettings settings() {
    return settings;
  }

  /**
   * Reads {@code settings.manifest()}, augments it and writes {@code settings.out()} through a
   * {@link StagedOutput}: the reject limit checked, provenance written last, renamed into place.
   */
  public Outcome run(StageContext ctx) throws IOException {
    Clock clock = new Clock();
    Provenance prov = ctx.provenance(); // made now, so that it records the start time
    try (StagedOutput out = StagedOutput.open(ctx, settings.out());
        Result r = apply(ctx, Tables.manifest(ctx, settings.manifest()), out, clock)) {
      long recordsOut = write(r, out);
      Dataset<Row> rejected = Tables.rejected(ctx, new Path(out.tmp(), REJECTED));
      long nRejected = rejected.count();
      long in = r.stats().recordsIn();
      Tables.sayRejects(ctx, rejected, nRejected, in, "rows", 5);
      clock.lap("manifest");
      if (r.stats().images() > 0 && r.stats().imagesRejected() == r.stats().images()) {
        throw new StageFailure("no image could be augmented; see the reasons above");
      }
      out.limitRejects(
          nRejected, in, "rows", settings.maxRejectedFraction(), ImageAugmentSettings.MAX_REJECTED);
      record(prov, r.stats(), recordsOut, nRejected);
      clock.lap("finish");
      clock.note(prov);
      Path target = out.commit(prov);
      return new Outcome(target, r.stats().withPhases(clock.seconds()), recordsOut, nRejected);
    }
  }

  /**
   * Checks the manifest's columns, then augments its images into {@code out}'s temporary folder and
   * returns the output manifest, the rejected rows and the statistics (close the result when they
   * are written).
   */
  public Result apply(StageContext ctx, Dataset<Row> manifest, StagedOutput out) {
    return apply(ctx, manifest, out, new Clock());
  }

  private Result apply(StageContext ctx, Dataset<Row> manifest, StagedOutput out, Clock clock) {
    Tables.refuseColumns(
        manifest,
        ADDED,
        "manifest",
        "it is an augment-images output; augment the ingest manifest instead");
    Tables.requireColumns(manifest, NEEDS, "manifest", "is it an ingest output?");
    Column inSplits =
        settings.splits().isEmpty()
            ? lit(true)
            : col(ManifestColumns.SPLIT).isin(settings.splits().toArray());
    Dataset<Row> todo = manifest.filter(inSplits);
    Augmented a = augment(ctx, manifest, todo, out, clock);
    Dataset<Row> variants = a.variants();
    try {
      Stats stats = totals(variants, a.recordsIn(), a.images(), clock);
      if (settings.failOnHashMismatch()) {
        failOnChanged(variants);
      }
      sayAugmented(ctx, stats);
      Dataset<Row> good = variants.filter(col(PROBLEM).isNull());
      if (!settings.keepOriginals()) {
        good = good.filter(col(VARIANT_ID).gt(0));
      }
      Dataset<Row> output = variantRows(manifest.columns(), todo, good);
      if (settings.keepOriginals()) {
        output = output.unionByName(originals(manifest.filter(not(inSplits))));
      }
      return new Result(output, rejected(todo, variants), variants, stats);
    } catch (RuntimeException | Error e) {
      variants.unpersist();
      throw e;
    }
  }

  /** The executor rows (cached), the input's rows and its distinct images. */
  private record Augmented(Dataset<Row> variants, long recordsIn, long images) {}

  /**
   * The distinct images of the chosen splits through the executors: the cached executor rows,
   * counted (the work happens then). The images table is released once they are: the executor rows
   * are cached on memory and disk, and only they are read from then on.
   */
  private Augmented augment(
      StageContext ctx, Dataset<Row> manifest, Dataset<Row> todo, StagedOutput out, Clock clock) {
    Dataset<Row> images = distinctImages(manifest, todo).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long recordsIn = manifest.count();
      long imageCount = images.count();
      if (imageCount == 0) {
        throw new StageFailure(
            "no image in splits "
                + settings.splits()
                + " of "
                + settings.manifest()
                + " (set "
                + ImageAugmentSettings.PATH
                + ".splits, [] for all)");
      }
      sayPlan(ctx, recordsIn, imageCount);
      LongAccumulator done = ctx.spark().sparkContext().longAccumulator("images augmented");
      JavaRDD<Row> rows =
          images
              .repartition(partitions(ctx, imageCount))
              .javaRDD()
              .mapPartitions(partitionWork(ctx, out, done));
      Dataset<Row> variants =
          ctx.spark().createDataFrame(rows, VARIANT_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
      clock.lap("plan");
      try (Progress p =
          Progress.start(
              "augment-images: images",
              imageCount,
              done::value,
              ctx.out(),
              Duration.ofSeconds(5))) {
        variants.count();
      } catch (RuntimeException | Error e) {
        variants.unpersist();
        throw e;
      }
      clock.lap("augment");
      return new Augmented(variants, recordsIn, imageCount);
    } finally {
      images.unpersist();
    }
  }

  /** The distinct images of {@code todo}, each with its questions, answers and recorded hash. */
  private static Dataset<Row> distinctImages(Dataset<Row> manifest, Dataset<Row> todo) {
    // The SHA-256 ingest recorded for each file: the bytes read are checked against it (a
    // manifest without the column is not checked).
    Column recorded =
        Tables.has(manifest, ManifestColumns.IMAGE_SHA256)
            ? col(ManifestColumns.IMAGE_SHA256)
            : lit(null).cast(DataTypes.StringType);
    return todo.filter(col(ManifestColumns.IMAGE_ID).isNotNull())
        .groupBy(col(ManifestColumns.IMAGE_ID))
        .agg(
            min(ManifestColumns.IMAGE_PATH).as("path"),
            countDistinct(col(ManifestColumns.IMAGE_PATH)).as("paths"),
            collect_list(col(ManifestColumns.QUESTION)).as("questions"),
            flatten(collect_list(col(ManifestColumns.ANSWERS))).as("answers"),
            min(struct(col(ManifestColumns.IMAGE_PATH).as("p"), recorded.as("h")))
                .getField("h")
                .as("sha256"));
  }

  /**
   * images-per-task each, but at least 8 tasks per task slot, so that large (colour) and small
   * images even out across the slots.
   */
  private int partitions(StageContext ctx, long imageCount) {
    int parallelism = ctx.spark().sparkContext().defaultParallelism();
    long byTask = (imageCount + settings.imagesPerTask() - 1) / settings.imagesPerTask();
    return (int) Math.max(1, Math.min(Math.max(imageCount, 1), Math.max(byTask, 8L * parallelism)));
  }

  private AugmentPartition partitionWork(StageContext ctx, StagedOutput out, LongAccumulator done) {
    return new AugmentPartition(
        settings,
        new SerializableConf(ctx.files().conf()),
        out.path(IMAGES),
        HadoopFiles.uri(new Path(out.target(), IMAGES)),
        done);
  }

  private void sayPlan(StageContext ctx, long recordsIn, long imageCount) {
    ctx.say(
        String.format(
            Locale.ROOT,
            "%d rows, %d distinct images in splits %s; %d variants each (seed %d), %s",
            recordsIn,
            imageCount,
            settings.splits().isEmpty() ? "(all)" : settings.splits(),
            settings.variants(),
            settings.seed(),
            settings.format().configName()));
  }

  /** Variants written, images rejected, bytes, images without flips and grey images. */
  private static Stats totals(Dataset<Row> variants, long recordsIn, long images, Clock clock) {
    Column original = col(VARIANT_ID).equalTo(0);
    Row t =
        variants
            .agg(
                count(col(VARIANT_ID).gt(0).and(col(PROBLEM).isNull())),
                count(col(PROBLEM).isNotNull()),
                sum(col("v_bytes")).cast(DataTypes.LongType),
                count(original.and(col(FLIPS_ALLOWED).equalTo(false))),
                count(original.and(col("v_channels").equalTo(1))))
            .first();
    long[] v = new long[5];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.isNullAt(i) ? 0 : t.getLong(i);
    }
    return new Stats(recordsIn, images, v[1], v[0], v[2], v[3], v[4], clock.seconds());
  }

  /** How many rows meet {@code condition}, as a long. */
  private static Column count(Column condition) {
    return sum(when(condition, 1).otherwise(0)).cast(DataTypes.LongType);
  }

  /** {@code medvqa.images.hash-mismatch = fail}: fails naming the first changed image. */
  private static void failOnChanged(Dataset<Row> variants) {
    Dataset<Row> changed = variants.filter(col(PROBLEM).startsWith(ContentHash.CHANGED));
    List<Row> first = changed.limit(1).collectAsList();
    if (!first.isEmpty()) {
      throw new StageFailure(
          changed.count()
              + " images changed since their hash was recorded, e.g. "
              + first.get(0).getString(0)
              + ": "
              + first.get(0).getString(first.get(0).fieldIndex(PROBLEM))
              + "; "
              + ImageAugmentSettings.HASH_MISMATCH
              + " = fail");
    }
  }

  private static void sayAugmented(StageContext ctx, Stats s) {
    double seconds = s.augmentSeconds();
    ctx.say(
        String.format(
            Locale.ROOT,
            "augmented %d images into %d variants (%.1f MB) in %.1f s: %.1f images/s, %.1f"
                + " variants/s; %d without flips (laterality), %d processed as grey, %d"
                + " unusable",
            s.imagesAugmented(),
            s.variants(),
            s.bytes() / 1e6,
            seconds,
            s.imagesAugmented() / Math.max(1e-9, seconds),
            s.variants() / Math.max(1e-9, seconds),
            s.withoutFlips(),
            s.grey(),
            s.imagesRejected()));
  }

  /** Every QA row of an augmented image once per variant (and as variant 0). */
  private static Dataset<Row> variantRows(
      String[] inputColumns, Dataset<Row> todo, Dataset<Row> good) {
    List<Column> cols = new ArrayList<>();
    for (String c : inputColumns) {
      cols.add(
          switch (c) {
            case ManifestColumns.SAMPLE_ID ->
                when(col(VARIANT_ID).equalTo(0), col(c))
                    .otherwise(concat(col(c), lit("-i"), col(VARIANT_ID).cast("string")))
                    .as(c);
            case ManifestColumns.IMAGE_PATH -> col("v_path").as(c);
            case ManifestColumns.IMAGE_WIDTH -> col("v_width").as(c);
            case ManifestColumns.IMAGE_HEIGHT -> col("v_height").as(c);
            // A variant is another picture, with its own content hash (the feature cache's key).
            case ManifestColumns.IMAGE_SHA256 ->
                when(col(VARIANT_ID).equalTo(0), col(c)).otherwise(col("v_sha256")).as(c);
            default -> col(c);
          });
    }
    cols.add(col(ManifestColumns.SAMPLE_ID).as(PARENT_SAMPLE_ID));
    cols.add(col(VARIANT_ID));
    cols.add(col(VARIANT_IMAGE));
    cols.add(col(ManifestColumns.IMAGE_PATH).as(PARENT_IMAGE_PATH));
    for (String c : ADDED.subList(4, ADDED.size())) {
      cols.add(col(c));
    }
    return todo.join(good, todo.col(ManifestColumns.IMAGE_ID).equalTo(good.col("v_image_id")))
        .select(cols.toArray(new Column[0]));
  }

  /** The rows outside the chosen splits, as their own variant 0. */
  private static Dataset<Row> originals(Dataset<Row> rest) {
    return rest.withColumn(PARENT_SAMPLE_ID, col(ManifestColumns.SAMPLE_ID))
        .withColumn(VARIANT_ID, lit(0))
        .withColumn(VARIANT_IMAGE, col(ManifestColumns.IMAGE_ID))
        .withColumn(PARENT_IMAGE_PATH, col(ManifestColumns.IMAGE_PATH))
        .withColumn(SHIFT_X, lit(0))
        .withColumn(SHIFT_Y, lit(0))
        .withColumn(ROTATION, lit(0.0))
        .withColumn(FLIP_HORIZONTAL, lit(false))
        .withColumn(FLIP_VERTICAL, lit(false))
        .withColumn(BLUR_SIGMA, lit(0.0))
        .withColumn(FLIPS_ALLOWED, lit(null).cast(DataTypes.BooleanType));
  }

  /** Rejected: the rows of an unusable image, and rows without an image id. */
  private static Dataset<Row> rejected(Dataset<Row> todo, Dataset<Row> variants) {
    Dataset<Row> badImages = variants.filter(col(PROBLEM).isNotNull());
    return todo.join(badImages, todo.col(ManifestColumns.IMAGE_ID).equalTo(col("v_image_id")))
        .select(
            col(ManifestColumns.SOURCE_FILE),
            col(ManifestColumns.SOURCE_LINE),
            coalesce(col(ManifestColumns.IMAGE_PATH), lit("")).as(ManifestColumns.RAW),
            concat(lit("image "), col(ManifestColumns.IMAGE_ID), lit(": "), col(PROBLEM))
                .as(ManifestColumns.REASON))
        .unionByName(
            todo.filter(col(ManifestColumns.IMAGE_ID).isNull())
                .select(
                    col(ManifestColumns.SOURCE_FILE),
                    col(ManifestColumns.SOURCE_LINE),
                    coalesce(col(ManifestColumns.QUESTION), lit("")).as(ManifestColumns.RAW),
                    concat(
                            lit("sample "),
                            coalesce(col(ManifestColumns.SAMPLE_ID), lit("?")),
                            lit(": row without an image id"))
                        .as(ManifestColumns.REASON)));
  }

  /**
   * Writes the manifest and the rejected rows into the temporary folder; returns the manifest's
   * rows. About a million rows per file (no swarm of tiny files for a small input); a QA row's
   * variants sit together; no global sort (a full shuffle of the largest table).
   */
  private long write(Result r, StagedOutput out) {
    long rowsEstimate = r.stats().recordsIn() * (settings.variants() + 1L);
    int parts = (int) Math.min(Integer.MAX_VALUE, rowsEstimate / 1_000_000 + 1);
    r.manifest()
        .coalesce(parts) // never more partitions than there are
        .sortWithinPartitions(col(PARENT_SAMPLE_ID), col(VARIANT_ID))
        .write()
        .parquet(out.path(MANIFEST));
    r.rejected()
        .coalesce(1)
        .sortWithinPartitions(ManifestColumns.SOURCE_FILE, ManifestColumns.SOURCE_LINE)
        .write()
        .parquet(out.path(REJECTED));
    return r.manifest().sparkSession().read().parquet(out.path(MANIFEST)).count();
  }

  private void record(Provenance prov, Stats s, long recordsOut, long nRejected) {
    prov.input("manifest", settings.manifest())
        .count("records_in", s.recordsIn())
        .count("records_out", recordsOut)
        .count("records_rejected", nRejected)
        .count("images_in", s.images())
        .count("images_augmented", s.imagesAugmented())
        .count("images_rejected", s.imagesRejected())
        .count("images_without_flips", s.withoutFlips())
        .count("images_processed_as_grey", s.grey())
        .count("variants_written", s.variants())
        .count("bytes_written", s.bytes())
        .note("seconds_augmenting", String.format(Locale.ROOT, "%.3f", s.augmentSeconds()))
        .note("key", "(image_id, variant_id); variant_id 0 = original image")
        .seed(settings.seed());
  }

  /** The seconds of each phase, from the stage's start. */
  private static final class Clock {
    private final long started = System.nanoTime();
    private long at = started;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    void lap(String phase) {
      long now = System.nanoTime();
      seconds.put(phase, (now - at) / 1e9);
      at = now;
    }

    Map<String, Double> seconds() {
      return Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
    }

    /** {@code seconds_<phase>} for each phase, and {@code seconds_total}. */
    void note(Provenance prov) {
      for (Map.Entry<String, Double> e : seconds.entrySet()) {
        prov.note("seconds_" + e.getKey(), String.format(Locale.ROOT, "%.3f", e.getValue()));
      }
      prov.note(
          "seconds_total", String.format(Locale.ROOT, "%.3f", (System.nanoTime() - started) / 1e9));
    }
  }
}
