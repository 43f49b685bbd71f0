package org.medvqa.augment.text;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.Config;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;

/**
 * Question augmentation as a stage ({@code augment-questions}): rewrites the questions of a
 * manifest by replacing POS-tagged candidate words with their most cosine-similar neighbours in a
 * word-embedding space, K variants per question, answers unchanged. Steps: tag every question on
 * the executors ({@link QuestionTagging}, OpenNLP models loaded once per JVM) and collect the
 * distinct candidate words; find their neighbours on the driver with one batched matrix product
 * against the vocabulary ({@link NeighbourTable}); broadcast that small table; rewrite as a map
 * over the questions ({@link QuestionVariants}). The output is the input's columns plus {@link
 * #ADDS}.
 */
public final class QuestionAugmentStage {
  /**
   * The sample a row was made from (itself for an original). Named like augment-images' {@code
   * parent_sample_id}, qualified by what varies: a pipeline rewrites the questions of augmented
   * images, so both sit on one row.
   */
  public static final String PARENT_SAMPLE_ID = "question_parent_sample_id";

  /** 0 for an original question, 1..K for its rewrites (beside augment-images' variant_id). */
  public static final String VARIANT_ID = "question_variant_id";

  /** Every word replaced: from, to, similarity, position (token index). */
  public static final String REPLACEMENTS = "replacements";

  /** The type of {@link #REPLACEMENTS}. */
  public static final DataType REPLACEMENT_TYPE =
      DataTypes.createArrayType(
          new StructType()
              .add("from", DataTypes.StringType, false)
              .add("to", DataTypes.StringType, false)
              .add("similarity", DataTypes.FloatType, false)
              .add("position", DataTypes.IntegerType, false),
          false);

  /** The input columns the stage reads (a manifest has them all). */
  public static final List<String> NEEDS =
      List.of(
          ManifestColumns.SAMPLE_ID,
          ManifestColumns.QUESTION,
          ManifestColumns.SPLIT,
          ManifestColumns.SOURCE_FILE,
          ManifestColumns.SOURCE_LINE);

  /** The columns the stage adds after the input's, in order. */
  public static final StructType ADDS =
      new StructType()
          .add(PARENT_SAMPLE_ID, DataTypes.StringType, false)
          .add(VARIANT_ID, DataTypes.IntegerType, false)
          .add(REPLACEMENTS, REPLACEMENT_TYPE, false);

  /** The phases timed and reported, in order. */
  public static final List<String> PHASES =
      List.of("load vectors", "tag", "neighbour search", "rewrite", "write");

  private final QuestionAugmentSettings settings;
  private final VectorSettings vectors;

  /**
   * The stage's output before it is written: the rows (cached until {@link #close}), the rejected
   * rows and the statistics.
   */
  public static final class Result implements AutoCloseable {
    private final Dataset<Row> rows;
    private final Dataset<Row> rejected;
    private final QuestionAugmentStats stats;
    private final Dataset<Row> tagged;
    private final Broadcast<NeighbourTable> table;

    Result(
        Dataset<Row> rows,
        Dataset<Row> rejected,
        QuestionAugmentStats stats,
        Dataset<Row> tagged,
        Broadcast<NeighbourTable> table) {
      this.rows = rows;
      this.rejected = rejected;
      this.stats = stats;
      this.tagged = tagged;
      this.table = table;
    }

    /** The output manifest: the input's columns, then {@link #ADDS}. */
    public Dataset<Row> rows() {
      return rows;
    }

    /** The rows that could not be rewritten ({@link ManifestColumns#REJECTED} layout). */
    public Dataset<Row> rejected() {
      return rejected;
    }

    public QuestionAugmentStats stats() {
      return stats;
    }

    /** Releases the cached rows and the broadcast table. */
    @Override
    public void close() {
      rows.unpersist();
      table.destroy();
      tagged.unpersist();
    }
  }

  /** What {@link #run} wrote: the output folder and the statistics. */
  public record Written(Path out, QuestionAugmentStats stats) {}

  public QuestionAugmentStage(QuestionAugmentSettings settings, VectorSettings vectors) {
    this.settings = settings;
    this.vectors = vectors;
  }

