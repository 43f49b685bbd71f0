package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import com.typesafe.config.Config;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.feature.Word2Vec;
import org.apache.spark.ml.feature.Word2VecModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.medvqa.augment.text.NeighbourSearch;
import org.medvqa.augment.text.PosTagger;
import org.medvqa.augment.text.QuestionAugmentSettings;
import org.medvqa.augment.text.VectorSettings;
import org.medvqa.augment.text.VectorsIO;
import org.medvqa.augment.text.WordVectors;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;

/**
 * {@code train-vectors}: trains word2vec (skip-gram, Spark MLlib's distributed {@code Word2Vec}) on
 * a manifest's own questions and answers, so that the domain's words (lesion names, organs,
 * sequences) get neighbours, and writes them in the compact format augment-questions reads: {@code
 * <out>/vectors.bin} with provenance. Sentences are tokenized by the same OpenNLP tokenizer that
 * augment-questions uses, lower-cased likewise.
 */
public final class TrainVectorsJob implements Job {
  private static final String PATH = VectorSettings.PATH + ".train";

  @Override
  public String name() {
    return "train-vectors";
  }

  @Override
  public String summary() {
    return "train word2vec (Spark MLlib) on a manifest's questions and answers; write vectors.bin";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    QuestionAugmentSettings words = QuestionAugmentSettings.from(ctx.config());
    Config c = ctx.config().getConfig(PATH);
    String manifestPath = ConfigCheck.requireString(ctx.config(), PATH + ".manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), PATH + ".out");
    int vectorSize = atLeast(c, "vector-size", 1);
    int window = atLeast(c, "window", 1);
    int minCount = atLeast(c, "min-count", 0);
    int iterations = atLeast(c, "iterations", 1);
    int partitions = atLeast(c, "partitions", 1);
    double stepSize = ConfigCheck.requireRange(ctx.config(), PATH + ".step-size", 1e-9, 10);
    long seed = c.getLong("seed");
    List<String> splits = c.getStringList("splits");

    // Spark first, so that file access uses its Hadoop configuration (spark.hadoop.* settings).
    SparkSession spark = ctx.spark();
    HadoopFiles files = ctx.files();
    Path out = ctx.newOutput(outPath);
    Dataset<Row> manifest = Tables.manifest(ctx, manifestPath);
    if (!splits.isEmpty()) {
      manifest = manifest.filter(col(ManifestColumns.SPLIT).isin(splits.toArray()));
    }
    long start = System.nanoTime();

    // One sentence per question and one per answer, tokenized on the executors.
    int q = manifest.schema().fieldIndex(ManifestColumns.QUESTION);
    int a = manifest.schema().fieldIndex(ManifestColumns.ANSWERS);
    StructType schema =
        new StructType()
            .add("words", DataTypes.createArrayType(DataTypes.StringType, false), false);
    JavaRDD<Row> sentencesRdd =
        manifest.javaRDD().mapPartitions(rows -> sentences(rows, words, q, a));
    Dataset<Row> sentences =
        spark.createDataFrame(sentencesRdd, schema).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long nSentences = sentences.count();
      if (nSentences == 0) {
        throw new StageFailure(
            "no questions or answers in splits " + splits + " of " + manifestPath + " to train on");
      }
      Map<String, Long> counts = new HashMap<>();
      long tokens = 0;
      for (Row r :
          sentences.select(explode(col("words")).as("w")).groupBy("w").count().collectAsList()) {
        counts.put(r.getString(0), r.getLong(1));
        tokens += r.getLong(1);
      }
      ctx.say(
          String.format(
              Locale.ROOT,
              "corpus: %d sentences, %d tokens, %d distinct words (splits %s)",
              nSentences,
              tokens,
              counts.size(),
              splits.isEmpty() ? "(all)" : splits));

      Word2VecModel model =
          new Word2Vec()
              .setInputCol("words")
              .setOutputCol("vector")
              .setVectorSize(vectorSize)
              .setWindowSize(window)
              .setMinCount(minCount)
              .setMaxIter(iterations)
              .setStepSize(stepSize)
              .setNumPartitions(partitions)
              .setSeed(seed)
              .fit(sentences);
      List<Row> learned = model.getVectors().collectAsList();
      if (learned.isEmpty()) {
        throw new StageFailure(
            "no word is seen " + minCount + " times or more; lower " + PATH + ".min-count");
      }
      // Most frequent words first (then alphabetical), as word-vector files usually are, so that
      // medvqa.vectors.max-words keeps the frequent ones.
      List<Row> sorted = new ArrayList<>(learned);
      sorted.sort(
          (x, y) -> {
            int byCount =
                Long.compare(
                    counts.getOrDefault(y.getString(0), 0L),
                    counts.getOrDefault(x.getString(0), 0L));
            return byCount != 0 ? byCount : x.getString(0).compareTo(y.getString(0));
          });
      WordVectors.Builder b = new WordVectors.Builder(vectorSize, 0);
      float[] v = new float[vectorSize];
      for (Row r : sorted) {
        Vector vec = r.getAs(1);
        for (int k = 0; k < vectorSize; k++) {
          v[k] = (float) vec.apply(k);
        }
        b.add(r.getString(0), v, 0);
      }
      WordVectors vectors =
          b.build(
              String.format(
                  Locale.ROOT,
                  "word2vec (Spark MLlib skip-gram, %dd, window %d, %d iterations) on %s",
                  vectorSize,
                  window,
                  iterations,
                  manifestPath));
      double seconds = (System.nanoTime() - start) / 1e9;

      Path tmp = files.temporaryFor(out);
      try {
        try (OutputStream o = files.create(new Path(tmp, VectorsIO.FILE_IN_FOLDER))) {
          VectorsIO.writeCompact(vectors, o);
        }
        ctx.writeProvenance(
            tmp,
            ctx.provenance()
                .input("manifest", manifestPath)
                .count("sentences", nSentences)
                .count("tokens", tokens)
                .count("distinct_words", counts.size())
                .count("vocabulary", vectors.size())
                .count("vector_size", vectorSize)
                .note("seconds", String.format(Locale.ROOT, "%.3f", seconds))
                .seed(seed));
        files.commit(tmp, out);
      } finally {
        if (files.exists(tmp)) {
          files.deleteQuietly(tmp);
        }
      }
      for (int i = 0; i < Math.min(5, vectors.size()); i++) {
        sayNeighbours(ctx, vectors, vectors.word(i));
      }
      ctx.say(
          String.format(
              Locale.ROOT,
              "summary: sentences=%d vocabulary=%d dimensions=%d seconds=%.1f out=%s",
              nSentences,
              vectors.size(),
              vectorSize,
              seconds,
              new Path(out, VectorsIO.FILE_IN_FOLDER)));
      return Main.OK;
    } finally {
      sentences.unpersist();
    }
  }

