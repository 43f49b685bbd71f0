package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.stage.StageContext;
import org.medvqa.features.BatchExtraction;
import org.medvqa.features.FeatureModel;
import org.medvqa.features.FeatureSettings;
import org.medvqa.features.WeightSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The Java half of {@code make bench-features} (scripts/bench_features_torch.py runs it, then the
 * PyTorch peer, and prints the table). Not a timed test: it runs only when {@code
 * -Dmedvqa.bench.out=FILE} is given, and writes its measurements there as JSON.
 *
 * <p>Measures, in one JVM: ND4J's SGEMM rate (2048 x 2048, 2 threads); extract-features on the same
 * images under local[1] and local[2] (each after a warm-up run, so the model is loaded and the JIT
 * warm; the rate is the job's own, over its extraction phase); and, without Spark, the levers:
 * batch size, NCHW or NHWC, batch norm folded or not, prefetch, threads.
 */
@EnabledIfSystemProperty(named = "medvqa.bench.out", matches = ".+")
class ExtractFeaturesBenchTest {
  static final Pattern RATE = Pattern.compile("rate=([0-9.]+) images/s");

  @Test
  void benchmark(@TempDir Path dir) throws Exception {
    Path images = Path.of(System.getProperty("medvqa.bench.images"));
    int count = Integer.getInteger("medvqa.bench.count", 64);
    Path model = Path.of(System.getProperty("medvqa.bench.model"));
    boolean levers = Boolean.parseBoolean(System.getProperty("medvqa.bench.levers", "true"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode result = json.createObjectNode();

    List<Path> files = new ArrayList<>();
    try (var s = Files.list(images)) {
      s.filter(p -> p.getFileName().toString().endsWith(".jpg"))
          .sorted()
          .limit(count)
          .forEach(files::add);
    }
    assertEquals(count, files.size(), "images in " + images);
    result.put("images", files.size());
    result.put("sgemm_gflops", sgemm(2));
    System.out.printf(
        Locale.ROOT, "bench: ND4J SGEMM %.1f GFLOP/s%n", result.get("sgemm_gflops").asDouble());

    for (String master : new String[] {"local[1]", "local[2]"}) {
      SparkSession spark =
          SparkSession.builder()
              .master(master)
              .appName("medvqa-bench")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "4")
              .getOrCreate();
      try {
        Path manifest = manifest(spark, dir.resolve("m-" + master.charAt(6)), files);
        run(
            manifest,
            dir.resolve("warm-" + master.charAt(6)),
            model,
            List.of("medvqa.features.max-images=32"));
        String out = run(manifest, dir.resolve("out-" + master.charAt(6)), model, List.of());
        double rate = rate(out);
        System.out.printf(Locale.ROOT, "bench: extract-features %s: %.2f images/s%n", master, rate);
        result.put(master.equals("local[1]") ? "local1" : "local2", rate);
      } finally {
        spark.stop();
      }
    }

    if (levers) {
      ArrayNode l = result.putArray("levers");
      Map<String, byte[]> bytes = new HashMap<>();
      for (Path f : files.subList(0, Math.min(32, files.size()))) {
        bytes.put(f.toString(), Files.readAllBytes(f));
      }
      ComputationGraph g =
          ModelSerializer.restoreComputationGraph(new File(model.toString()), false);
      WeightSet w = WeightSet.of(g);
      Object[][] configs = {
        // name, batch, nhwc, fold, prefetch, threads, engine
        {"dl4j graph NCHW, BN kept, batch 16, 2 threads", 16, false, false, true, 2, "dl4j"},
        {"dl4j graph NCHW, BN folded, batch 16, 2 threads", 16, false, true, true, 2, "dl4j"},
        {"dl4j graph NHWC, BN folded, batch 16, 2 threads", 16, true, true, true, 2, "dl4j"},
        {"gemm engine, batch 16, 2 threads", 16, true, true, true, 2, "gemm"},
        {"gemm engine, batch 16, 1 thread", 16, true, true, true, 1, "gemm"},
        {"gemm engine, batch 8, 1 thread", 8, true, true, true, 1, "gemm"},
        {"gemm engine, batch 32, 1 thread", 32, true, true, true, 1, "gemm"},
        {"gemm engine, batch 16, 1 thread, no prefetch", 16, true, true, false, 1, "gemm"},
      };
      for (Object[] c : configs) {
        FeatureSettings s =
            new FeatureSettings(
                "file",
                model.toString(),
                224,
                "stretch",
                "caffe",
                20000,
                false,
                (int) c[1],
                (boolean) c[2],
                (boolean) c[3],
                (int) c[5],
                (boolean) c[4],
                (String) c[6]);
        FeatureModel m = FeatureModel.build(s, w);
        measure(m, bytes, (int) c[1]); // warm-up
        FeatureModel.profile();
        double[] r = measure(m, bytes, bytes.size());
        String profile = FeatureModel.profile();
        ObjectNode o = l.addObject();
        o.put("name", (String) c[0]);
        o.put("images_per_s", r[0]);
        o.put("decode_s", r[1]);
        o.put("network_s", r[2]);
        if (c[6].equals("gemm")) {
          o.put("profile", profile);
          System.out.println("bench:   gemm engine time: " + profile);
        }
        System.out.printf(
            Locale.ROOT,
            "bench: %-50s %.2f images/s (decode %.1f s, network %.1f s)%n",
            c[0],
            r[0],
            r[1],
            r[2]);
      }
    }
    Files.writeString(
        Path.of(System.getProperty("medvqa.bench.out")),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(result));
  }

  /** ND4J SGEMM, 2048 x 2048, best of 5 after a warm-up, in GFLOP/s. */
  static double sgemm(int threads) {
    Nd4j.getEnvironment().setMaxThreads(threads);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    int n = 2048;
    INDArray a = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray b = Nd4j.rand(DataType.FLOAT, n, n);
    INDArray c = Nd4j.create(DataType.FLOAT, n, n);
    Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    double best = 0;
    for (int i = 0; i < 5; i++) {
      long t = System.nanoTime();
      Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
      best = Math.max(best, 2.0 * n * n * n / ((System.nanoTime() - t) / 1e9) / 1e9);
    }
    return best;
  }

  /** images/s, decode seconds, network seconds of plain-Java extraction over {@code n} images. */
  static double[] measure(FeatureModel m, Map<String, byte[]> bytes, int n) {
    List<BatchExtraction.Request> requests = new ArrayList<>();
    List<String> keys = new ArrayList<>(bytes.keySet());
    for (int i = 0; i < n; i++) {
      requests.add(
          new BatchExtraction.Request(keys.get(i % keys.size()), 0, keys.get(i % keys.size())));
    }
    long t = System.nanoTime();
    double[] parts;
    try (BatchExtraction ex = new BatchExtraction(requests.iterator(), m, bytes::get, k -> {})) {
      ex.forEachRemaining(r -> {});
      parts = ex.seconds();
    }
    double s = (System.nanoTime() - t) / 1e9;
    return new double[] {n / s, parts[0], parts[1]};
  }

  static String run(Path manifest, Path out, Path model, List<String> extra) throws Exception {
    List<String> sets =
        new ArrayList<>(
            List.of(
                "medvqa.features.manifest=" + manifest,
                "medvqa.features.out=" + out,
                "medvqa.features.model.file=" + model));
    sets.addAll(extra);
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("medvqa.features.")) {
        sets.add(k + "=" + System.getProperty(k));
      }
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(b, true, StandardCharsets.UTF_8);
        StageContext ctx =
            new StageContext(
                "extract-features", Main.load(null, sets.toArray(new String[0])), p, p)) {
      new ExtractFeaturesJob().run(ctx); // throws on failure
    }
    String printed = b.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    return printed;
  }

  static double rate(String printed) {
    Matcher m = RATE.matcher(printed);
    if (!m.find()) {
      throw new AssertionError("no rate in\n" + printed);
    }
    return Double.parseDouble(m.group(1));
  }

  /** A manifest (every ingest column) with one row per image. */
  static Path manifest(SparkSession spark, Path dir, List<Path> files) {
    StructType schema = new StructType();
    for (String c : ManifestColumns.MANIFEST) {
      schema =
          schema.add(
              c,
              c.equals(ManifestColumns.ANSWERS)
                  ? DataTypes.createArrayType(DataTypes.StringType)
                  : c.equals(ManifestColumns.SOURCE_LINE)
                          || c.equals(ManifestColumns.IMAGE_WIDTH)
                          || c.equals(ManifestColumns.IMAGE_HEIGHT)
                      ? DataTypes.IntegerType
                      : DataTypes.StringType);
    }
    List<Row> rows = new ArrayList<>();
    int n = 0;
    for (Path f : files) {
      String id = f.getFileName().toString().replaceFirst("\\.jpg$", "");
      Object[] v = new Object[ManifestColumns.MANIFEST.size()];
      v[ManifestColumns.MANIFEST.indexOf(ManifestColumns.SAMPLE_ID)] = "bench-" + n++;
      v[ManifestColumns.MANIFEST.indexOf(ManifestColumns.IMAGE_ID)] = id;
      v[ManifestColumns.MANIFEST.indexOf(ManifestColumns.IMAGE_PATH)] = f.toUri().toString();
      rows.add(RowFactory.create(v));
    }
    spark.createDataFrame(rows, schema).write().parquet(dir.resolve("manifest").toString());
    return dir;
  }
}