  /**
   * The stage as {@code augment-questions} runs it: {@code medvqa.augment.questions} and {@code
   * medvqa.vectors}, with the input manifest, the output folder and the vectors required.
   *
   * @throws org.medvqa.core.config.ConfigProblem naming the key of a missing or wrong value
   */
  public static QuestionAugmentStage fromConfig(Config config) {
    QuestionAugmentSettings s = QuestionAugmentSettings.from(config);
    VectorSettings vs = VectorSettings.from(config);
    ConfigCheck.requireString(config, QuestionAugmentSettings.PATH + ".manifest");
    ConfigCheck.requireString(config, QuestionAugmentSettings.PATH + ".out");
    ConfigCheck.requireString(config, VectorSettings.PATH + ".path");
    return new QuestionAugmentStage(s, vs);
  }

  public QuestionAugmentSettings settings() {
    return settings;
  }

  /**
   * Reads the manifest, augments it and writes {@code manifest/}, {@code _rejected/} and {@code
   * provenance.json} to the output folder through {@link StagedOutput}.
   */
  public Written run(StageContext ctx) throws IOException {
    ctx.spark(); // first, so that file access uses its Hadoop configuration (spark.hadoop.*)
    try (StagedOutput o = StagedOutput.open(ctx, settings.out())) {
      Path vectorsPath = ctx.files().qualify(vectors.path());
      if (!ctx.files().exists(vectorsPath)) {
        throw new StageFailure(
            "vectors "
                + vectorsPath
                + " do not exist (make vectors writes GloVe to vectors/glove-6b-100d.bin;"
                + " train-vectors trains them on a manifest; set medvqa.vectors.path)");
      }
      Dataset<Row> manifest = Tables.manifest(ctx, settings.manifest());
      try (Result r = apply(ctx, manifest)) {
        long t = System.nanoTime();
        r.rows()
            .orderBy(col(PARENT_SAMPLE_ID), col(VARIANT_ID))
            .write()
            .parquet(o.path("manifest"));
        r.rejected().coalesce(1).write().parquet(o.path("_rejected"));
        QuestionAugmentStats stats = r.stats().withSeconds("write", seconds(t));
        o.commit(
            stats
                .addTo(
                    ctx.provenance()
                        .input("manifest", settings.manifest())
                        .input("vectors", HadoopFiles.uri(vectorsPath)))
                .seed(settings.seed()));
        return new Written(o.target(), stats);
      }
    }
  }

  /**
   * Checks the manifest's columns, rejects the rows that cannot be rewritten (failing above {@code
   * max-rejected-fraction} before any work), reads the vectors and returns the originals and their
   * variants. Close the result when it has been written.
   */
  public Result apply(StageContext ctx, Dataset<Row> manifest) {
    String what = "manifest " + settings.manifest();
    Tables.requireColumns(manifest, NEEDS, what, "is it an ingest output?");
    for (String c : ADDS.fieldNames()) {
      if (Tables.has(manifest, c)) {
        throw new StageFailure(
            what
                + " already has a column '"
                + c
                + "' (an augment-questions output?); augment an ingest output instead");
      }
    }
    Map<String, Double> phases = new LinkedHashMap<>();
    long t = System.nanoTime();
    Space space = new Space(readVectors(ctx), new PosTagger(settings));
    phases.put("load vectors", seconds(t));
    ctx.say(
        String.format(
            Locale.ROOT,
            "vectors: %d words x %d dimensions from %s (%.1f s)",
            space.words,
            space.dim,
            space.source,
            phases.get("load vectors")));

    t = System.nanoTime();
    Column bad = badRows();
    Dataset<Row> rejected = rejected(manifest, bad);
    long recordsIn = manifest.count();
    long nRejected = rejected.count();
    limitRejects(ctx, rejected, nRejected, recordsIn);
    Dataset<Row> good = manifest.filter(not(bad));
    Column inSplits =
        settings.splits().isEmpty()
            ? lit(true)
            : col(ManifestColumns.SPLIT).isin(settings.splits().toArray());
    Dataset<Row> tagged = tag(ctx, good.filter(inSplits));
    try {
      return rewrite(
          ctx,
          new Tagged(tagged, good.filter(not(inSplits)), rejected, recordsIn, nRejected, t, phases),
          space);
    } catch (RuntimeException | Error e) {
      tagged.unpersist();
      throw e;
    }
  }

