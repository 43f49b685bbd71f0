package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ManifestColumns;
import org.medvqa.training.Examples;

/**
 * The Java half of {@code make bench-train} (scripts/bench_train_torch.py runs it, then the PyTorch
 * peer, and prints the table). Not a timed test: it runs only with {@code
 * -Dmedvqa.bench.train.out=FILE}.
 *
 * <p>Runs the {@code train} job (kind {@code classifier}, paper run 5's head) on a real manifest
 * and its cached features under local[1] and then local[2], and reads the samples/s and epoch times
 * of epochs 2.. from the model's {@code metrics.jsonl} (epoch 1 carries the JIT warm-up). Then
 * writes the same training examples (feature, answer class) as a flat little-endian file for the
 * peer.
 */
@EnabledIfSystemProperty(named = "medvqa.bench.train.out", matches = ".+")
class TrainBenchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void benchmark(@TempDir Path dir) throws Exception {
    Path out = Path.of(System.getProperty("medvqa.bench.train.out"));
    String manifest = System.getProperty("medvqa.bench.train.manifest");
    String features = System.getProperty("medvqa.bench.train.features");
    int epochs = Integer.parseInt(System.getProperty("medvqa.bench.train.epochs", "4"));
    ObjectNode result = JSON.createObjectNode();
    for (int threads : new int[] {1, 2}) {
      SparkSession spark =
          SparkSession.builder()
              .master("local[" + threads + "]")
              .appName("bench-train")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "4")
              .getOrCreate();
      try {
        Path model = dir.resolve("model-" + threads);
        SparkTestBase.Run r =
            SparkTestBase.medvqa(
                "train",
                "--set",
                "medvqa.train.model=classifier",
                "--set",
                "medvqa.train.manifest=" + manifest,
                "--set",
                "medvqa.train.features=" + features,
                "--set",
                "medvqa.train.features-key=" + ManifestColumns.IMAGE_SHA256,
                "--set",
                "medvqa.train.out=" + model,
                "--set",
                "medvqa.train.epochs=" + epochs);
        System.out.println("bench: local[" + threads + "] " + lastLine(r.out()));
        if (r.code() != 0) {
          throw new AssertionError(r.toString());
        }
        List<String> lines = Files.readAllLines(model.resolve("metrics.jsonl"));
        double rate = 0;
        double seconds = 0;
        for (String line : lines.subList(1, lines.size())) {
          JsonNode m = JSON.readTree(line);
          rate += m.get("samples_per_second").asDouble();
          seconds += m.get("seconds").asDouble();
        }
        int n = lines.size() - 1;
        JsonNode training = JSON.readTree(model.resolve("training.json").toFile());
        ObjectNode o = result.putObject("local" + threads);
        o.put("samples_per_second", rate / n);
        o.put("epoch_seconds", seconds / n);
        o.put("examples", training.get("training_examples").asLong());
        o.put("validation_accuracy", training.get("validation_accuracy").asDouble());
        if (threads == 2) {
          writePeerData(spark, manifest, features, dir.resolve("peer.bin"), result);
        }
      } finally {
        spark.stop();
      }
    }
    Path peer = out.resolveSibling("bench-train-peer.bin");
    Files.move(dir.resolve("peer.bin"), peer, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    result.put("peer_data", peer.toString());
    Files.writeString(out, result.toPrettyString());
  }

  private static String lastLine(String s) {
    String[] lines = s.strip().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].startsWith("train: summary")) {
        return lines[i];
      }
    }
    return lines[lines.length - 1];
  }

  /** int32 n, dim, classes; n x dim float32; n int32 labels; little-endian. */
  private static void writePeerData(
      SparkSession spark, String manifest, String features, Path file, ObjectNode result)
      throws Exception {
    Dataset<Row> m =
        spark
            .read()
            .parquet(manifest + "/manifest")
            .filter(col(ManifestColumns.SPLIT).equalTo("train"));
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
