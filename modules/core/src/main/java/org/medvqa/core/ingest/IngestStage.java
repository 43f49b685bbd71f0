package org.medvqa.core.ingest;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.Progress;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.release.ReleaseLayout;
import org.medvqa.core.release.TextSource;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;

/**
 * Ingest as a stage: reads a VQA-Med release (2019, 2020 or 2021 layout, or VQA-RAD's JSON; local,
 * HDFS or s3a) into the manifest every later stage reads ({@link #COLUMNS}), its {@code _rejected}
 * table and provenance. It needs no table, only the release folder. Text files are parsed one per
 * task with strict UTF-8 ({@link ParsedRows}); images are checked on the executors ({@link
 * CheckedImages}); nothing but counts comes back to the driver.
 */
public final class IngestStage {
  /** The manifest's columns, in the order ingest writes them. */
  public static final List<String> COLUMNS =
      Stream.concat(
              ManifestColumns.MANIFEST.stream(),
              Stream.concat(
                  Stream.of(ManifestColumns.IMAGE_SHA256), ManifestColumns.OPTIONAL.stream()))
          .toList();

  private final IngestSettings settings;

  public IngestStage(IngestSettings settings) {
    this.settings = settings;
  }

  /**
   * Plans, reads and checks the release, then writes the manifest, {@code _rejected} and provenance
   * through {@link StagedOutput}. Fails when no record is accepted, when a split the release has
   * files for lost all its records, or when more records than the limit were rejected.
   */
  public IngestSummary run(StageContext ctx) throws IOException {
    ctx.spark(); // first: file access then goes through Spark's Hadoop configuration
    HadoopFiles files = ctx.files();
    Path root = files.qualify(settings.release());
    if (!files.exists(root)) {
      throw new StageFailure("release folder " + root + " does not exist");
    }
    try (StagedOutput out = StagedOutput.open(ctx, settings.out())) {
      ReleaseLayout.Plan plan = ReleaseSources.plan(files, root, settings);
      List<TextSource> sources = ReleaseSources.wanted(plan, settings.splits());
      if (sources.isEmpty()) {
        throw new StageFailure(
            "no question files found under " + root + " for splits " + settings.splits());
      }
      sayPlan(ctx, root, plan, sources);
      try (IngestResult result = apply(ctx, plan.release(), sources)) {
        return write(ctx, out, root, result);
      }
    }
  }

  /**
   * Reads {@code sources} of release {@code release} into manifest rows and rejected rows: parsed,
   * joined with their reference answers and category files, categories inferred, duplicates and
   * records of refused images rejected, sample ids and the held-out split drawn.
   */
  public IngestResult apply(StageContext ctx, String release, List<TextSource> sources) {
    SparkSession spark = ctx.spark();
    SerializableConf conf = new SerializableConf(ctx.files().conf());
    LongAccumulator lines = spark.sparkContext().longAccumulator("lines");
    JavaRDD<Row> parsedRdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(sources, sources.size())
            .flatMap(new ParsedRows(conf, lines, settings.vqaRadCategory()));
    Dataset<Row> parsed =
        spark.createDataFrame(parsedRdd, ParsedRows.SCHEMA).persist(StorageLevel.MEMORY_AND_DISK());
    long parsedCount = parsed.count();
    long linesRead = lines.value();
    ctx.say("parsed " + linesRead + " lines into " + parsedCount + " records");

    Dataset<Row> good = parsed.filter(col("reason").isNull());
    long otherSplits = otherSplits(ctx, good);
    if (!settings.splits().isEmpty()) {
      good = good.filter(wantedSplit());
    }
    IngestFrames.Assembled assembled = IngestFrames.assemble(good);
    IngestFrames.Deduplicated records =
        IngestFrames.deduplicate(IngestFrames.inferCategories(assembled.records()));
    Dataset<Row> wanted = records.records().select("image_dir", "image_id").distinct();
    long imageCount = wanted.count();
    Dataset<Row> images = checkImages(ctx, conf, wanted, imageCount);
    Dataset<Row> joined = IngestFrames.withImages(records.records(), images);
    Dataset<Row> accepted = joined.filter(col("i_problem").isNull());
    accepted = IngestFrames.withSampleIds(accepted, release);
    accepted = IngestFrames.withHoldout(accepted, settings.holdout());
    Dataset<Row> rejected =
        IngestFrames.rejected(parsed.filter(col("reason").isNotNull()))
            .unionByName(IngestFrames.rejected(assembled.orphanAnswers()))
            .unionByName(IngestFrames.rejected(records.duplicates()))
            .unionByName(IngestFrames.rejected(IngestFrames.badImages(joined)));
    return new IngestResult(
        release,
        sources,
        IngestFrames.manifest(accepted, release),
        rejected,
        linesRead,
        parsedCount,
        otherSplits,
        imageCount,
        filesBySplit(parsed),
        List.of(parsed, images));
  }