  /**
   * The vectors while the neighbour search needs them (the driver drops them afterwards: only the
   * small table goes out), and what the statistics keep of them.
   */
  private static final class Space {
    WordVectors vectors;
    final PosTagger tagger;
    final int words;
    final int dim;
    final String source;

    Space(WordVectors vectors, PosTagger tagger) {
      this.vectors = vectors;
      this.tagger = tagger;
      this.words = vectors.size();
      this.dim = vectors.dim();
      this.source = vectors.source();
    }
  }

  /** The tagged questions and what else the later steps need. */
  private record Tagged(
      Dataset<Row> rows,
      Dataset<Row> rest,
      Dataset<Row> rejected,
      long recordsIn,
      long recordsRejected,
      long tagStart,
      Map<String, Double> phases) {

    /** Seconds since tagging started (rejects, tagging and collecting the candidates). */
    double tagSeconds() {
      return seconds(tagStart);
    }
  }

  /** Tags, searches the neighbours of all candidates at once, then rewrites. */
  private Result rewrite(StageContext ctx, Tagged in, Space space) {
    Map<String, Double> phases = in.phases();
    long questions = in.rows().count();
    List<String> keys =
        in.rows()
            .select(explode(col(QuestionTagging.CANDIDATES)).as("k"))
            .distinct()
            .as(Encoders.STRING())
            .collectAsList();
    phases.put("tag", in.tagSeconds());
    ctx.say(
        String.format(
            Locale.ROOT,
            "tagged %d questions of splits %s: %d distinct candidates (word/tag) (%.1f s)",
            questions,
            settings.splits().isEmpty() ? "(all)" : settings.splits(),
            keys.size(),
            phases.get("tag")));

    long t = System.nanoTime();
    NeighbourTable table = NeighbourTable.build(space.vectors, keys, settings, space.tagger);
    space.vectors = null; // the vocabulary is not needed any more; only the small table goes out
    phases.put("neighbour search", seconds(t));
    ctx.say(
        String.format(
            Locale.ROOT,
            "neighbours: %d candidates, %d words not in the vectors, %d candidates without a"
                + " neighbour (%.1f s)",
            table.size(),
            table.outOfVocabulary(),
            table.withoutNeighbours(),
            phases.get("neighbour search")));
    SparkContext sc = ctx.spark().sparkContext();
    Broadcast<NeighbourTable> shared = JavaSparkContext.fromSparkContext(sc).broadcast(table);

    t = System.nanoTime();
    QuestionVariants.Counts counts = new QuestionVariants.Counts(sc);
    Dataset<Row> output = variants(ctx, in, shared, counts);
    long recordsOut = output.count();
    phases.put("rewrite", seconds(t));
    QuestionAugmentStats stats =
        new QuestionAugmentStats(
            in.recordsIn(),
            in.recordsRejected(),
            recordsOut,
            questions,
            counts.rewritten.value(),
            counts.noCandidates.value(),
            counts.noNeighbours.value(),
            counts.noValid.value(),
            counts.variants.value(),
            table.size(),
            table.outOfVocabulary(),
            table.withoutNeighbours(),
            space.words,
            space.dim,
            space.source,
            phases);
    sayRewrites(ctx, output, stats);
    return new Result(output, in.rejected(), stats, in.rows(), shared);
  }

