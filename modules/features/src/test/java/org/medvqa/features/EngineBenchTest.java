package org.medvqa.features;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.medvqa.core.Measures;

/**
 * The forward pass alone (decoding done beforehand), engine against engine on the real weights and
 * the same VQA-Med images in one JVM: gemm, onednn fp32 and onednn bf16, with 1 thread, 2 threads,
 * and 2 concurrent tasks of 1 thread each (what local[2] runs). The configurations take turns
 * within every repetition, so that the load of a shared machine falls on all of them alike; the
 * median and the range of the repetitions after one warm-up are printed, with the cores the process
 * kept busy meanwhile (CPU time over wall time: 1 thread per task should give about 1 per task).
 *
 * <p>Not a timed test: it runs only with {@code -Dmedvqa.bench.engines=REPETITIONS}, e.g. {@code
 * mvn -o test -pl modules/features -Dtest=EngineBenchTest -Dmedvqa.bench.engines=5}; {@code
 * medvqa.bench.images} (a folder of JPEGs, default the shared VQA-Med 2019 training images) and
 * {@code medvqa.bench.count} (default 64) choose the images.
 */
@EnabledIfSystemProperty(named = "medvqa.bench.engines", matches = "[0-9]+")
class EngineBenchTest {
  static final int BATCH = 16;

  /** One configuration: engine, precision, threads per task, concurrent tasks. */
  record Config(String engine, String precision, int threads, int tasks) {
    String name() {
      return String.format(
          Locale.ROOT, "%-6s %-4s %d task(s) x %d thread(s)", engine, precision, tasks, threads);
    }
  }

  @Test
  void benchmark() throws Exception {
    int reps = Integer.getInteger("medvqa.bench.engines");
    float[][] batches = batches();
    WeightSet w =
        WeightSet.of(
            ModelSerializer.restoreComputationGraph(
                new File(RealWeightsTest.WEIGHTS.toString()), false));
    List<Config> configs = new ArrayList<>();
    for (String[] ep : new String[][] {{"gemm", "fp32"}, {"onednn", "fp32"}, {"onednn", "bf16"}}) {
      if (ep[1].equals("bf16") && !OneDnnRuntime.hasBf16()) {
        continue;
      }
      configs.add(new Config(ep[0], ep[1], 1, 1));
      configs.add(new Config(ep[0], ep[1], 2, 1));
      configs.add(new Config(ep[0], ep[1], 1, 2));
    }
    System.out.printf(
        Locale.ROOT,
        "bench: %d images, batch %d, oneDNN ISA %s, load before %s%n",
        batches.length * BATCH,
        BATCH,
        OneDnnRuntime.isa(),
        load());
    Map<Config, FeatureModel> models = new LinkedHashMap<>();
    for (Config c : configs) {
      models.put(c, FeatureModel.build(settings(c), w));
    }
    Map<Config, double[]> rates = new LinkedHashMap<>();
    Map<Config, double[]> cores = new LinkedHashMap<>();
    configs.forEach(c -> rates.put(c, new double[reps]));
    configs.forEach(c -> cores.put(c, new double[reps]));
    for (int r = -1; r < reps; r++) {
      for (Config c : configs) {
        long cpu0 = Measures.processCpuNanos();
        long t0 = System.nanoTime();
        double rate = imagesPerSecond(models.get(c), c.tasks(), batches);
        double used = (double) (Measures.processCpuNanos() - cpu0) / (System.nanoTime() - t0);
        if (r >= 0) {
          rates.get(c)[r] = rate;
          cores.get(c)[r] = used;
        }
      }
    }
    for (Config c : configs) {
      double[] x = rates.get(c).clone();
      Arrays.sort(x);
      System.out.printf(
          Locale.ROOT,
          "bench: %s  median %6.2f images/s  (range %.2f-%.2f, %d reps)  cores busy %.2f%n",
          c.name(),
          x[x.length / 2],
          x[0],
          x[x.length - 1],
          x.length,
          Arrays.stream(cores.get(c)).sorted().toArray()[x.length / 2]);
    }
    for (Config c : configs) {
      if (c.engine().equals("onednn") && c.tasks() == 1) {
        String k = TASKS.get(0).submit(models.get(c)::kernels).get();
        System.out.println("bench: " + c.name() + " kernels " + k);
      }
    }
    System.out.println("bench: load after " + load());
    TASKS.forEach(ExecutorService::shutdown);
  }

  static FeatureSettings settings(Config c) {
    return new FeatureSettings(
            "file",
            RealWeightsTest.WEIGHTS.toString(),
            224,
            "stretch",
            "caffe",
            20000,
            false,
            BATCH,
            true,
            true,
            c.threads(),
            false,
            c.engine())
        .withEngine(c.engine(), c.precision());
  }

  /** The images, decoded and preprocessed once, as full batches. */
  static float[][] batches() throws Exception {
    Path dir =
        Path.of(
            System.getProperty(
                "medvqa.bench.images",
                "../../../shared/data/vqa-med-2019/ImageClef_2019_Training/Train_images"));
    int count = Integer.getInteger("medvqa.bench.count", 64);
    List<Path> files;
    try (var s = Files.list(dir)) {
      files = s.sorted().limit(count).toList();
    }
    ImagePreprocessor prep = new ImagePreprocessor(224, false, true, true, 20000);
    float[][] batches = new float[files.size() / BATCH][3 * 224 * 224 * BATCH];
    long t0 = System.nanoTime();
    for (int i = 0; i < batches.length * BATCH; i++) {
      prep.prepare(Files.readAllBytes(files.get(i)), batches[i / BATCH], i % BATCH);
    }
    // For scale: what one thread decodes and resizes, which the network now outruns in bf16.
    System.out.printf(
        Locale.ROOT,
        "bench: decode + resize + preprocess, 1 thread: %.1f images/s (not in the rates below)%n",
        batches.length * BATCH / ((System.nanoTime() - t0) / 1e9));
    return batches;
  }

  /**
   * The task threads, shared by every configuration and kept for the whole run: the engines keep
   * per-thread state (the gemm engine's buffers, ~1.4 GB at batch 16; oneDNN's primitives), as an
   * executor's long-lived task threads would.
   */
  static final List<ExecutorService> TASKS =
      List.of(Executors.newSingleThreadExecutor(), Executors.newSingleThreadExecutor());

  /** Runs all batches dealt round-robin to {@code tasks} task threads. */
  static double imagesPerSecond(FeatureModel m, int tasks, float[][] batches) throws Exception {
    long start = System.nanoTime();
    List<Future<?>> work = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      int first = t;
      work.add(
          TASKS
              .get(t)
              .submit(
                  () -> {
                    // As BatchExtraction does at a task's start.
                    m.applyThreads();
                    for (int b = first; b < batches.length; b += tasks) {
                      m.run(batches[b], BATCH);
                    }
                    return null;
                  }));
    }
    for (Future<?> f : work) {
      f.get();
    }
    return batches.length * BATCH / ((System.nanoTime() - start) / 1e9);
  }

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "unknown";
    }
  }
}
