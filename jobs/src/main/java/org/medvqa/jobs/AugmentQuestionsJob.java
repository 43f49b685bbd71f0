package org.medvqa.jobs;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.augment.text.CandidateFilter;
import org.medvqa.augment.text.NeighbourTable;
import org.medvqa.augment.text.PosTagger;
import org.medvqa.augment.text.QuestionAugmentSettings;
import org.medvqa.augment.text.QuestionRewriter;
import org.medvqa.augment.text.Replacement;
import org.medvqa.augment.text.TaggedQuestion;
import org.medvqa.augment.text.Variant;
import org.medvqa.augment.text.VectorSettings;
import org.medvqa.augment.text.VectorsIO;
import org.medvqa.augment.text.WordVectors;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;

/**
 * {@code augment-questions}: rewrites the questions of a manifest by replacing POS-tagged candidate
 * words with their most cosine-similar neighbours in a word-embedding space, K variants per
 * question, answers unchanged. Steps: tag every question on the executors (OpenNLP, models loaded
 * once per JVM) and collect the distinct candidate words; find their neighbours on the driver with
 * one batched matrix product against the vocabulary ({@code medvqa.vectors}); broadcast that small
 * table; rewrite as a map over the questions. Writes a manifest (the input's columns plus {@code
 * source_sample_id}, {@code variant} and {@code replacements}), {@code _rejected} and provenance.
 */
public final class AugmentQuestionsJob implements Job {
  /** The sample a row was made from (itself for an original). */
  public static final String SOURCE_SAMPLE_ID = "source_sample_id";

  /** 0 for an original question, 1..K for its rewrites. */
  public static final String VARIANT = "variant";

  /** Every word replaced: from, to, similarity, position (token index). */
  public static final String REPLACEMENTS = "replacements";

  static final DataType REPLACEMENT_TYPE =
      DataTypes.createArrayType(
          new StructType()
              .add("from", DataTypes.StringType, false)
              .add("to", DataTypes.StringType, false)
              .add("similarity", DataTypes.FloatType, false)
              .add("position", DataTypes.IntegerType, false),
          false);

  private static final String TOKENS = "_tokens";
  private static final String STARTS = "_starts";
  private static final String ENDS = "_ends";
  private static final String TAGS = "_tags";
  private static final String CANDIDATES = "_candidates";

  /** The phases timed and reported, in order. */
  static final List<String> PHASES =
      List.of("load vectors", "tag", "neighbour search", "rewrite", "write");

  @Override
  public String name() {
    return "augment-questions";
  }