  /** The originals and variants of the tagged questions, and the untagged originals if kept. */
  private Dataset<Row> variants(
      StageContext ctx,
      Tagged in,
      Broadcast<NeighbourTable> shared,
      QuestionVariants.Counts counts) {
    StructType inSchema = in.rest().schema();
    StructType outSchema = inSchema;
    for (var f : ADDS.fields()) {
      outSchema = outSchema.add(f);
    }
    QuestionVariants f =
        new QuestionVariants(
            settings,
            shared,
            inSchema.size(),
            inSchema.fieldIndex(ManifestColumns.SAMPLE_ID),
            inSchema.fieldIndex(ManifestColumns.QUESTION),
            counts);
    JavaRDD<Row> rows = in.rows().javaRDD().mapPartitions(f);
    Dataset<Row> output = ctx.spark().createDataFrame(rows, outSchema);
    if (settings.keepOriginals()) {
      output =
          output.unionByName(
              in.rest()
                  .withColumn(PARENT_SAMPLE_ID, col(ManifestColumns.SAMPLE_ID))
                  .withColumn(VARIANT_ID, lit(0))
                  .withColumn(REPLACEMENTS, array().cast(REPLACEMENT_TYPE)));
    }
    return output.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /** The questions of {@code todo} tagged on the executors, cached. */
  private Dataset<Row> tag(StageContext ctx, Dataset<Row> todo) {
    int parallelism = ctx.spark().sparkContext().defaultParallelism();
    if (todo.rdd().getNumPartitions() < parallelism) {
      todo = todo.repartition(parallelism);
    }
    StructType inSchema = todo.schema();
    QuestionTagging f =
        new QuestionTagging(settings, inSchema.fieldIndex(ManifestColumns.QUESTION));
    return ctx.spark()
        .createDataFrame(todo.javaRDD().mapPartitions(f), QuestionTagging.schema(inSchema))
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  private WordVectors readVectors(StageContext ctx) {
    try {
      return VectorsIO.read(ctx.files(), vectors);
    } catch (IOException e) {
      throw new StageFailure("cannot read vectors: " + e.getMessage());
    }
  }

  /** Rows that cannot be rewritten: no sample id, or a null or blank question. */
  private static Column badRows() {
    Column question = col(ManifestColumns.QUESTION);
    return col(ManifestColumns.SAMPLE_ID)
        .isNull()
        .or(question.isNull())
        .or(trim(question).equalTo(""));
  }

  /** The bad rows in the rejected layout, each with its reason. */
  private static Dataset<Row> rejected(Dataset<Row> manifest, Column bad) {
    Column id = col(ManifestColumns.SAMPLE_ID);
    Column question = col(ManifestColumns.QUESTION);
    return manifest
        .filter(bad)
        .select(
            col(ManifestColumns.SOURCE_FILE),
            col(ManifestColumns.SOURCE_LINE),
            coalesce(question, lit("")).as(ManifestColumns.RAW),
            when(id.isNull(), lit("row without a sample id"))
                .when(question.isNull(), concat(lit("sample "), id, lit(": question is null")))
                .otherwise(concat(lit("sample "), id, lit(": question is blank")))
                .as(ManifestColumns.REASON));
  }

  /**
   * Says the rejects and fails above {@code max-rejected-fraction}. Checked before any tagging,
   * since the rejects are known from the input alone; nothing has been written yet, so there is no
   * output to move aside ({@link StagedOutput#limitRejects} is for stages whose rejects come out of
   * the work).
   */
  private void limitRejects(StageContext ctx, Dataset<Row> rejected, long n, long total) {
    Tables.sayRejects(ctx, rejected, n, total, "rows", 5);
    double fraction = total == 0 ? 1 : (double) n / total;
    if (n > 0 && fraction > settings.maxRejectedFraction()) {
      Row r = rejected.first();
      throw new StageFailure(
          String.format(
              Locale.ROOT,
              "%d of %d rows rejected (%.2f%%), above %s.max-rejected-fraction = %s; e.g. %s",
              n,
              total,
              100 * fraction,
              QuestionAugmentSettings.PATH,
              settings.maxRejectedFraction(),
              r.getString(0) + ":" + r.get(1) + ": " + r.getString(3)));
    }
  }

  private static void sayRewrites(
      StageContext ctx, Dataset<Row> output, QuestionAugmentStats stats) {
    ctx.say(
        String.format(
            Locale.ROOT,
            "rewrote %d questions into %d variants; %d without candidates, %d without"
                + " neighbours, %d without a rewrite that keeps tags and category (%.1f s)",
            stats.rewritten(),
            stats.variants(),
            stats.withoutCandidates(),
            stats.withoutNeighbours(),
            stats.withoutValidRewrite(),
            stats.seconds("rewrite")));
    for (Row r : output.filter(col(VARIANT_ID).gt(0)).limit(5).collectAsList()) {
      ctx.say(
          "  e.g. "
              + r.getAs(PARENT_SAMPLE_ID)
              + " #"
              + r.getAs(VARIANT_ID)
              + ": "
              + r.getAs(ManifestColumns.QUESTION));
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
