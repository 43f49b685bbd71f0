package org.medvqa.augment.text;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.feature.Word2Vec;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;

/**
 * Word-vector training as a stage ({@code train-vectors}): word2vec (skip-gram, Spark MLlib's
 * distributed {@code Word2Vec}) on a manifest's own questions and answers, so that the domain's
 * words (lesion names, organs, sequences) get neighbours. Sentences are tokenized on the executors
 * ({@link SentenceSplitting}) by the tokenizer {@link QuestionAugmentStage} uses, lower-cased
 * likewise. Writes {@code <out>/vectors.bin} ({@link VectorsIO#FILE_IN_FOLDER}, the compact format
 * augment-questions reads) with provenance.
 */
public final class VectorTrainingStage {
  /** The input columns the stage reads. */
  public static final List<String> NEEDS =
      List.of(ManifestColumns.QUESTION, ManifestColumns.ANSWERS, ManifestColumns.SPLIT);

  private final VectorTrainingSettings settings;
  private final QuestionAugmentSettings words;

  /**
   * What the stage learned and from how much text.
   *
   * @param sentences questions and answers with at least one word
   * @param tokens words in them
   * @param distinctWords distinct words in them
   * @param vocabulary words with a vector (seen {@code min-count} times or more)
   * @param dimensions the vectors' size
   * @param seconds from reading the manifest to the vectors built
   */
  public record Stats(
      long sentences,
      long tokens,
      int distinctWords,
      int vocabulary,
      int dimensions,
      double seconds) {}

  /** The vectors (most frequent words first) and the statistics. */
  public record Result(WordVectors vectors, Stats stats) {}

  /** What {@link #run} wrote: the vectors file and the statistics. */
  public record Written(Path vectorsFile, Stats stats) {}

  /**
   * @param settings the corpus and the word2vec parameters
   * @param words the tokenizer and lower-casing of augment-questions
   */
  public VectorTrainingStage(VectorTrainingSettings settings, QuestionAugmentSettings words) {
    this.settings = settings;
    this.words = words;
  }

  /**
   * The stage as {@code train-vectors} runs it, from {@code medvqa.vectors.train} and {@code
   * medvqa.augment.questions} (its tokenizer).
   *
   * @throws org.medvqa.core.config.ConfigProblem naming the key of a missing or wrong value
   */
  public static VectorTrainingStage fromConfig(Config config) {
    QuestionAugmentSettings words = QuestionAugmentSettings.from(config);
    return new VectorTrainingStage(VectorTrainingSettings.from(config), words);
  }

  /**
   * Trains on the manifest and writes {@code vectors.bin} and {@code provenance.json} through
   * {@link StagedOutput}; then shows the neighbours of the most frequent words.
   */
  public Written run(StageContext ctx) throws IOException {
    ctx.spark(); // first, so that file access uses its Hadoop configuration (spark.hadoop.*)
    Result r;
    Path target;
    try (StagedOutput o = StagedOutput.open(ctx, settings.out())) {
      r = apply(ctx, Tables.manifest(ctx, settings.manifest()));
      try (OutputStream s = ctx.files().create(new Path(o.tmp(), VectorsIO.FILE_IN_FOLDER))) {
        VectorsIO.writeCompact(r.vectors(), s);
      }
      Stats st = r.stats();
      target =
          o.commit(
              ctx.provenance()
                  .input("manifest", settings.manifest())
                  .count("sentences", st.sentences())
                  .count("tokens", st.tokens())
                  .count("distinct_words", st.distinctWords())
                  .count("vocabulary", st.vocabulary())
                  .count("vector_size", st.dimensions())
                  .note("seconds", String.format(Locale.ROOT, "%.3f", st.seconds()))
                  .seed(settings.seed()));
    }
    WordVectors v = r.vectors();
    for (int i = 0; i < Math.min(5, v.size()); i++) {
      sayNeighbours(ctx, v, v.word(i));
    }
    return new Written(new Path(target, VectorsIO.FILE_IN_FOLDER), r.stats());
  }