  @Override
  public String summary() {
    return "rewrite questions by POS tags and embedding neighbours (manifest in, manifest out)";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    QuestionAugmentSettings s = QuestionAugmentSettings.from(ctx.config());
    VectorSettings vs = VectorSettings.from(ctx.config());
    String manifestPath =
        ConfigCheck.requireString(ctx.config(), QuestionAugmentSettings.PATH + ".manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), QuestionAugmentSettings.PATH + ".out");
    ConfigCheck.requireString(ctx.config(), VectorSettings.PATH + ".path");

    // Spark first, so that file access uses its Hadoop configuration (spark.hadoop.* settings).
    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    Path out = ctx.newOutput(outPath);
    Path vectorsPath = files.qualify(vs.path());
    if (!files.exists(vectorsPath)) {
      throw new StageFailure(
          "vectors "
              + vectorsPath
              + " do not exist (make vectors writes GloVe to vectors/glove-6b-100d.bin;"
              + " train-vectors trains them on a manifest; set medvqa.vectors.path)");
    }
    Map<String, Double> phases = new LinkedHashMap<>();
    Dataset<Row> manifest = Tables.manifest(ctx, manifestPath);
    for (String c : List.of(SOURCE_SAMPLE_ID, VARIANT, REPLACEMENTS)) {
      if (List.of(manifest.columns()).contains(c)) {
        throw new StageFailure(
            "manifest "
                + manifestPath
                + " already has a column '"
                + c
                + "' (an augment-questions output?); augment an ingest output instead");
      }
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    // 1. The vectors and the OpenNLP models, on the driver.
    long t = System.nanoTime();
    WordVectors vectors;
    try {
      vectors = VectorsIO.read(files, vs);
    } catch (IOException e) {
      throw new StageFailure("cannot read vectors: " + e.getMessage());
    }
    PosTagger driverTagger = new PosTagger(s);
    phases.put("load vectors", seconds(t));
    ctx.say(
        String.format(
            Locale.ROOT,
            "vectors: %d words x %d dimensions from %s (%.1f s)",
            vectors.size(),
            vectors.dim(),
            vectors.source(),
            phases.get("load vectors")));

    // 2. Reject rows that cannot be rewritten; tag the questions of the chosen splits.
    t = System.nanoTime();
    Column id = col(ManifestColumns.SAMPLE_ID);
    Column question = col(ManifestColumns.QUESTION);
    Column bad = id.isNull().or(question.isNull()).or(trim(question).equalTo(""));
    Dataset<Row> rejected =
        manifest
            .filter(bad)
            .select(
                col(ManifestColumns.SOURCE_FILE),
                col(ManifestColumns.SOURCE_LINE),
                coalesce(question, lit("")).as(ManifestColumns.RAW),
                when(id.isNull(), lit("row without a sample id"))
                    .when(question.isNull(), concat(lit("sample "), id, lit(": question is null")))
                    .otherwise(concat(lit("sample "), id, lit(": question is blank")))
                    .as(ManifestColumns.REASON));
    long recordsIn = manifest.count();
    long nRejected = rejected.count();
    checkRejects(ctx, rejected, nRejected, recordsIn, s.maxRejectedFraction());
    Dataset<Row> good = manifest.filter(not(bad));
    Column inSplits =
        s.splits().isEmpty() ? lit(true) : col(ManifestColumns.SPLIT).isin(s.splits().toArray());
    Dataset<Row> todo = good.filter(inSplits);
    Dataset<Row> rest = good.filter(not(inSplits));
    int parallelism = spark.sparkContext().defaultParallelism();
    if (todo.rdd().getNumPartitions() < parallelism) {
      todo = todo.repartition(parallelism);
    }
    StructType inSchema = manifest.schema();
    StructType taggedSchema =
        inSchema
            .add(TOKENS, DataTypes.createArrayType(DataTypes.StringType, false), false)
            .add(STARTS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(ENDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
            .add(TAGS, DataTypes.createArrayType(DataTypes.StringType, false), false)
            .add(CANDIDATES, DataTypes.createArrayType(DataTypes.StringType, false), false);
    int questionIdx = inSchema.fieldIndex(ManifestColumns.QUESTION);
    JavaRDD<Row> taggedRdd =
        todo.javaRDD().mapPartitions(rows -> tagPartition(rows, s, questionIdx));
    Dataset<Row> tagged =
        spark.createDataFrame(taggedRdd, taggedSchema).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long questions = tagged.count();
      List<String> keys =
          tagged
              .select(explode(col(CANDIDATES)).as("k"))
              .distinct()
              .as(Encoders.STRING())
              .collectAsList();
      phases.put("tag", seconds(t));
      ctx.say(
          String.format(
              Locale.ROOT,
              "tagged %d questions of splits %s: %d distinct candidates (word/tag) (%.1f s)",
              questions,
              s.splits().isEmpty() ? "(all)" : s.splits(),
              keys.size(),
              phases.get("tag")));

      // 3. One batched neighbour search for all candidates, on the driver.
      t = System.nanoTime();
      NeighbourTable table = NeighbourTable.build(vectors, keys, s, driverTagger);
      String vectorsSource = vectors.source();
      int vocabulary = vectors.size();
      int dim = vectors.dim();
      vectors = null; // the vocabulary is not needed any more; only the small table goes out
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
      Broadcast<NeighbourTable> shared = jsc.broadcast(table);

      // 4. Rewrite as a map over the tagged questions.
      t = System.nanoTime();
      LongAccumulator rewritten = spark.sparkContext().longAccumulator("rewritten");
      LongAccumulator noCandidates = spark.sparkContext().longAccumulator("no candidates");
      LongAccumulator noNeighbours = spark.sparkContext().longAccumulator("no neighbours");
      LongAccumulator noValid = spark.sparkContext().longAccumulator("no valid rewrite");
      LongAccumulator variants = spark.sparkContext().longAccumulator("variants");
      List<LongAccumulator> counters =
          List.of(rewritten, noCandidates, noNeighbours, noValid, variants);
      StructType outSchema = outputSchema(inSchema);
      int width = inSchema.size();
      int idIdx = inSchema.fieldIndex(ManifestColumns.SAMPLE_ID);
      boolean keep = s.keepOriginals();
      JavaRDD<Row> rewrittenRdd =
          tagged
              .javaRDD()
              .mapPartitions(
                  rows -> rewritePartition(rows, s, shared, width, idIdx, questionIdx, counters));
      Dataset<Row> output = spark.createDataFrame(rewrittenRdd, outSchema);
      if (keep) {
        output =
            output.unionByName(
                rest.withColumn(SOURCE_SAMPLE_ID, col(ManifestColumns.SAMPLE_ID))
                    .withColumn(VARIANT, lit(0))
                    .withColumn(REPLACEMENTS, array().cast(REPLACEMENT_TYPE)));
      }
      output = output.persist(StorageLevel.MEMORY_AND_DISK());
      try {
        long recordsOut = output.count();
        phases.put("rewrite", seconds(t));
        ctx.say(
            String.format(
                Locale.ROOT,
                "rewrote %d questions into %d variants; %d without candidates, %d without"
                    + " neighbours, %d without a rewrite that keeps tags and category (%.1f s)",
                rewritten.value(),
                variants.value(),
                noCandidates.value(),
                noNeighbours.value(),
                noValid.value(),
                phases.get("rewrite")));
        for (Row r : output.filter(col(VARIANT).gt(0)).limit(5).collectAsList()) {
          ctx.say(
              "  e.g. "
                  + r.getAs(SOURCE_SAMPLE_ID)
                  + " #"
                  + r.getAs(VARIANT)
                  + ": "
                  + r.getAs(ManifestColumns.QUESTION));
        }

        // 5. Write beside the target, provenance last, then rename into place.
        t = System.nanoTime();
        Path tmp = files.temporaryFor(out);
        try {
          output
              .orderBy(col(SOURCE_SAMPLE_ID), col(VARIANT))
              .write()
              .parquet(new Path(tmp, "manifest").toString());
          rejected.coalesce(1).write().parquet(new Path(tmp, "_rejected").toString());
          phases.put("write", seconds(t));
          Provenance prov =
              ctx.provenance()
                  .input("manifest", manifestPath)
                  .input("vectors", HadoopFiles.uri(vectorsPath))
                  .count("records_in", recordsIn)
                  .count("records_rejected", nRejected)
                  .count("records_out", recordsOut)
                  .count("questions", questions)
                  .count("questions_rewritten", rewritten.value())
                  .count("questions_without_candidates", noCandidates.value())
                  .count("questions_without_neighbours", noNeighbours.value())
                  .count("questions_without_valid_rewrite", noValid.value())
                  .count("variants", variants.value())
                  .count("candidates", table.size())
                  .count("candidate_words_not_in_vectors", table.outOfVocabulary())
                  .count("candidates_without_neighbours", table.withoutNeighbours())
                  .count("vector_words", vocabulary)
                  .count("vector_dimensions", dim)
                  .note("vectors_source", vectorsSource)
                  .seed(s.seed());
          for (String phase : PHASES) {
            prov.note(
                "seconds_" + phase.replace(' ', '_'),
                String.format(Locale.ROOT, "%.3f", phases.getOrDefault(phase, 0.0)));
          }
          ctx.writeProvenance(tmp, prov);
          files.commit(tmp, out);
        } finally {
          if (files.exists(tmp)) {
            files.deleteQuietly(tmp);
          }
        }
        ctx.say("phase                 seconds");
        for (String phase : PHASES) {
          ctx.say(
              String.format(Locale.ROOT, "  %-18s %8.2f", phase, phases.getOrDefault(phase, 0.0)));
        }
        ctx.say(
            String.format(
                Locale.ROOT,
                "summary: questions=%d rewritten=%d variants=%d records=%d rejected=%d out=%s",
                questions,
                rewritten.value(),
                variants.value(),
                recordsOut,
                nRejected,
                out));
        return Main.OK;
      } finally {
        output.unpersist();
        shared.destroy();
      }
    } finally {
      tagged.unpersist();
    }
  }

  /** The output manifest: the input's columns, then source sample id, variant and replacements. */
  static StructType outputSchema(StructType in) {
    return in.add(SOURCE_SAMPLE_ID, DataTypes.StringType, false)
        .add(VARIANT, DataTypes.IntegerType, false)
        .add(REPLACEMENTS, REPLACEMENT_TYPE, false);
  }

  private static void checkRejects(
      StageContext ctx, Dataset<Row> rejected, long n, long total, double max) {
    if (n == 0) {
      return;
    }
    List<String> examples = new ArrayList<>();
    for (Row r : rejected.limit(5).collectAsList()) {
      examples.add(r.getString(0) + ":" + r.get(1) + ": " + r.getString(3));
    }
    ctx.say("rejected " + n + " of " + total + " rows; e.g.");
    examples.forEach(e -> ctx.say("  " + e));
    double fraction = total == 0 ? 1 : (double) n / total;
    if (fraction > max) {
      throw new StageFailure(
          String.format(
              Locale.ROOT,
              "%d of %d rows rejected (%.2f%%), above %s.max-rejected-fraction = %s; e.g. %s",
              n,
              total,
              100 * fraction,
              QuestionAugmentSettings.PATH,
              max,
              examples.get(0)));
    }
  }

  /** Executors: tag each question (a repeated one once per partition), keep tokens and tags. */
  static Iterator<Row> tagPartition(
      Iterator<Row> rows, QuestionAugmentSettings s, int questionIdx) {
    PosTagger tagger = new PosTagger(s);
    CandidateFilter filter = new CandidateFilter(s);
    Map<String, TaggedQuestion> cache = lru(s.cacheSize());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row r = rows.next();
        String q = r.getString(questionIdx);
        TaggedQuestion tq = cache.get(q);
        if (tq == null) {
          tq = tagger.tag(q);
          if (s.cacheSize() > 0) {
            cache.put(q, tq);
          }
        }
        Object[] v = new Object[r.size() + 5];
        for (int i = 0; i < r.size(); i++) {
          v[i] = r.get(i);
        }
        int n = r.size();
        v[n] = tq.tokens();
        v[n + 1] = boxed(tq.starts());
        v[n + 2] = boxed(tq.ends());
        v[n + 3] = tq.tags();
        v[n + 4] = QuestionRewriter.candidateKeys(tq, filter).toArray(new String[0]);
        return RowFactory.create(v);
      }
    };
  }

  /** Executors: the original (if kept) and its variants for each tagged question. */
  static Iterator<Row> rewritePartition(
      Iterator<Row> rows,
      QuestionAugmentSettings s,
      Broadcast<NeighbourTable> table,
      int width,
      int idIdx,
      int questionIdx,
      List<LongAccumulator> counters) {
    QuestionRewriter rewriter =
        new QuestionRewriter(s, table.value(), s.samePos() ? new PosTagger(s) : null);
    List<Row> buffer = new ArrayList<>();
    return new Iterator<>() {
      private int at;

      @Override
      public boolean hasNext() {
        while (at >= buffer.size() && rows.hasNext()) {
          buffer.clear();
          at = 0;
          expand(rows.next());
        }
        return at < buffer.size();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return buffer.get(at++);
      }

      private void expand(Row r) {
        String id = r.getString(idIdx);
        TaggedQuestion tq =
            new TaggedQuestion(
                r.getString(questionIdx),
                r.<String>getList(width).toArray(new String[0]),
                ints(r.getList(width + 1)),
                ints(r.getList(width + 2)),
                r.<String>getList(width + 3).toArray(new String[0]));
        QuestionRewriter.Result result = rewriter.rewrite(id, tq);
        switch (result.outcome()) {
          case REWRITTEN -> counters.get(0).add(1);
          case NO_CANDIDATES -> counters.get(1).add(1);
          case NO_NEIGHBOURS -> counters.get(2).add(1);
          case NO_VALID_REWRITE -> counters.get(3).add(1);
        }
        counters.get(4).add(result.variants().size());
        if (s.keepOriginals()) {
          buffer.add(row(r, width, id, null, 0, List.of()));
        }
        for (Variant v : result.variants()) {
          buffer.add(
              row(r, width, id + "-q" + v.variant(), v.question(), v.variant(), v.replacements()));
        }
      }

      private Row row(
          Row r, int width, String sampleId, String q, int variant, List<Replacement> reps) {
        Object[] v = new Object[width + 3];
        for (int i = 0; i < width; i++) {
          v[i] = r.get(i);
        }
        v[idIdx] = sampleId;
        if (q != null) {
          v[questionIdx] = q;
        }
        v[width] = r.getString(idIdx);
        v[width + 1] = variant;
        Row[] structs = new Row[reps.size()];
        for (int i = 0; i < structs.length; i++) {
          Replacement p = reps.get(i);
          structs[i] = RowFactory.create(p.from(), p.to(), p.similarity(), p.position());
        }
        v[width + 2] = structs;
        return RowFactory.create(v);
      }
    };
  }

  private static Integer[] boxed(int[] a) {
    Integer[] out = new Integer[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  private static int[] ints(List<Integer> l) {
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }

  private static <K, V> Map<K, V> lru(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> e) {
        return size() > max;
      }
    };
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
