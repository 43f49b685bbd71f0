package org.medvqa.jobs;

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
import static org.apache.spark.sql.functions.when;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.augment.image.ImageAugmentSettings;
import org.medvqa.augment.image.ImageAugmenter;
import org.medvqa.augment.image.TransformSampler;
import org.medvqa.core.ImageIds;
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

/**
 * {@code augment-images}: K shifted, flipped, rotated and blurred variants of every distinct image
 * of a manifest's chosen splits ({@code medvqa.augment.images}). Each image is read through the
 * Hadoop file system and decoded once on an executor, its variants drawn from (seed, image id,
 * variant index), transformed, encoded and written; partitions are streamed image by image, and
 * only counts come back to the driver.
 *
 * <p>Output folder: {@code images/<shard>/<image_id>-v<k>.jpg} (or {@code .png}), {@code manifest/}
 * (Parquet), {@code _rejected/} and {@code provenance.json}. The manifest holds, for every QA row
 * of an augmented image, one row per variant: the input's columns with {@code sample_id} {@code
 * <sample_id>-i<k>}, {@code image_path}, {@code image_width} and {@code image_height} of the
 * variant, and {@code image_id} still the parent's (so that splits by image, and {@code
 * extract-features}' key {@code (image_id, variant_id)}, see the family), then the columns below.
 * With {@code keep-originals} the input rows come too, as variant 0.
 */
public final class AugmentImagesJob implements Job {
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

  /** What the executors return: one row per variant, or one per image that could not be used. */
  static final StructType VARIANT_SCHEMA =
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

  private static final String IMAGES = "images";

  @Override
  public String name() {
    return "augment-images";
  }