  private static void sayNeighbours(StageContext ctx, WordVectors v, String word) {
    NeighbourSearch.Hit[] hits = NeighbourSearch.nearest(v, new int[] {v.indexOf(word)}, 5, 1)[0];
    StringBuilder b = new StringBuilder("  nearest to '" + word + "':");
    for (NeighbourSearch.Hit h : hits) {
      b.append(String.format(Locale.ROOT, " %s (%.2f)", v.word(h.index()), h.similarity()));
    }
    ctx.say(b.toString());
  }

  /** Executors: the words of each question and of each answer, one sentence each. */
  static Iterator<Row> sentences(
      Iterator<Row> rows, QuestionAugmentSettings s, int questionIdx, int answersIdx) {
    PosTagger tokenizer = new PosTagger(s);
    List<Row> buffer = new ArrayList<>();
    return new Iterator<>() {
      private int at;

      @Override
      public boolean hasNext() {
        while (at >= buffer.size() && rows.hasNext()) {
          buffer.clear();
          at = 0;
          Row r = rows.next();
          List<String> texts = new ArrayList<>();
          if (!r.isNullAt(questionIdx)) {
            texts.add(r.getString(questionIdx));
          }
          if (!r.isNullAt(answersIdx)) {
            texts.addAll(r.getList(answersIdx));
          }
          for (String t : texts) {
            List<String> w = tokenizer.words(t, s.lowercase());
            if (!w.isEmpty()) {
              buffer.add(RowFactory.create((Object) w.toArray(new String[0])));
            }
          }
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
    };
  }

  private static int atLeast(Config c, String key, int min) {
    int v = c.getInt(key);
    if (v < min) {
      throw new ConfigProblem(
          "config key '" + PATH + "." + key + "' is " + v + ", expected at least " + min);
    }
    return v;
  }
}
