package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ImageSplit;
import org.medvqa.core.ManifestColumns;
import org.medvqa.training.Examples;

/**
 * The Java half of {@code make bench-train} (scripts/bench_train_torch.py runs it, then the PyTorch
 * peer, and prints the table). Not a timed test: it runs only with {@code
 * -Dmedvqa.bench.train.out=FILE}.
 *
 * <p>Runs the {@code train} job with paper run 5's run file (kind {@code classifier}, its training
 * settings) on a real manifest and its cached features, {@code reps} times each under local[1] and
 * local[2], interleaved, with one native thread per task in both, so that the speed-up compares one
 * core with two. Each run's rate is the mean of epochs 2.. from the model's {@code metrics.jsonl}:
 * the fit alone (epoch 1 carries the JIT warm-up; validation and checkpoints are outside the timed
 * fit). A last local[2] run collects dl4j-spark's statistics and prints where an epoch's time went
 * per averaging round. Then writes the examples the runs trained on (the split less the validation
 * images, by the trainer's own rule) as a flat little-endian file for the peer.
 */
@EnabledIfSystemProperty(named = "medvqa.bench.train.out", matches = ".+")
class TrainBenchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void benchmark(@TempDir Path dir) throws Exception {
    Path out = Path.of(System.getProperty("medvqa.bench.train.out"));
    String manifest = System.getProperty("medvqa.bench.train.manifest");
    String features = System.getProperty("medvqa.bench.train.features");
    int epochs = Integer.parseInt(System.getProperty("medvqa.bench.train.epochs", "3"));
    int reps = Integer.parseInt(System.getProperty("medvqa.bench.train.reps", "3"));
    String[] common = {
      "--config",
      Path.of("../conf/runs/vqa-run5.conf").toAbsolutePath().toString(),
      "--set",
      "medvqa.train.manifest=" + manifest,
      "--set",
      "medvqa.train.features=" + features,
      "--set",
      "medvqa.train.features-key=" + ManifestColumns.IMAGE_SHA256
    };
    ObjectNode result = TrainBenchRuns.interleaved("bench-train", common, dir, epochs, reps);
    SparkSession spark = TrainBenchRuns.session("bench-train", 2);
    try {
      writePeerData(spark, manifest, features, dir.resolve("peer.bin"), result);
    } finally {
      spark.stop();
    }
    TrainBenchRuns.requireExamples(
        result, result.get("peer_examples").asLong(), " (see GraphTraining.rows())");
    Path peer = out.resolveSibling("bench-train-peer.bin");
    Files.move(dir.resolve("peer.bin"), peer, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    result.put("peer_data", peer.toString());
    Files.writeString(out, result.toPrettyString());
  }

  /** int32 n, dim, classes; n x dim float32; n int32 labels; little-endian. */
  private static void writePeerData(
      SparkSession spark, String manifest, String features, Path file, ObjectNode result)
      throws Exception {
    // The rows the trainer fits: VQA rows with an answer, of split train, less the validation
    // images drawn by the trainer's rule (seed 42, 10%).
    Dataset<Row> m =
        spark
            .read()
            .parquet(manifest + "/manifest")
            .filter(col(ManifestColumns.SPLIT).equalTo("train"))
            .filter(col(ManifestColumns.TASK).equalTo("vqa"))
            .filter(functions.size(col(ManifestColumns.ANSWERS)).gt(0))
            .filter(
                functions.not(ImageSplit.drawn(42, "validation", ManifestColumns.IMAGE_ID, 0.1)));
    Dataset<Row> f = spark.read().parquet(features + "/features");
    Dataset<Row> rows =
        Examples.withFeatures(m, f, ManifestColumns.IMAGE_SHA256)
            .select(Examples.columns())
            .filter(col(Examples.FEATURE).isNotNull());
    List<float[]> x = new ArrayList<>();
    List<String> y = new ArrayList<>();
    Map<String, Integer> classes = new TreeMap<>();
    for (Iterator<Row> it = rows.toLocalIterator(); it.hasNext(); ) {
      var e = Examples.of(it.next());
      x.add(e.image());
      y.add(e.answer());
      classes.putIfAbsent(e.answer(), 0);
    }
    int k = 0;
    for (String c : classes.keySet()) {
      classes.put(c, k++);
    }
    int dim = x.get(0).length;
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
        DataOutputStream d = new DataOutputStream(os)) {
      ByteBuffer b = ByteBuffer.allocate(4 * Math.max(dim, 3)).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(x.size()).putInt(dim).putInt(classes.size());
      d.write(b.array(), 0, 12);
      for (float[] v : x) {
        b.clear();
        for (float a : v) {
          b.putFloat(a);
        }
        d.write(b.array(), 0, 4 * dim);
      }
      for (String a : y) {
        b.clear();
        b.putInt(classes.get(a));
        d.write(b.array(), 0, 4);
      }
    }
    result.put("peer_examples", x.size());
    result.put("peer_classes", classes.size());
  }
}