  @Override
  public String summary() {
    return "shift/flip/rotate/blur variants of the manifest's images (images + manifest)";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    long started = System.nanoTime();
    Provenance prov = ctx.provenance(); // made now, so that it records the start time
    ImageAugmentSettings s = ImageAugmentSettings.from(ctx.config());
    String manifestPath =
        ConfigCheck.requireString(ctx.config(), ImageAugmentSettings.PATH + ".manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), ImageAugmentSettings.PATH + ".out");
    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    Path out = ctx.newOutput(outPath);
    Dataset<Row> manifest = Tables.manifest(ctx, manifestPath);
    for (String c : ADDED) {
      if (Arrays.asList(manifest.columns()).contains(c)) {
        throw new StageFailure(
            "manifest already has column '"
                + c
                + "': it is an augment-images output; augment the ingest manifest instead");
      }
    }
    Map<String, Double> phases = new LinkedHashMap<>();
    String onMismatch =
        ConfigCheck.requireOneOf(
            ctx.config(), "medvqa.images.hash-mismatch", List.of("reject", "fail"));
    // The SHA-256 ingest recorded for each file: the bytes read are checked against it (a
    // manifest without the column is not checked).
    Column recorded =
        Arrays.asList(manifest.columns()).contains(ManifestColumns.IMAGE_SHA256)
            ? col(ManifestColumns.IMAGE_SHA256)
            : lit(null).cast(DataTypes.StringType);

    // 1. The distinct images of the chosen splits, each with its questions and answers.
    Column inSplits =
        s.splits().isEmpty() ? lit(true) : col(ManifestColumns.SPLIT).isin(s.splits().toArray());
    Dataset<Row> todo = manifest.filter(inSplits);
    Dataset<Row> rest = manifest.filter(not(inSplits));
    Dataset<Row> images =
        todo.filter(col(ManifestColumns.IMAGE_ID).isNotNull())
            .groupBy(col(ManifestColumns.IMAGE_ID))
            .agg(
                min(ManifestColumns.IMAGE_PATH).as("path"),
                countDistinct(col(ManifestColumns.IMAGE_PATH)).as("paths"),
                collect_list(col(ManifestColumns.QUESTION)).as("questions"),
                flatten(collect_list(col(ManifestColumns.ANSWERS))).as("answers"),
                min(struct(col(ManifestColumns.IMAGE_PATH).as("p"), recorded.as("h")))
                    .getField("h")
                    .as("sha256"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    long recordsIn = manifest.count();
    long imageCount = images.count();
    if (imageCount == 0) {
      images.unpersist();
      throw new StageFailure(
          "no image in splits "
              + s.splits()
              + " of "
              + manifestPath
              + " (set "
              + ImageAugmentSettings.PATH
              + ".splits, [] for all)");
    }
    ctx.say(
        String.format(
            Locale.ROOT,
            "%d rows, %d distinct images in splits %s; %d variants each (seed %d), %s",
            recordsIn,
            imageCount,
            s.splits().isEmpty() ? "(all)" : s.splits(),
            s.variants(),
            s.seed(),
            s.format().configName()));

    // 2. Executors: read, decode, transform, encode and write, image by image.
    // images-per-task each, but at least 8 tasks per task slot, so that large (colour) and small
    // images even out across the slots.
    int parallelism = spark.sparkContext().defaultParallelism();
    long byTask = (imageCount + s.imagesPerTask() - 1) / s.imagesPerTask();
    int partitions =
        (int) Math.max(1, Math.min(Math.max(imageCount, 1), Math.max(byTask, 8L * parallelism)));
    Path tmp = files.temporaryFor(out);
    String tmpImages = HadoopFiles.uri(new Path(tmp, IMAGES));
    String outImages = HadoopFiles.uri(new Path(out, IMAGES));
    SerializableConf conf = new SerializableConf(files.conf());
    LongAccumulator done = spark.sparkContext().longAccumulator("images augmented");
    JavaRDD<Row> variantRdd =
        images
            .repartition(partitions)
            .javaRDD()
            .mapPartitions(rows -> augmentPartition(rows, s, conf, tmpImages, outImages, done));
    Dataset<Row> variants =
        spark.createDataFrame(variantRdd, VARIANT_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long t = System.nanoTime();
      phases.put("plan", (t - started) / 1e9);
      try (Progress p =
          Progress.start(
              "augment-images: images",
              imageCount,
              done::value,
              ctx.out(),
              Duration.ofSeconds(5))) {
        variants.count();
      }
      double augmentSeconds = (System.nanoTime() - t) / 1e9;
      phases.put("augment", augmentSeconds);
      t = System.nanoTime();
      Row totals =
          variants
              .agg(
                  org.apache
                      .spark
                      .sql
                      .functions
                      .sum(
                          when(col(VARIANT_ID).gt(0).and(col("v_problem").isNull()), 1)
                              .otherwise(0))
                      .cast(DataTypes.LongType),
                  org.apache
                      .spark
                      .sql
                      .functions
                      .sum(when(col("v_problem").isNotNull(), 1).otherwise(0))
                      .cast(DataTypes.LongType),
                  org.apache.spark.sql.functions.sum(col("v_bytes")).cast(DataTypes.LongType),
                  org.apache
                      .spark
                      .sql
                      .functions
                      .sum(
                          when(col(VARIANT_ID).equalTo(0).and(col(FLIPS_ALLOWED).equalTo(false)), 1)
                              .otherwise(0))
                      .cast(DataTypes.LongType),
                  org.apache
                      .spark
                      .sql
                      .functions
                      .sum(
                          when(col(VARIANT_ID).equalTo(0).and(col("v_channels").equalTo(1)), 1)
                              .otherwise(0))
                      .cast(DataTypes.LongType))
              .first();
      long variantsWritten = totals.isNullAt(0) ? 0 : totals.getLong(0);
      long imagesRejected = totals.isNullAt(1) ? 0 : totals.getLong(1);
      long bytesWritten = totals.isNullAt(2) ? 0 : totals.getLong(2);
      long withoutFlips = totals.isNullAt(3) ? 0 : totals.getLong(3);
      long grey = totals.isNullAt(4) ? 0 : totals.getLong(4);
      if (onMismatch.equals("fail")) {
        Dataset<Row> changed = variants.filter(col("v_problem").startsWith(ContentHash.CHANGED));
        List<Row> first = changed.limit(1).collectAsList();
        if (!first.isEmpty()) {
          throw new StageFailure(
              changed.count()
                  + " images changed since their hash was recorded, e.g. "
                  + first.get(0).getString(0)
                  + ": "
                  + first.get(0).getString(first.get(0).fieldIndex("v_problem"))
                  + "; medvqa.images.hash-mismatch = fail");
        }
      }
      ctx.say(
          String.format(
              Locale.ROOT,
              "augmented %d images into %d variants (%.1f MB) in %.1f s: %.1f images/s, %.1f"
                  + " variants/s; %d without flips (laterality), %d processed as grey, %d"
                  + " unusable",
              imageCount - imagesRejected,
              variantsWritten,
              bytesWritten / 1e6,
              augmentSeconds,
              (imageCount - imagesRejected) / Math.max(1e-9, augmentSeconds),
              variantsWritten / Math.max(1e-9, augmentSeconds),
              withoutFlips,
              grey,
              imagesRejected));

      // 3. The manifest: every QA row of an augmented image once per variant (and as variant 0).
      Dataset<Row> good = variants.filter(col("v_problem").isNull());
      if (!s.keepOriginals()) {
        good = good.filter(col(VARIANT_ID).gt(0));
      }
      List<Column> cols = new ArrayList<>();
      for (String c : manifest.columns()) {
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
      Dataset<Row> augmented =
          todo.join(good, todo.col(ManifestColumns.IMAGE_ID).equalTo(good.col("v_image_id")))
              .select(cols.toArray(new Column[0]));
      Dataset<Row> output = augmented;
      if (s.keepOriginals()) {
        output =
            output.unionByName(
                rest.withColumn(PARENT_SAMPLE_ID, col(ManifestColumns.SAMPLE_ID))
                    .withColumn(VARIANT_ID, lit(0))
                    .withColumn(VARIANT_IMAGE, col(ManifestColumns.IMAGE_ID))
                    .withColumn(PARENT_IMAGE_PATH, col(ManifestColumns.IMAGE_PATH))
                    .withColumn(SHIFT_X, lit(0))
                    .withColumn(SHIFT_Y, lit(0))
                    .withColumn(ROTATION, lit(0.0))
                    .withColumn(FLIP_HORIZONTAL, lit(false))
                    .withColumn(FLIP_VERTICAL, lit(false))
                    .withColumn(BLUR_SIGMA, lit(0.0))
                    .withColumn(FLIPS_ALLOWED, lit(null).cast(DataTypes.BooleanType)));
      }

      // Rejected: the rows of an unusable image, and rows without an image id.
      Dataset<Row> badImages = variants.filter(col("v_problem").isNotNull());
      Dataset<Row> rejected =
          todo.join(badImages, todo.col(ManifestColumns.IMAGE_ID).equalTo(col("v_image_id")))
              .select(
                  col(ManifestColumns.SOURCE_FILE),
                  col(ManifestColumns.SOURCE_LINE),
                  coalesce(col(ManifestColumns.IMAGE_PATH), lit("")).as(ManifestColumns.RAW),
                  concat(lit("image "), col(ManifestColumns.IMAGE_ID), lit(": "), col("v_problem"))
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

      // 4. Write beside the target, check the reject limit, provenance last, rename into place.
      // About a million rows per file (no swarm of tiny files for a small input); a QA row's
      // variants sit together; no global sort (a full shuffle of the largest table).
      long rowsEstimate = recordsIn * (s.variants() + 1L);
      int parts = (int) Math.min(Integer.MAX_VALUE, rowsEstimate / 1_000_000 + 1);
      output
          .coalesce(parts) // never more partitions than there are
          .sortWithinPartitions(col(PARENT_SAMPLE_ID), col(VARIANT_ID))
          .write()
          .parquet(new Path(tmp, "manifest").toString());
      rejected
          .coalesce(1)
          .sortWithinPartitions(ManifestColumns.SOURCE_FILE, ManifestColumns.SOURCE_LINE)
          .write()
          .parquet(new Path(tmp, "_rejected").toString());
      Dataset<Row> r = Tables.rejected(ctx, new Path(tmp, "_rejected"));
      long recordsOut = spark.read().parquet(new Path(tmp, "manifest").toString()).count();
      long nRejected = r.count();
      double fraction = recordsIn == 0 ? 1 : (double) nRejected / recordsIn;
      if (nRejected > 0) {
        ctx.say("rejected " + nRejected + " of " + recordsIn + " rows; e.g.");
        for (Row row : r.limit(5).collectAsList()) {
          ctx.say("  " + row.getString(0) + ":" + row.get(1) + ": " + row.getString(3));
        }
      }
      phases.put("manifest", (System.nanoTime() - t) / 1e9);
      t = System.nanoTime();
      if (imageCount > 0 && imagesRejected == imageCount) {
        throw new StageFailure("no image could be augmented; see the reasons above");
      }
      if (fraction > s.maxRejectedFraction()) {
        Path failed =
            new Path(out.getParent(), out.getName() + ".failed-" + System.currentTimeMillis());
        files.fs(tmp).rename(tmp, failed);
        throw new StageFailure(
            String.format(
                Locale.ROOT,
                "%d of %d rows rejected (%.2f%%), above %s.max-rejected-fraction = %s; the"
                    + " output was moved to %s for inspection",
                nRejected,
                recordsIn,
                100 * fraction,
                ImageAugmentSettings.PATH,
                s.maxRejectedFraction(),
                failed));
      }
      prov.input("manifest", manifestPath)
          .count("records_in", recordsIn)
          .count("records_out", recordsOut)
          .count("records_rejected", nRejected)
          .count("images_in", imageCount)
          .count("images_augmented", imageCount - imagesRejected)
          .count("images_rejected", imagesRejected)
          .count("images_without_flips", withoutFlips)
          .count("images_processed_as_grey", grey)
          .count("variants_written", variantsWritten)
          .count("bytes_written", bytesWritten)
          .note("seconds_augmenting", String.format(Locale.ROOT, "%.3f", augmentSeconds))
          .note("key", "(image_id, variant_id); variant_id 0 = original image")
          .seed(s.seed());
      phases.put("finish", (System.nanoTime() - t) / 1e9);
      for (Map.Entry<String, Double> e : phases.entrySet()) {
        prov.note("seconds_" + e.getKey(), String.format(Locale.ROOT, "%.3f", e.getValue()));
      }
      prov.note(
          "seconds_total", String.format(Locale.ROOT, "%.3f", (System.nanoTime() - started) / 1e9));
      ctx.writeProvenance(tmp, prov);
      files.commit(tmp, out);
      ctx.say("phase       seconds   (plan: count rows and images; augment: read, decode,");
      ctx.say("                       transform, encode, write; manifest: join and write)");
      for (Map.Entry<String, Double> e : phases.entrySet()) {
        ctx.say(String.format(Locale.ROOT, "  %-9s %8.2f", e.getKey(), e.getValue()));
      }
      ctx.say(
          String.format(
              Locale.ROOT,
              "summary: images=%d variants=%d records=%d rejected=%d (%.2f%%) without-flips=%d"
                  + " out=%s",
              imageCount - imagesRejected,
              variantsWritten,
              recordsOut,
              nRejected,
              100 * fraction,
              withoutFlips,
              out));
      return Main.OK;
    } finally {
      variants.unpersist();
      images.unpersist();
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp); // a failed run leaves nothing half-written
      }
    }
  }

  /**
   * Executors: for each image row (image_id, path, paths, questions, answers, recorded SHA-256),
   * the variant rows (variant 0 first, the original as it is), or one row with the problem. Lazy:
   * one image's variants are in memory at a time.
   */
  static Iterator<Row> augmentPartition(
      Iterator<Row> rows,
      ImageAugmentSettings s,
      SerializableConf conf,
      String tmpImages,
      String outImages,
      LongAccumulator done) {
    ImageAugmenter augmenter = new ImageAugmenter(s);
    List<Row> buffer = new ArrayList<>();
    return new Iterator<>() {
      private int at;
      private boolean closed;

      @Override
      public boolean hasNext() {
        while (at >= buffer.size() && rows.hasNext()) {
          buffer.clear();
          at = 0;
          expand(rows.next());
        }
        if (at >= buffer.size() && !closed) {
          augmenter.close();
          closed = true;
        }
        return at < buffer.size();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return buffer.get(at++);
      }

      private void expand(Row r) {
        try {
          augmentOne(r, augmenter, conf, tmpImages, outImages, buffer);
        } catch (IOException e) {
          // Writing failed: a task failure (Spark retries it), not a property of the image.
          throw new UncheckedIOException("cannot write variants of " + r.getString(0), e);
        }
        done.add(1);
      }
    };
  }

  private static void augmentOne(
      Row r,
      ImageAugmenter augmenter,
      SerializableConf conf,
      String tmpImages,
      String outImages,
      List<Row> out)
      throws IOException {
    ImageAugmentSettings s = augmenter.settings();
    String id = r.getString(0);
    String path = r.getString(1);
    long paths = r.getLong(2);
    String idProblem = ImageIds.problem(id);
    if (idProblem != null) {
      out.add(problem(id, idProblem));
      return;
    }
    if (path == null || path.isBlank()) {
      out.add(problem(id, "no image path (was ingest run with image-check = none?)"));
      return;
    }
    if (paths > 1) {
      out.add(problem(id, "the image id names " + paths + " different image files"));
      return;
    }
    byte[] bytes;
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
      bytes = in.readAllBytes();
    } catch (FileNotFoundException e) {
      out.add(problem(id, "missing image file " + path));
      return;
    } catch (IOException e) {
      // Like a failed write: an I/O failure is not a property of the image, so it fails the task
      // (Spark retries it) rather than dropping the image's rows for a transient fault.
      throw new UncheckedIOException("cannot read image " + path, e);
    }
    // (Rows without the sixth field, from callers of the library, are not checked.)
    String changed = ContentHash.mismatch(r.size() > 5 ? r.getString(5) : null, bytes);
    if (changed != null) {
      out.add(problem(id, changed));
      return;
    }
    ImageAugmenter.Source src = augmenter.decode(bytes);
    if (!src.ok()) {
      out.add(problem(id, src.problem()));
      return;
    }
    boolean flips = augmenter.flipsAllowed(r.getList(3), r.getList(4));
    int w = src.pixels().width();
    int h = src.pixels().height();
    out.add(
        RowFactory.create(
            id,
            0,
            id,
            path,
            w,
            h,
            src.pixels().channels(),
            0L,
            null,
            0,
            0,
            0.0,
            false,
            false,
            0.0,
            flips,
            src.kind(),
            null));
    String shard = shard(id, s.shards());
    Path tmpDir = shard.isEmpty() ? new Path(tmpImages) : new Path(tmpImages, shard);
    String outDir = shard.isEmpty() ? outImages : outImages + "/" + shard;
    // Local folders are written with java.nio: Hadoop's local file system runs a "chmod" process
    // for every file it creates when its native library is absent, which costs more than the
    // image itself. Other file systems (hdfs, s3a) go through Hadoop.
    boolean local = "file".equals(tmpDir.toUri().getScheme());
    FileSystem fs = local ? null : tmpDir.getFileSystem(conf.get());
    if (local) {
      Files.createDirectories(Paths.get(tmpDir.toUri()));
    }
    for (int k = 1; k <= s.variants(); k++) {
      ImageAugmenter.Variant v = augmenter.render(src.pixels(), id, k, flips);
      String name = id + "-v" + k;
      String file = name + "." + s.format().extension();
      // Overwrite: a retried task writes the same bytes to the same file.
      Path target = new Path(tmpDir, file);
      if (local) {
        Files.write(Paths.get(target.toUri()), v.bytes());
      } else {
        try (OutputStream o = fs.create(target, true)) {
          o.write(v.bytes());
        }
      }
      out.add(
          RowFactory.create(
              id,
              k,
              name,
              outDir + "/" + file,
              v.width(),
              v.height(),
              v.channels(),
              (long) v.bytes().length,
              ContentHash.sha256Hex(v.bytes()),
              v.shiftX(),
              v.shiftY(),
              v.transform().rotation(),
              v.transform().flipHorizontal(),
              v.transform().flipVertical(),
              v.transform().blurSigma(),
              flips,
              src.kind(),
              null));
    }
  }

  private static Row problem(String id, String problem) {
    return RowFactory.create(
        id, 0, null, null, null, null, null, 0L, null, 0, 0, 0.0, false, false, 0.0, null, null,
        problem);
  }

  /** The sub-folder of an image's variants: hex digits of a hash of its id; "" for one shard. */
  static String shard(String id, int shards) {
    if (shards <= 1) {
      return "";
    }
    int digits = Math.max(1, (Integer.toHexString(shards - 1).length()));
    int n = (int) Math.floorMod(TransformSampler.hash(id), (long) shards);
    String hex = Integer.toHexString(n);
    return "0".repeat(digits - hex.length()) + hex;
  }
}
