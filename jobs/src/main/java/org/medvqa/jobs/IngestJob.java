package org.medvqa.jobs;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.Category;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.Progress;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.release.ReleaseLayout;
import org.medvqa.core.release.StrictLines;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.TextSource;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;

/**
 * {@code ingest}: reads a VQA-Med release (2019, 2020 or 2021 layout; local, HDFS or s3a) and
 * writes the manifest every later stage reads, the {@code _rejected} table and provenance. Text
 * files are parsed one per task with strict UTF-8; images are decoded on the executors; nothing but
 * counts comes back to the driver.
 */
public final class IngestJob implements Job {
  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String summary() {
    return "read a VQA-Med release into a Parquet manifest (+ _rejected, provenance)";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    Config c = ctx.config().getConfig("medvqa.ingest");
    String releasePath = ConfigCheck.requireString(ctx.config(), "medvqa.ingest.release");
    String outPath = ConfigCheck.requireString(ctx.config(), "medvqa.ingest.out");
    double maxRejected =
        ConfigCheck.requireRange(ctx.config(), "medvqa.ingest.max-rejected-fraction", 0, 1);
    double holdout = ConfigCheck.requireRange(ctx.config(), "medvqa.ingest.holdout.fraction", 0, 1);
    String imageCheck =
        ConfigCheck.requireOneOf(
            ctx.config(), "medvqa.ingest.image-check", List.of("decode", "exists", "none"));
    List<String> splits = c.getStringList("splits");

    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    Path root = files.qualify(releasePath);
    if (!files.exists(root)) {
      throw new StageFailure("release folder " + root + " does not exist");
    }
    Path out = ctx.newOutput(outPath);

    ReleaseLayout.Plan plan = plan(ctx, files, root, c);
    List<TextSource> sources = new ArrayList<>();
    for (TextSource s : plan.sources()) {
      // A VQA-RAD file holds both splits; its records are chosen by split once parsed.
      if (splits.isEmpty() || splits.contains(s.split()) || s.format() == TextFormat.VQA_RAD) {
        sources.add(s);
      }
    }
    if (sources.isEmpty()) {
      throw new StageFailure("no question files found under " + root + " for splits " + splits);
    }
    ctx.say("release " + plan.release() + " at " + root);
    for (TextSource s : sources) {
      ctx.say(
          String.format(
              Locale.ROOT,
              "  %-10s %-5s %-4s %-14s images: %s",
              s.fileName(),
              s.split(),
              s.task(),
              s.format().configName(),
              s.imageDir() == null ? "(none found)" : s.imageDir()));
    }
    for (ReleaseLayout.Ignored i : plan.ignored()) {
      ctx.say("  ignored " + i.path() + ": " + i.reason());
    }

    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConf conf = new SerializableConf(files.conf());
    String release = plan.release();

    // 1. Parse every text file, one task per file, keeping line numbers and raw text.
    LongAccumulator linesRead = spark.sparkContext().longAccumulator("lines");
    JavaRDD<Row> parsedRdd =
        jsc.parallelize(sources, sources.size())
            .flatMap(s -> IngestFunctions.parseFile(s, conf, linesRead));
    Dataset<Row> parsed =
        spark
            .createDataFrame(parsedRdd, IngestFunctions.PARSED_SCHEMA)
            .persist(StorageLevel.MEMORY_AND_DISK());
    long parsedCount = parsed.count();
    ctx.say("parsed " + linesRead.value() + " lines into " + parsedCount + " records");

    Dataset<Row> badLines = parsed.filter(col("reason").isNotNull());
    Dataset<Row> good = parsed.filter(col("reason").isNull());
    long otherSplits = 0;
    if (!splits.isEmpty()) {
      // Records of a split not asked for (a VQA-RAD file's test part when only train is read) are
      // left out as their files would be, and counted.
      Column wantedSplit = col("split").isin(splits.toArray());
      otherSplits = good.filter(org.apache.spark.sql.functions.not(wantedSplit)).count();
      good = good.filter(wantedSplit);
      if (otherSplits > 0) {
        ctx.say(otherSplits + " records of splits other than " + splits + " left out");
      }
    }

    // 2. Category files label the pairs of the main file of their split; pairs only they hold
    //    are kept as records, so nothing in the release is lost.
    Column key =
        col("split")
            .equalTo(col("c_split"))
            .and(col("image_id").equalTo(col("c_image_id")))
            .and(col("question").equalTo(col("c_question")));
    String catFormat = TextFormat.CATEGORY_QA.configName();
    Dataset<Row> cats = good.filter(col("format").equalTo(catFormat));
    String ansFormat = TextFormat.ANSWERS.configName();
    Dataset<Row> main =
        good.filter(col("format").notEqual(catFormat).and(col("format").notEqual(ansFormat)));

    // Reference answers keyed by image (2021: "image|a1|a2|…") complete the question-only rows of
    // their split; answers for an image that has no question are rejected, not dropped.
    Dataset<Row> refs =
        good.filter(col("format").equalTo(ansFormat))
            .select(
                col("split").as("a_split"),
                col("image_id").as("a_image_id"),
                col("answers").as("a_answers"));
    Column byImage =
        col("split").equalTo(col("a_split")).and(col("image_id").equalTo(col("a_image_id")));
    main =
        main.join(refs, byImage, "left")
            .withColumn(
                "answers",
                when(
                        size(col("answers")).equalTo(0).and(col("a_answers").isNotNull()),
                        col("a_answers"))
                    .otherwise(col("answers")))
            .drop("a_split", "a_image_id", "a_answers");
    Dataset<Row> orphanAnswers =
        good.filter(col("format").equalTo(ansFormat))
            .join(
                main.select(col("split").as("a_split"), col("image_id").as("a_image_id"))
                    .distinct(),
                byImage,
                "left_anti")
            .withColumn(
                "reason",
                format_string(
                    "reference answers for image %s, which has no question in split %s",
                    col("image_id"), col("split")));
    Dataset<Row> labels =
        cats.groupBy("split", "image_id", "question")
            .agg(min("category").as("c_category"))
            .withColumnRenamed("split", "c_split")
            .withColumnRenamed("image_id", "c_image_id")
            .withColumnRenamed("question", "c_question");
    Dataset<Row> labelled =
        main.join(labels, key, "left")
            .withColumn(
                "category",
                when(col("category").isNull(), col("c_category")).otherwise(col("category")))
            .drop("c_split", "c_image_id", "c_question", "c_category");
    Dataset<Row> mainKeys =
        main.select(
            col("split").as("c_split"),
            col("image_id").as("c_image_id"),
            col("question").as("c_question"));
    Dataset<Row> onlyInCats = cats.join(mainKeys.distinct(), key, "left_anti");
    Dataset<Row> records = labelled.unionByName(onlyInCats);

    // 3. Categories the release does not state are inferred from the question.
    records =
        records
            .withColumn(
                ManifestColumns.CATEGORY_SOURCE,
                when(col("category").isNull(), lit("inferred")).otherwise(lit("file")))
            .withColumn(
                "category",
                when(
                        col("category").isNull(),
                        IngestFunctions.inferCategory(spark, col("question")))
                    .otherwise(col("category")));

    // 4. A second (image, question) pair in the same split is a duplicate: rejected, pointing
    //    at the first.
    var byPair =
        Window.partitionBy("split", "task", "image_id", "question")
            .orderBy("source_file", "source_line");
    records =
        records
            .withColumn("_n", row_number().over(byPair))
            .withColumn("_first_file", first("source_file").over(byPair))
            .withColumn("_first_line", first("source_line").over(byPair));
    Dataset<Row> dupes =
        records
            .filter(col("_n").gt(1))
            .withColumn(
                "reason",
                format_string(
                    "duplicate (image, question) pair: first at %s:%d",
                    col("_first_file"), col("_first_line")));
    records = records.filter(col("_n").equalTo(1)).drop("_n", "_first_file", "_first_line");

    // 5. Each distinct image is opened (and decoded) once, on the executors.
    Dataset<Row> wanted = records.select("image_dir", "image_id").distinct();
    long imageCount = wanted.count();
    LongAccumulator imagesDone = spark.sparkContext().longAccumulator("images");
    int partitions = (int) Math.max(1, Math.min(10_000, imageCount / 64));
    int maxSide = c.getInt("max-image-side");
    String mode = imageCheck;
    JavaRDD<Row> checkedRdd =
        wanted
            .repartition(partitions)
            .javaRDD()
            .mapPartitions(
                rows -> IngestFunctions.checkImages(rows, conf, mode, maxSide, imagesDone));
    Dataset<Row> images;
    try (Progress p =
        Progress.start(
            "ingest: images checked",
            imageCount,
            imagesDone::value,
            ctx.out(),
            Duration.ofSeconds(5))) {
      images =
          spark
              .createDataFrame(checkedRdd, IngestFunctions.IMAGE_SCHEMA)
              .persist(StorageLevel.MEMORY_AND_DISK());
      images.count();
    }
    Dataset<Row> joined =
        records.join(
            images,
            records
                .col("image_dir")
                .eqNullSafe(images.col("i_dir"))
                .and(records.col("image_id").equalTo(images.col("i_id"))),
            "left");
    Dataset<Row> badImages =
        joined
            .filter(col("i_problem").isNotNull())
            .withColumn(
                "reason", concat(lit("image "), col("image_id"), lit(": "), col("i_problem")));
    Dataset<Row> accepted = joined.filter(col("i_problem").isNull());

    // 6. Sample ids from content, then the optional held-out split (by image, so that no image is
    //    in both parts). A position would shift every later id when one line is recovered or
    //    removed, so that two ingests of nearly the same release would not share ids (lineage
    //    across scheduled retraining); the id is <release>-<split>-<16 hex digits of the SHA-256 of
    //    release, source file name, image id and question>. The file's name, not its folder: a
    //    moved release keeps its ids. The split is the file's, drawn before the held-out split, so
    //    that the hold-out settings change no id either. Records of the same content (two tasks, or
    //    files of one name in two folders) get -2, -3… in (file, line) order.
    Column content =
        IngestFunctions.sha256Hex(
            concat_ws(
                "\n",
                lit(release),
                substring_index(col("source_file"), "/", -1),
                coalesce(col("image_id"), lit("")),
                coalesce(col("question"), lit(""))));
    accepted =
        accepted.withColumn(
            "_id", concat(lit(release + "-"), col("split"), lit("-"), content.substr(1, 16)));
    var sameId = Window.partitionBy("_id").orderBy("source_file", "source_line", "task");
    accepted =
        accepted
            .withColumn("_n", row_number().over(sameId))
            .withColumn(
                ManifestColumns.SAMPLE_ID,
                when(col("_n").equalTo(1), col("_id"))
                    .otherwise(concat(col("_id"), lit("-"), col("_n").cast("string"))))
            .drop("_id", "_n");
    long seed = c.getLong("holdout.seed");
    if (holdout > 0) {
      String from = c.getString("holdout.from");
      String to = c.getString("holdout.to");
      Column u =
          xxhash64(lit(seed), col("image_id"))
              .bitwiseAND(lit(0xFFFFFFL))
              .divide(lit((double) (1L << 24)));
      accepted =
          accepted.withColumn(
              "split",
              when(col("split").equalTo(from).and(u.lt(holdout)), lit(to)).otherwise(col("split")));
    }
    Dataset<Row> manifest =
        accepted.select(
            col(ManifestColumns.SAMPLE_ID),
            col("image_id").as(ManifestColumns.IMAGE_ID),
            col("i_path").as(ManifestColumns.IMAGE_PATH),
            col("question").as(ManifestColumns.QUESTION),
            col("answers").as(ManifestColumns.ANSWERS),
            col("category").as(ManifestColumns.CATEGORY),
            col(ManifestColumns.CATEGORY_SOURCE),
            col("split").as(ManifestColumns.SPLIT),
            lit(release).as(ManifestColumns.RELEASE),
            col("task").as(ManifestColumns.TASK),
            col("source_file").as(ManifestColumns.SOURCE_FILE),
            col("source_line").as(ManifestColumns.SOURCE_LINE),
            col("i_width").as(ManifestColumns.IMAGE_WIDTH),
            col("i_height").as(ManifestColumns.IMAGE_HEIGHT),
            col("i_sha256").as(ManifestColumns.IMAGE_SHA256),
            col("answer_type").as(ManifestColumns.ANSWER_TYPE),
            col("organ").as(ManifestColumns.ORGAN));
    Dataset<Row> rejected =
        IngestFunctions.asRejected(badLines)
            .unionByName(IngestFunctions.asRejected(orphanAnswers))
            .unionByName(IngestFunctions.asRejected(dupes))
            .unionByName(IngestFunctions.asRejected(badImages));

    // 7. Write to a temporary folder, check the reject limit, then rename into place.
    Path tmp = files.temporaryFor(out);
    try {
      manifest
          // The release's order (ids are hashes now, so they no longer give it).
          .orderBy(
              ManifestColumns.SOURCE_FILE, ManifestColumns.SOURCE_LINE, ManifestColumns.SAMPLE_ID)
          .write()
          .parquet(new Path(tmp, "manifest").toString());
      rejected
          .orderBy("source_file", "source_line")
          .coalesce(1)
          .write()
          .parquet(new Path(tmp, "_rejected").toString());
      Dataset<Row> m = spark.read().parquet(new Path(tmp, "manifest").toString());
      Dataset<Row> r = Tables.rejected(ctx, new Path(tmp, "_rejected"));
      long nAccepted = m.count();
      long nRejected = r.count();
      Provenance prov =
          ctx.provenance()
              .input("release", HadoopFiles.uri(root))
              .count("lines_read", linesRead.value())
              .count("records_in", nAccepted + nRejected)
              .count("records_out", nAccepted)
              .count("records_rejected", nRejected)
              .count("images_checked", imageCount)
              .count("records_of_other_splits", otherSplits)
              .note("release_name", release)
              .seed(seed);
      Map<String, Long> perSplit = new TreeMap<>();
      for (Row row :
          m.groupBy(ManifestColumns.SPLIT).count().orderBy(ManifestColumns.SPLIT).collectAsList()) {
        prov.count("split_" + row.getString(0), row.getLong(1));
        perSplit.put(row.getString(0), row.getLong(1));
      }
      for (TextSource s : sources) {
        prov.input("file:" + s.fileName(), s.path());
      }
      reportRejects(ctx, r, nRejected);
      double fraction =
          nAccepted + nRejected == 0 ? 1.0 : (double) nRejected / (nAccepted + nRejected);
      if (nAccepted == 0) {
        throw new StageFailure("no record accepted; see the reasons above");
      }
      requireEverySplit(parsed, splits, perSplit, holdout > 0 ? c : null, r);
      if (fraction > maxRejected) {
        Path failed =
            new Path(out.getParent(), out.getName() + ".failed-" + System.currentTimeMillis());
        files.fs(tmp).rename(tmp, failed);
        throw new StageFailure(
            String.format(
                Locale.ROOT,
                "%d of %d records rejected (%.2f%%), above medvqa.ingest.max-rejected-fraction = %s;"
                    + " the output was moved to %s for inspection",
                nRejected,
                nAccepted + nRejected,
                100 * fraction,
                maxRejected,
                failed));
      }
      ctx.writeProvenance(tmp, prov);
      files.commit(tmp, out);
      ctx.say(
          String.format(
              Locale.ROOT,
              "summary: release=%s records=%d rejected=%d (%.2f%%) images=%d out=%s",
              release,
              nAccepted,
              nRejected,
              100 * fraction,
              imageCount,
              out));
      return Main.OK;
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
      parsed.unpersist();
      images.unpersist();
    }
  }

