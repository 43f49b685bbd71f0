package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ImageSplit;
import org.medvqa.core.ManifestColumns;
import org.medvqa.models.Example;
import org.medvqa.models.vae.VaeVqa;
import org.medvqa.training.Examples;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The Java half of {@code make bench-vae} (scripts/bench_vae_torch.py runs it, then the PyTorch
 * peer, and prints the table). Not a timed test: it runs only with {@code
 * -Dmedvqa.bench.vae.out=FILE}.
 *
 * <p>Runs the {@code train} job (kind {@code vae-vqa}, {@code conf/runs/vqa-run3.conf}:
 * reconstruction of both h_v and h_q, questions of 16 tokens, answers of 4 words; Adam 1e-4, batch
 * 32; embedding and hidden sizes from {@code medvqa.bench.vae.embedding} and {@code .hidden}, 128
 * by default as in the README's CPU runs, where the paper's 512 makes an epoch several minutes) on
 * a real manifest and its cached features, {@code medvqa.bench.vae.reps} times each under local[1]
 * and local[2], interleaved, with one native thread per task in both ({@code
 * medvqa.train.threads=1}), so that the speed-up compares one core with two. Each run trains {@code
 * medvqa.bench.vae.epochs} epochs (2 by default) and its rate is the mean of epochs 2.. from the
 * model's {@code metrics.jsonl}: the fit alone (epoch 1 carries the JIT warm-up; validation and
 * checkpoints are outside the timed fit). A last local[2] run of 2 epochs collects dl4j-spark's
 * statistics and keeps its "time by step" lines, where an epoch's time went per kind of step. Then
 * writes the examples the runs trained on (the split less the validation images, by the trainer's
 * own rule), as the trained model encodes them (its own {@link VaeVqa#batch(List)} with the
 * vocabularies saved in its {@code spec.json}), as flat little-endian files and a {@code
 * header.json} for the peer, and fails when their count is not the job's {@code training_examples}.
 */
@EnabledIfSystemProperty(named = "medvqa.bench.vae.out", matches = ".+")
class VaeBenchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Paper run 3: questions read up to 16 tokens (the answers' 4 words are the run file's). */
  private static final int MAX_QUESTION_LENGTH = 16;

  /**
   * The validation carve-out, set explicitly on the job so that the peer gets the job's training
   * examples (GraphTraining: {@link ImageSplit#drawn(long, String, String, double)} with purpose
   * "validation").
   */
  private static final long SEED = 42;

  private static final double VALIDATION_FRACTION = 0.1;

  /** Examples per call of {@link VaeVqa#batch} while writing the peer's files. */
  private static final int CHUNK = 512;

  /** The spec keys the peer builds its network from, copied into its header. */
  private static final List<String> SPEC_KEYS =
      List.of(
          "features",
          "embedding",
          "hidden",
          "z",
          "lambda-answer",
          "lambda-kl",
          "lambda-image",
          "lambda-question",
          "reconstruct-image",
          "reconstruct-question");

  @Test
  void benchmark(@TempDir Path dir) throws Exception {
    Path out = Path.of(System.getProperty("medvqa.bench.vae.out"));
    String manifest = System.getProperty("medvqa.bench.vae.manifest");
    String features = System.getProperty("medvqa.bench.vae.features");
    int epochs = Integer.parseInt(System.getProperty("medvqa.bench.vae.epochs", "2"));
    int reps = Integer.parseInt(System.getProperty("medvqa.bench.vae.reps", "3"));
    if (epochs < 2) {
      throw new IllegalArgumentException(
          "medvqa.bench.vae.epochs must be at least 2 (epoch 1 is not timed), got " + epochs);
    }
    if (reps < 1) {
      throw new IllegalArgumentException("medvqa.bench.vae.reps must be at least 1, got " + reps);
    }
    String m = "medvqa.models." + VaeVqa.KIND + ".";
    String[] common = {
      // The run file's model and training settings (kind, both reconstructions, answers of 4
      // words, Adam 1e-4, batch 32, averaging frequency), as bench-train takes run 5's; the sizes,
      // the data and the split are set here.
      "--config",
      Path.of("../conf/runs/vqa-run3.conf").toAbsolutePath().toString(),
      "--set",
      "medvqa.train.manifest=" + manifest,
      "--set",
      "medvqa.train.features=" + features,
      "--set",
      "medvqa.train.features-key=" + ManifestColumns.IMAGE_SHA256,
      "--set",
      "medvqa.train.seed=" + SEED,
      "--set",
      "medvqa.train.validation.fraction=" + VALIDATION_FRACTION,
      "--set",
      m + "max-question-length=" + MAX_QUESTION_LENGTH,
      "--set",
      m + "embedding=" + System.getProperty("medvqa.bench.vae.embedding", "128"),
      "--set",
      m + "hidden=" + System.getProperty("medvqa.bench.vae.hidden", "128")
    };
    ObjectNode result = TrainBenchRuns.interleaved("bench-vae", common, dir, epochs, reps);
    Path statsModel = dir.resolve("model-stats");

    Path peer = out.resolveSibling("bench-vae-peer");
    Path peerTmp = out.resolveSibling("bench-vae-peer.tmp");
    deleteTree(peerTmp);
    SparkSession spark = TrainBenchRuns.session("bench-vae", 2);
    try {
      writePeerData(spark, manifest, features, statsModel.resolve("spec.json"), peerTmp, result);
    } finally {
      spark.stop();
    }
    // The peer trains on exactly the rows ours trains on: every run's count, the export's.
    TrainBenchRuns.requireExamples(
        result,
        result.get("peer_examples").asLong(),
        " (the peer's rows are not the trainer's: see GraphTraining.rows())");
    deleteTree(peer);
    Files.move(peerTmp, peer);
    result.put("peer_data", peer.toString());
    Files.writeString(out, result.toPrettyString());
  }

  /**
   * The job's training examples (split train, VQA with an answer, minus the validation images) with
   * their features, through the trained model's own {@link VaeVqa#batch(List)}, into {@code
   * folder}: {@code image.f32} [n, features] float32, {@code question.i32} [n, question_length],
   * {@code answer-in.i32} and {@code answer-out.i32} [n, output_length] int32, all little-endian
   * and row-major, and {@code header.json} with the sizes, the vocabulary sizes, the spec's layer
   * sizes and loss weights, and which inputs or labels came with a mask (the peer applies none).
   */
  private static void writePeerData(
      SparkSession spark,
      String manifest,
      String features,
      Path spec,
      Path folder,
      ObjectNode result)
      throws Exception {
    JsonNode specJson = JSON.readTree(Files.readString(spec));
    VaeVqa model = VaeVqa.fromJson((ObjectNode) specJson);
    int image = model.inputs().indexOf(VaeVqa.IMAGE);
    int question = model.inputs().indexOf(VaeVqa.QUESTION);
    int answerIn = model.inputs().indexOf(VaeVqa.ANSWER_IN);
    int answerOut = model.outputs().indexOf(VaeVqa.ANSWER);

    // The rows the trainer fits (GraphTraining.rows()): VQA rows with an answer, of split train,
    // less the validation images drawn by the trainer's own rule, with a cached feature.
    Dataset<Row> m =
        spark
            .read()
            .parquet(manifest + "/manifest")
            .filter(
                col(ManifestColumns.TASK)
                    .equalTo("vqa")
                    .and(functions.size(col(ManifestColumns.ANSWERS)).gt(0))
                    .and(col(ManifestColumns.SPLIT).equalTo("train")))
            .filter(
                functions.not(
                    ImageSplit.drawn(
                        SEED, "validation", ManifestColumns.IMAGE_ID, VALIDATION_FRACTION)));
    Dataset<Row> f = spark.read().parquet(features + "/features");
    Dataset<Row> rows =
        Examples.withFeatures(m, f, ManifestColumns.IMAGE_SHA256)
            .select(Examples.columns())
            .filter(col(Examples.FEATURE).isNotNull());

    Files.createDirectories(folder);
    long n = 0;
    long[] widths = {-1, -1, -1, -1};
    Set<String> masked = new TreeSet<>();
    try (DataOutputStream imageOut = open(folder.resolve("image.f32"));
        DataOutputStream questionOut = open(folder.resolve("question.i32"));
        DataOutputStream answerInOut = open(folder.resolve("answer-in.i32"));
        DataOutputStream answerOutOut = open(folder.resolve("answer-out.i32"))) {
      List<Example> chunk = new ArrayList<>(CHUNK);
      for (Iterator<Row> it = rows.toLocalIterator(); it.hasNext(); ) {
        chunk.add(Examples.of(it.next()));
        if (chunk.size() == CHUNK || !it.hasNext()) {
          MultiDataSet b = model.batch(chunk);
          widths[0] = write(imageOut, b.getFeatures(image), false, widths[0], "image");
          widths[1] = write(questionOut, b.getFeatures(question), true, widths[1], "question");
          widths[2] = write(answerInOut, b.getFeatures(answerIn), true, widths[2], "answer-in");
          widths[3] = write(answerOutOut, b.getLabels(answerOut), true, widths[3], "answer-out");
          for (int i = 0; i < b.numFeatureArrays(); i++) {
            if (b.getFeaturesMaskArray(i) != null) {
              masked.add("input " + model.inputs().get(i));
            }
          }
          for (int i = 0; i < b.numLabelsArrays(); i++) {
            if (b.getLabelsMaskArray(i) != null) {
              masked.add("label " + model.outputs().get(i));
            }
          }
          n += chunk.size();
          chunk.clear();
        }
      }
    }
    if (n == 0) {
      throw new AssertionError("no training examples with features in " + manifest);
    }
    if (widths[2] != widths[3]) {
      throw new AssertionError("answer-in has " + widths[2] + " steps but answer-out " + widths[3]);
    }

    ObjectNode h = JSON.createObjectNode();
    h.put("examples", n);
    h.put("image_size", widths[0]);
    h.put("question_length", widths[1]);
    h.put("output_length", widths[2]);
    h.put("question_words", vocabularySize(specJson, "question-words"));
    h.put("answer_words", vocabularySize(specJson, "answer-words"));
    ObjectNode s = h.putObject("spec");
    for (String k : SPEC_KEYS) {
      JsonNode v = specJson.get(k);
      if (v == null) {
        throw new AssertionError("spec.json has no '" + k + "': " + spec);
      }
      s.set(k, v);
    }
    ArrayNode mk = h.putArray("masked");
    for (String k : masked) {
      mk.add(k);
    }
    ObjectNode files = h.putObject("files");
    files.put("image", "image.f32");
    files.put("question", "question.i32");
    files.put("answer_in", "answer-in.i32");
    files.put("answer_out", "answer-out.i32");
    Files.writeString(folder.resolve("header.json"), h.toPrettyString());
    if (!masked.isEmpty()) {
      System.out.println("bench: the model's minibatches carry masks the peer ignores: " + masked);
    }
    result.put("peer_examples", n);
    result.put("peer_answer_words", vocabularySize(specJson, "answer-words"));
    result.put("peer_question_words", vocabularySize(specJson, "question-words"));
  }

  private static int vocabularySize(JsonNode spec, String key) {
    JsonNode tokens = spec.path(key).path("tokens");
    if (!tokens.isArray() || tokens.size() == 0) {
      throw new AssertionError("spec.json has no vocabulary '" + key + "'");
    }
    return tokens.size();
  }

  private static DataOutputStream open(Path file) throws IOException {
    return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20));
  }

  /**
   * Appends {@code a} row-major as float32 or (rounded) int32, little-endian; returns the values
   * per example, which must equal {@code width} unless that is -1 (the first chunk).
   */
  private static long write(DataOutputStream d, INDArray a, boolean ids, long width, String what)
      throws IOException {
    float[] v = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    long rows = a.size(0);
    long w = v.length / rows;
    if (w * rows != v.length || (width >= 0 && w != width)) {
      throw new AssertionError(
          what
              + ": "
              + v.length
              + " values for "
              + rows
              + " examples, expected "
              + width
              + " each");
    }
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    if (ids) {
      for (float x : v) {
        b.putInt(Math.round(x));
      }
    } else {
      b.asFloatBuffer().put(v);
    }
    d.write(b.array());
    return w;
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