  /** Trains word2vec on the questions and answers of the chosen splits of {@code manifest}. */
  public Result apply(StageContext ctx, Dataset<Row> manifest) {
    Tables.requireColumns(
        manifest, NEEDS, "manifest " + settings.manifest(), "is it an ingest output?");
    if (!settings.splits().isEmpty()) {
      manifest = manifest.filter(col(ManifestColumns.SPLIT).isin(settings.splits().toArray()));
    }
    long start = System.nanoTime();
    SentenceSplitting f =
        new SentenceSplitting(
            words,
            manifest.schema().fieldIndex(ManifestColumns.QUESTION),
            manifest.schema().fieldIndex(ManifestColumns.ANSWERS));
    Dataset<Row> sentences =
        ctx.spark()
            .createDataFrame(manifest.javaRDD().mapPartitions(f), SentenceSplitting.SCHEMA)
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long nSentences = sentences.count();
      if (nSentences == 0) {
        throw new StageFailure(
            "no questions or answers in splits "
                + settings.splits()
                + " of "
                + settings.manifest()
                + " to train on");
      }
      Map<String, Long> counts = wordCounts(sentences);
      long tokens = counts.values().stream().mapToLong(Long::longValue).sum();
      ctx.say(
          String.format(
              Locale.ROOT,
              "corpus: %d sentences, %d tokens, %d distinct words (splits %s)",
              nSentences,
              tokens,
              counts.size(),
              settings.splits().isEmpty() ? "(all)" : settings.splits()));
      WordVectors vectors = train(sentences, counts);
      double seconds = (System.nanoTime() - start) / 1e9;
      return new Result(
          vectors,
          new Stats(
              nSentences, tokens, counts.size(), vectors.size(), settings.vectorSize(), seconds));
    } finally {
      sentences.unpersist();
    }
  }

  private static Map<String, Long> wordCounts(Dataset<Row> sentences) {
    Map<String, Long> counts = new HashMap<>();
    for (Row r :
        sentences
            .select(explode(col(SentenceSplitting.WORDS)).as("w"))
            .groupBy("w")
            .count()
            .collectAsList()) {
      counts.put(r.getString(0), r.getLong(1));
    }
    return counts;
  }

  /** MLlib's Word2Vec, its vectors ordered most frequent first. */
  private WordVectors train(Dataset<Row> sentences, Map<String, Long> counts) {
    List<Row> learned =
        new Word2Vec()
            .setInputCol(SentenceSplitting.WORDS)
            .setOutputCol("vector")
            .setVectorSize(settings.vectorSize())
            .setWindowSize(settings.window())
            .setMinCount(settings.minCount())
            .setMaxIter(settings.iterations())
            .setStepSize(settings.stepSize())
            .setNumPartitions(settings.partitions())
            .setSeed(settings.seed())
            .fit(sentences)
            .getVectors()
            .collectAsList();
    if (learned.isEmpty()) {
      throw new StageFailure(
          "no word is seen "
              + settings.minCount()
              + " times or more; lower "
              + VectorTrainingSettings.PATH
              + ".min-count");
    }
    // Most frequent words first (then alphabetical), as word-vector files usually are, so that
    // medvqa.vectors.max-words keeps the frequent ones.
    List<Row> sorted = new ArrayList<>(learned);
    sorted.sort(
        (x, y) -> {
          int byCount =
              Long.compare(
                  counts.getOrDefault(y.getString(0), 0L), counts.getOrDefault(x.getString(0), 0L));
          return byCount != 0 ? byCount : x.getString(0).compareTo(y.getString(0));
        });
    int dim = settings.vectorSize();
    WordVectors.Builder b = new WordVectors.Builder(dim, 0);
    float[] v = new float[dim];
    for (Row r : sorted) {
      Vector vec = r.getAs(1);
      for (int k = 0; k < dim; k++) {
        v[k] = (float) vec.apply(k);
      }
      b.add(r.getString(0), v, 0);
    }
    return b.build(
        String.format(
            Locale.ROOT,
            "word2vec (Spark MLlib skip-gram, %dd, window %d, %d iterations) on %s",
            dim,
            settings.window(),
            settings.iterations(),
            settings.manifest()));
  }

  private static void sayNeighbours(StageContext ctx, WordVectors v, String word) {
    NeighbourSearch.Hit[] hits = NeighbourSearch.nearest(v, new int[] {v.indexOf(word)}, 5, 1)[0];
    StringBuilder b = new StringBuilder("  nearest to '" + word + "':");
    for (NeighbourSearch.Hit h : hits) {
      b.append(String.format(Locale.ROOT, " %s (%.2f)", v.word(h.index()), h.similarity()));
    }
    ctx.say(b.toString());
  }
}