  /**
   * Fails when a split the release has files for ends up with no record: an empty or wholly
   * rejected question file would otherwise lose its split with exit 0, however few lines that is
   * against the reject limit, and the loss would show only at a later stage (or not at all, when
   * the split is an evaluation split). Names the split's files and why their lines were refused.
   *
   * @param holdout the ingest settings when a held-out split is drawn (its rows count for the split
   *     they were drawn from), else null
   */
  private static void requireEverySplit(
      Dataset<Row> parsed,
      List<String> wanted,
      Map<String, Long> perSplit,
      Config holdout,
      Dataset<Row> rejected) {
    Map<String, List<String>> filesBySplit = new TreeMap<>();
    for (Row row : parsed.select("split", "source_file").distinct().collectAsList()) {
      if (wanted.isEmpty() || wanted.contains(row.getString(0))) {
        filesBySplit
            .computeIfAbsent(row.getString(0), k -> new ArrayList<>())
            .add(row.getString(1));
      }
    }
    for (Map.Entry<String, List<String>> e : filesBySplit.entrySet()) {
      String split = e.getKey();
      long n = perSplit.getOrDefault(split, 0L);
      if (holdout != null && split.equals(holdout.getString("holdout.from"))) {
        n += perSplit.getOrDefault(holdout.getString("holdout.to"), 0L);
      }
      if (n > 0) {
        continue;
      }
      List<String> why = new ArrayList<>();
      for (String f : e.getValue().stream().sorted().toList()) {
        List<Row> first =
            rejected
                .filter(col("source_file").equalTo(f))
                .orderBy("source_line")
                .select("source_line", "reason")
                .limit(1)
                .collectAsList();
        why.add(
            f.substring(f.lastIndexOf('/') + 1)
                + (first.isEmpty()
                    ? ""
                    : " (line " + first.get(0).getInt(0) + ": " + first.get(0).getString(1) + ")"));
      }
      throw new StageFailure(
          "split '"
              + split
              + "' has no accepted record, although the release has files for it: "
              + String.join(", ", why)
              + "; a release must not lose a split");
    }
  }

