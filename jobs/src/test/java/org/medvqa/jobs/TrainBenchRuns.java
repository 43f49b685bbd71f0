package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The timed part shared by the training benchmarks ({@link TrainBenchTest}, {@link VaeBenchTest}):
 * {@code train} runs under local[1] and local[2], interleaved per repetition, one native thread per
 * task in both (so that the speed-up compares one core with two), and a last local[2] run with
 * dl4j-spark's statistics. A run's rate is the mean of its epochs 2.. in {@code metrics.jsonl},
 * which time the fit alone (epoch 1 carries the JIT warm-up; validation and checkpoints come after
 * the timed fit), after {@code medvqa.bench.warmup-reps} (default 1) uncounted repetitions. Each
 * run also records, where Linux has them, the seconds each kind of thread ran and waited for a core
 * during its epoch 2 ({@link ThreadCpu}): two tasks on two cores share them with the JVM's other
 * threads, which a single task leaves a core to. Before each repetition and after the last, {@link
 * CoreScaling} measures what a second core gives the machine's own loop in those minutes ({@code
 * core_scaling}).
 */
final class TrainBenchRuns {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainBenchRuns() {}

  static SparkSession session(String app, int slots) {
    return SparkTestBase.withJobSettings(SparkSession.builder())
        .master("local[" + slots + "]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }

  /**
   * {@code reps} runs each of local[1] and local[2] ({@code local1}, {@code local2}: arrays of
   * {@link #train} results) and the statistics run ({@code stats}, its model in {@code
   * dir/model-stats}), with the averaging frequency the runs used.
   */
  static ObjectNode interleaved(String app, String[] common, Path dir, int epochs, int reps)
      throws Exception {
    ObjectNode result = JSON.createObjectNode();
    result.put("epochs", epochs);
    result.put("reps", reps);
    // A repetition of both layouts before the timed ones, not counted. Epoch 1 of a run warms up
    // its own Spark job, but the JVM's compilers were still busy in the timed epochs of its first
    // runs (C2 took 5.7% of both cores in the first local[2] run's epoch 2, a perf profile of a
    // later session), and over 16 earlier VAE A/B runs of three repetitions the median speed-up
    // of the first repetition was 1.58, of the second 1.65, of the third 1.72.
    int warmups = Integer.getInteger("medvqa.bench.warmup-reps", 1);
    for (int w = 1; w <= warmups; w++) {
      for (int slots : new int[] {1, 2}) {
        ObjectNode o =
            train(app, slots, common, dir.resolve("warm-" + slots + "-" + w), epochs, false);
        System.out.printf(
            "bench: warm-up %d local[%d] %.1f samples/s (not counted)%n",
            w, slots, o.get("samples_per_second").asDouble());
        result.withArray("warmup_local" + slots).add(o);
      }
    }
    result.put("warmup_reps", warmups);
    for (int rep = 1; rep <= reps; rep++) {
      // What the cores give in these minutes, beside the runs it bounds (CoreScaling says why).
      CoreScaling.record("rep " + rep, result.withArray("core_scaling"));
      for (int slots : new int[] {1, 2}) {
        ObjectNode o =
            train(app, slots, common, dir.resolve("model-" + slots + "-" + rep), epochs, false);
        System.out.printf(
            "bench: rep %d local[%d] %.1f samples/s, %.2f s/epoch%n",
            rep, slots, o.get("samples_per_second").asDouble(), o.get("epoch_seconds").asDouble());
        result.withArray("local" + slots).add(o);
      }
    }
    CoreScaling.record("after rep " + reps, result.withArray("core_scaling"));
    ObjectNode stats = train(app, 2, common, dir.resolve("model-stats"), 2, true);
    result.set("stats", stats);
    result.put("averaging_frequency", stats.path("averaging_frequency").asInt());
    return result;
  }

  /** The training examples of every run in {@code result}, which must all be {@code expected}. */
  static void requireExamples(ObjectNode result, long expected, String why) {
    List<JsonNode> runs = new ArrayList<>();
    result.get("local1").forEach(runs::add);
    result.get("local2").forEach(runs::add);
    runs.add(result.get("stats"));
    for (JsonNode o : runs) {
      long trained = o.get("examples").asLong();
      if (trained != expected) {
        throw new AssertionError(
            "the peer's data hold " + expected + " examples, the job trained on " + trained + why);
      }
    }
  }

  /**
   * One {@code train} run: its mean rate and epoch time over epochs 2.., its training examples,
   * last training loss and validation score, averaging frequency, and with {@code stats} the "time
   * by step" lines.
   */
  static ObjectNode train(
      String app, int slots, String[] common, Path model, int epochs, boolean stats)
      throws Exception {
    SparkSession spark = session(app, slots);
    // The work folder set here, not derived from the stage's default naming of it.
    Path work = model.resolveSibling(model.getFileName() + ".work");
    EpochTwoCpu cpu = new EpochTwoCpu(work.resolve("state.json"));
    try {
      List<String> args = new ArrayList<>(List.of("train"));
      args.addAll(List.of(common));
      args.addAll(
          List.of(
              "--set",
              "medvqa.train.threads=1",
              "--set",
              "medvqa.train.out=" + model,
              "--set",
              "medvqa.train.work=" + work,
              "--set",
              "medvqa.train.epochs=" + epochs,
              "--set",
              "medvqa.train.collect-stats=" + stats));
      cpu.start();
      SparkTestBase.Run r = SparkTestBase.medvqa(args.toArray(new String[0]));
      if (r.code() != 0) {
        throw new AssertionError(r.toString());
      }
      ObjectNode o = rates(Files.readAllLines(model.resolve("metrics.jsonl")));
      JsonNode training = JSON.readTree(model.resolve("training.json").toFile());
      o.put("examples", training.get("training_examples").asLong());
      cpu.join(2000); // it has seen epoch 2's state by now, unless the run had 1 epoch
      ObjectNode seconds = o.putObject("epoch2_cpu");
      cpu.seconds.forEach((kind, v) -> seconds.putArray(kind).add(v[0]).add(v[1]));
      for (String line : r.out().split("\n")) {
        if (line.contains("time by step")) {
          o.withArray("breakdown").add(line.substring(line.indexOf("epoch")));
        }
        if (line.contains("averaging every ")) {
          String tail = line.substring(line.indexOf("averaging every ") + 16);
          o.put("averaging_frequency", Integer.parseInt(tail.substring(0, tail.indexOf(' '))));
        }
      }
      return o;
    } finally {
      cpu.interrupt();
      spark.stop();
    }
  }

  /**
   * Seconds run and waited per kind of thread ({@link ThreadCpu}) over a run's epoch 2 with its
   * validation: between the trainer's state.json of epoch 1 and of epoch 2, written last in each
   * epoch in the run's work folder. Empty where Linux's per-thread statistics are missing, or when
   * the run stopped before epoch 2.
   */
  private static final class EpochTwoCpu extends Thread {
    private final Path state;
    volatile Map<String, double[]> seconds = Map.of();

    EpochTwoCpu(Path state) {
      super("bench-epoch-cpu");
      setDaemon(true);
      this.state = state;
    }

    @Override
    public void run() {
      if (!ThreadCpu.available()) {
        return;
      }
      try {
        Map<String, ThreadCpu.Sample> first = null;
        long seen = 0;
        while (true) {
          // Reads the file only when it changed: parsing it every 20 ms took 0.2-0.3 s of a core
          // per epoch beside the measured runs.
          long modified = modified();
          if (modified != seen) {
            seen = modified;
            int epoch = epoch();
            if (first == null && epoch == 1) {
              first = ThreadCpu.snapshot();
            } else if (first != null && epoch >= 2) {
              seconds = ThreadCpu.between(first, ThreadCpu.snapshot());
              return;
            }
          }
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        // The run ended: whatever was measured stays.
      }
    }

    private long modified() {
      try {
        return Files.getLastModifiedTime(state).toMillis();
      } catch (IOException e) {
        return 0;
      }
    }

    /** The last finished epoch, 0 while there is none or the file is being replaced. */
    private int epoch() {
      try {
        return JSON.readTree(state.toFile()).path("epoch").asInt(0);
      } catch (IOException e) {
        return 0;
      }
    }
  }

  /** Mean samples/s and seconds of epochs 2.., and the last epoch's loss and validation score. */
  private static ObjectNode rates(List<String> lines) throws Exception {
    double rate = 0;
    double seconds = 0;
    for (String line : lines.subList(1, lines.size())) {
      JsonNode e = JSON.readTree(line);
      rate += e.get("samples_per_second").asDouble();
      seconds += e.get("seconds").asDouble();
    }
    int n = lines.size() - 1;
    JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
    String metric = last.get("metric").asText();
    ObjectNode o = JSON.createObjectNode();
    o.put("samples_per_second", rate / n);
    o.put("epoch_seconds", seconds / n);
    o.put("train_loss", last.get("train_loss").asDouble());
    o.put("validation_metric", metric);
    o.put("validation_score", last.get("validation_" + metric).asDouble());
    return o;
  }
}