  private static void sayPlan(
      StageContext ctx, Path root, ReleaseLayout.Plan plan, List<TextSource> sources) {
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
  }

  private Column wantedSplit() {
    return col("split").isin(settings.splits().toArray());
  }

  /**
   * Records of a split not asked for (a VQA-RAD file's test part when only train is read) are left
   * out as their files would be, and counted.
   */
  private long otherSplits(StageContext ctx, Dataset<Row> good) {
    if (settings.splits().isEmpty()) {
      return 0;
    }
    long n = good.filter(org.apache.spark.sql.functions.not(wantedSplit())).count();
    if (n > 0) {
      ctx.say(n + " records of splits other than " + settings.splits() + " left out");
    }
    return n;
  }

  /** The files of each wanted split, rejected lines included. */
  private Map<String, List<String>> filesBySplit(Dataset<Row> parsed) {
    Map<String, List<String>> filesBySplit = new TreeMap<>();
    for (Row row : parsed.select("split", "source_file").distinct().collectAsList()) {
      if (settings.splits().isEmpty() || settings.splits().contains(row.getString(0))) {
        filesBySplit
            .computeIfAbsent(row.getString(0), k -> new ArrayList<>())
            .add(row.getString(1));
      }
    }
    return filesBySplit;
  }

  /** Each distinct image is opened (and decoded) once, on the executors; the result is cached. */
  private Dataset<Row> checkImages(
      StageContext ctx, SerializableConf conf, Dataset<Row> wanted, long imageCount) {
    SparkSession spark = ctx.spark();
    LongAccumulator imagesDone = spark.sparkContext().longAccumulator("images");
    int partitions = (int) Math.max(1, Math.min(10_000, imageCount / 64));
    JavaRDD<Row> checkedRdd =
        wanted
            .repartition(partitions)
            .javaRDD()
            .mapPartitions(
                new CheckedImages(
                    conf, settings.imageCheck(), settings.maxImageSide(), imagesDone));
    try (Progress p =
        Progress.start(
            "ingest: images checked",
            imageCount,
            imagesDone::value,
            ctx.out(),
            Duration.ofSeconds(5))) {
      Dataset<Row> images =
          spark
              .createDataFrame(checkedRdd, CheckedImages.SCHEMA)
              .persist(StorageLevel.MEMORY_AND_DISK());
      images.count();
      return images;
    }
  }