  private static void reportRejects(StageContext ctx, Dataset<Row> rejected, long n) {
    if (n == 0) {
      return;
    }
    ctx.say("rejected " + n + " records; most common reasons:");
    Column shortReason =
        org.apache.spark.sql.functions.regexp_replace(col("reason"), "'[^']*'|[0-9]+", "…");
    for (Row row :
        rejected
            .groupBy(shortReason.as("kind"))
            .count()
            .orderBy(col("count").desc())
            .limit(10)
            .collectAsList()) {
      ctx.say(String.format(Locale.ROOT, "  %7d  %s", row.getLong(1), row.getString(0)));
    }
    for (Row row : rejected.limit(5).collectAsList()) {
      ctx.say("  e.g. " + row.getString(0) + ":" + row.getInt(1) + ": " + row.getString(3));
    }
  }

  /** The release plan: files named in the config, or detected from the folder. */
  private static ReleaseLayout.Plan plan(StageContext ctx, HadoopFiles files, Path root, Config c)
      throws IOException {
    String release = c.getString("release-name");
    List<? extends Config> named = c.getConfigList("files");
    if (!named.isEmpty()) {
      List<TextSource> sources = new ArrayList<>();
      for (int i = 0; i < named.size(); i++) {
        Config f = named.get(i);
        String where = "medvqa.ingest.files[" + i + "]";
        for (String k : List.of("path", "format", "split")) {
          if (!f.hasPath(k)) {
            throw new ConfigProblem("missing required config key '" + where + "." + k + "'");
          }
        }
        TextFormat format;
        try {
          format = TextFormat.fromConfigName(f.getString("format"));
        } catch (IllegalArgumentException e) {
          throw new ConfigProblem(where + ".format: " + e.getMessage());
        }
        Category category =
            f.hasPath("category") ? Category.fromName(f.getString("category")) : null;
        if (format == TextFormat.CATEGORY_QA && category == null) {
          // Without it every line would be rejected as of an unknown category (LineParser).
          throw new ConfigProblem(
              "missing required config key '" + where + ".category' (format category-qa)");
        }
        String images =
            f.hasPath("images")
                ? HadoopFiles.uri(resolve(files, root, f.getString("images")))
                : null;
        sources.add(
            new TextSource(
                HadoopFiles.uri(resolve(files, root, f.getString("path"))),
                format,
                f.getString("split"),
                f.hasPath("task") ? f.getString("task") : "vqa",
                category,
                images));
      }
      return new ReleaseLayout.Plan(release.isEmpty() ? "custom" : release, sources, List.of());
    }
    List<String> texts = new ArrayList<>();
    for (Path p : files.listFiles(root, ".txt")) {
      texts.add(HadoopFiles.uri(p));
    }
    List<String> dirs = new ArrayList<>();
    for (Path p : files.imageDirs(root)) {
      dirs.add(HadoopFiles.uri(p));
    }
    List<String> jsons = new ArrayList<>();
    for (Path p : files.listFiles(root, ".json")) {
      jsons.add(HadoopFiles.uri(p));
    }
    ReleaseLayout.Plan plan =
        ReleaseLayout.detect(
            texts, dirs, path -> lines(files, path), release.isEmpty() ? null : release);
    return ReleaseLayout.withVqaRad(plan, jsons, dirs, path -> head(files, path), "train");
  }

  /** The first 4 KiB of a file as text (for telling JSON layouts apart), or null if unreadable. */
  private static String head(HadoopFiles files, String path) {
    try (InputStream in = files.open(new Path(path))) {
      return new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StageFailure("cannot read " + path + ": " + e.getMessage());
    }
  }

  private static Path resolve(HadoopFiles files, Path root, String p) {
    Path path = new Path(p);
    return path.isAbsolute() || path.toUri().getScheme() != null
        ? files.qualify(p)
        : new Path(root, p);
  }

  /**
   * The non-blank lines of a text file that decode as UTF-8 (a line that does not is reported when
   * the file is parsed), read as the stream is consumed; closing the stream closes the file.
   */
  private static Stream<String> lines(HadoopFiles files, String path) {
    InputStream in;
    try {
      in = files.open(new Path(path));
    } catch (IOException e) {
      throw new StageFailure("cannot read " + path + ": " + e.getMessage());
    }
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(new StrictLines(in), Spliterator.ORDERED), false)
        .map(StrictLines.Line::text)
        .filter(t -> t != null && !t.isBlank())
        .onClose(
            () -> {
              try {
                in.close();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
  }
}