  /**
   * Writes the manifest (in the release's order: ids are hashes, so they no longer give it) and the
   * rejected table, counts them as written, reports the rejects, applies the checks, then commits
   * with provenance.
   */
  private IngestSummary write(StageContext ctx, StagedOutput out, Path root, IngestResult r)
      throws IOException {
    r.manifest()
        .orderBy(
            ManifestColumns.SOURCE_FILE, ManifestColumns.SOURCE_LINE, ManifestColumns.SAMPLE_ID)
        .write()
        .parquet(out.path("manifest"));
    r.rejected()
        .orderBy(ManifestColumns.SOURCE_FILE, ManifestColumns.SOURCE_LINE)
        .coalesce(1)
        .write()
        .parquet(out.path("_rejected"));
    Dataset<Row> m = ctx.spark().read().parquet(out.path("manifest"));
    Dataset<Row> rejected = Tables.rejected(ctx, new Path(out.tmp(), "_rejected"));
    long nAccepted = m.count();
    long nRejected = rejected.count();
    Map<String, Long> perSplit = new LinkedHashMap<>();
    for (Row row :
        m.groupBy(ManifestColumns.SPLIT).count().orderBy(ManifestColumns.SPLIT).collectAsList()) {
      perSplit.put(row.getString(0), row.getLong(1));
    }
    Provenance prov = provenance(ctx, root, r, nAccepted, nRejected, perSplit);
    reportRejects(ctx, rejected, nRejected);
    if (nAccepted == 0) {
      throw new StageFailure("no record accepted; see the reasons above");
    }
    requireEverySplit(r.filesBySplit(), perSplit, rejected);
    out.limitRejects(
        nRejected,
        nAccepted + nRejected,
        "records",
        settings.maxRejectedFraction(),
        IngestSettings.MAX_REJECTED);
    out.commit(prov);
    return new IngestSummary(r.release(), nAccepted, nRejected, r.imagesChecked(), out.target());
  }

  private Provenance provenance(
      StageContext ctx,
      Path root,
      IngestResult r,
      long nAccepted,
      long nRejected,
      Map<String, Long> perSplit) {
    Provenance prov =
        ctx.provenance()
            .input("release", HadoopFiles.uri(root))
            .count("lines_read", r.linesRead())
            .count("records_in", nAccepted + nRejected)
            .count("records_out", nAccepted)
            .count("records_rejected", nRejected)
            .count("images_checked", r.imagesChecked())
            .count("records_of_other_splits", r.otherSplits())
            .note("release_name", r.release())
            .seed(settings.holdout().seed());
    perSplit.forEach((split, n) -> prov.count("split_" + split, n));
    for (TextSource s : r.sources()) {
      prov.input("file:" + s.fileName(), s.path());
    }
    return prov;
  }

  /**
   * Fails when a split the release has files for ends up with no record: an empty or wholly
   * rejected question file would otherwise lose its split with exit 0, however few lines that is
   * against the reject limit, and the loss would show only at a later stage (or not at all, when
   * the split is an evaluation split). Names the split's files and why their lines were refused.
   * The rows of a held-out split count for the split they were drawn from.
   */
  private void requireEverySplit(
      Map<String, List<String>> filesBySplit, Map<String, Long> perSplit, Dataset<Row> rejected) {
    IngestSettings.Holdout holdout = settings.holdout();
    for (Map.Entry<String, List<String>> e : filesBySplit.entrySet()) {
      String split = e.getKey();
      long n = perSplit.getOrDefault(split, 0L);
      if (holdout.drawn() && split.equals(holdout.from())) {
        n += perSplit.getOrDefault(holdout.to(), 0L);
      }
      if (n > 0) {
        continue;
      }
      List<String> why = new ArrayList<>();
      for (String f : e.getValue().stream().sorted().toList()) {
        why.add(f.substring(f.lastIndexOf('/') + 1) + firstReject(rejected, f));
      }
      throw new StageFailure(
          "split '"
              + split
              + "' has no accepted record, although the release has files for it: "
              + String.join(", ", why)
              + "; a release must not lose a split");
    }
  }

  /** " (line n: reason)" of the first rejected line of {@code file}, or "" if none. */
  private static String firstReject(Dataset<Row> rejected, String file) {
    List<Row> first =
        rejected
            .filter(col(ManifestColumns.SOURCE_FILE).equalTo(file))
            .orderBy(ManifestColumns.SOURCE_LINE)
            .select(ManifestColumns.SOURCE_LINE, ManifestColumns.REASON)
            .limit(1)
            .collectAsList();
    return first.isEmpty()
        ? ""
        : " (line " + first.get(0).getInt(0) + ": " + first.get(0).getString(1) + ")";
  }

  private static void reportRejects(StageContext ctx, Dataset<Row> rejected, long n) {
    if (n == 0) {
      return;
    }
    ctx.say("rejected " + n + " records; most common reasons:");
    Column shortReason =
        org.apache.spark.sql.functions.regexp_replace(
            col(ManifestColumns.REASON), "'[^']*'|[0-9]+", "…");
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
}
