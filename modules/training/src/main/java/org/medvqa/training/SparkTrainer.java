package org.medvqa.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.deeplearning4j.spark.time.SystemClockTimeSource;
import org.deeplearning4j.spark.time.TimeSourceProvider;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.models.Example;
import org.medvqa.models.ShapeInfoCache;
import org.medvqa.models.TrainedModel;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * Fits a {@link VqaModel} on Spark with DL4J, epoch by epoch, from minibatch files.
 *
 * <p>The work folder holds everything a run needs to continue after a kill: {@code batches/} (the
 * export), {@code checkpoint.zip} (the last finished epoch, with the updater state), {@code
 * best.zip}, {@code metrics.jsonl} and {@code state.json} (written last in each epoch: epoch, best
 * epoch and score, seed, and a fingerprint of the run). Started again with the same fingerprint,
 * training continues after the last checkpointed epoch; with another fingerprint it refuses rather
 * than mixing two runs. The minibatch order of epoch {@code e} is a shuffle seeded by {@code seed +
 * e}, so a resumed epoch sees the order the interrupted run would have seen.
 */
public final class SparkTrainer {
  /** Called after each epoch is checkpointed (logging, and tests that simulate a kill). */
  public interface EpochListener {
    void epochDone(EpochMetrics metrics) throws Exception;
  }

  /**
   * What training produced.
   *
   * @param model the kept network (best or last epoch, or the mean of the last epochs, by {@code
   *     keep})
   * @param keptEpoch its epoch (for a mean, the last epoch in it)
   * @param averaged for {@code keep = average}, the epochs in the mean and its validation; else
   *     null
   * @param epochs metrics of every epoch, including those before a resume
   * @param resumedFrom the epoch a resumed run continued after (0 for a fresh run)
   * @param examples training examples per epoch
   * @param batches minibatch files per epoch
   */
  public record Outcome(
      ComputationGraph model,
      int keptEpoch,
      List<EpochMetrics> epochs,
      int resumedFrom,
      long examples,
      int batches,
      boolean stoppedEarly,
      Averaged averaged) {

    /** The kept network's validation score: the mean's own, or its epoch's. */
    public double keptValidationScore() {
      return averaged != null
          ? averaged.validationScore()
          : epochs.get(keptEpoch - 1).validationScore();
    }
  }

  /**
   * The network {@code keep = average} kept: the mean of the parameters of epochs {@code from} to
   * {@code to}, and its own validation loss and score.
   */
  public record Averaged(int from, int to, double validationLoss, double validationScore) {}

  static final String AERON_UNBLOCK = "aeron.publication.unblock.timeout";
  static final String CHECKPOINT = "checkpoint.zip";
  static final String BEST = "best.zip";

  /** {@code keep = average}: the network of epoch {@code n}, kept while it is in the window. */
  static final String EPOCH_FORMAT = "epoch-%d.zip";

  static final String STATE = "state.json";
  static final String METRICS = TrainedModel.METRICS_FILE;

  /** Per epoch, the model's {@link VqaModel#probes} (VAEs only). */
  static final String PROBES = TrainedModel.PROBES_FILE;

  static final String BATCHES = "batches";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int VALIDATION_CHUNK = 256;

  private final JavaSparkContext sc;
  private final TrainingSettings settings;
  private final HadoopFiles files;
  private final Consumer<String> log;

  public SparkTrainer(
      JavaSparkContext sc, TrainingSettings settings, HadoopFiles files, Consumer<String> log) {
    this.sc = sc;
    this.settings = settings;
    this.files = files;
    this.log = log;
  }

  /**
   * Where a run stands: the epochs done (before a resume, or so far), the best one, and the network
   * of the last epoch.
   */
  private static final class Progress {
    int done;
    int bestEpoch;
    double bestScore = Double.NEGATIVE_INFINITY;
    int sinceBest;
    final List<EpochMetrics> history = new ArrayList<>();
    ComputationGraph net;
    RoundStats stats = RoundStats.of(null);
    double validationSeconds;
  }

  /**
   * Trains {@code model} on {@code training}, choosing the kept epoch on {@code validation}.
   *
   * @param fingerprint identifies the run (config and inputs); a work folder from another run is
   *     refused
   * @param work the work folder (created; kept after training so that the caller decides)
   */
  public Outcome train(
      VqaModel model,
      String fingerprint,
      JavaRDD<Example> training,
      List<Example> validation,
      Path work,
      EpochListener listener)
      throws IOException {
    if (validation.isEmpty()) {
      throw new TrainingFailure("no validation examples: the kept epoch cannot be chosen");
    }
    // The driver builds, validates and averages networks too (ShapeInfoCache has the why).
    ShapeInfoCache.install();
    Progress p = start(model, fingerprint, work);
    int resumedFrom = p.done;
    MinibatchExport.Batches batches = batches(model, training, new Path(work, BATCHES));
    int workers = settings.workers() > 0 ? settings.workers() : sc.defaultParallelism();
    SparkComputationGraph spark = new SparkComputationGraph(sc, p.net, trainingMaster(workers));
    boolean stoppedEarly = false;
    for (int epoch = resumedFrom + 1; epoch <= settings.epochs() && !stoppedEarly; epoch++) {
      EpochMetrics m = epoch(spark, model, batches, validation, work, fingerprint, epoch, p);
      log.accept(progressLine(m, p, resumedFrom));
      if (listener != null) {
        notify(listener, m);
      }
      if (settings.patience() > 0 && p.sinceBest >= settings.patience()) {
        log.accept(
            "early stop: no better validation "
                + model.validationMetric()
                + " for "
                + p.sinceBest
                + " epochs");
        stoppedEarly = true;
      }
    }
    if (resumedFrom >= settings.epochs()) {
      log.accept("all " + settings.epochs() + " epochs were already done");
    }
    int last = p.history.get(p.history.size() - 1).epoch();
    ComputationGraph kept;
    int keptEpoch;
    Averaged averaged = null;
    switch (settings.keep()) {
      case "best" -> {
        kept = load(new Path(work, BEST));
        keptEpoch = p.bestEpoch;
      }
      case "last" -> {
        kept = load(new Path(work, CHECKPOINT));
        keptEpoch = last;
      }
      default -> {
        int from = Math.max(1, last - settings.averageEpochs() + 1);
        kept = average(work, from, last);
        double[] val = validate(model, kept, validation);
        averaged = new Averaged(from, last, val[0], val[1]);
        keptEpoch = last;
        log.accept(
            String.format(
                Locale.ROOT,
                "kept the mean of epochs %d-%d: validation loss %.4f, validation %s %.4f (best"
                    + " single epoch %d: %.4f)",
                from,
                last,
                val[0],
                model.validationMetric(),
                val[1],
                p.bestEpoch,
                p.bestScore));
      }
    }
    return new Outcome(
        kept,
        keptEpoch,
        p.history,
        resumedFrom,
        batches.examples(),
        batches.paths().size(),
        stoppedEarly,
        averaged);
  }

  /**
   * The network with the mean parameters of epochs {@code from} to {@code to} (their snapshots in
   * the work folder); its updater state is the last epoch's, which prediction does not read.
   */
  private ComputationGraph average(Path work, int from, int to) throws IOException {
    ComputationGraph mean = load(snapshot(work, to));
    INDArray sum = mean.params().dup();
    for (int e = from; e < to; e++) {
      Path p = orPending(snapshot(work, e));
      if (!files.exists(p)) {
        throw new TrainingFailure(
            "the work folder "
                + work
                + " has no network of epoch "
                + e
                + " to average (keep = average keeps the last average-epochs epochs; remove the"
                + " folder to start afresh)");
      }
      sum.addi(load(p).params());
    }
    mean.setParams(sum.divi(to - from + 1));
    return mean;
  }

  private static Path snapshot(Path work, int epoch) {
    return new Path(work, String.format(Locale.ROOT, EPOCH_FORMAT, epoch));
  }

  /** A fresh run's progress, or the progress of the run the work folder holds (resumed). */
  private Progress start(VqaModel model, String fingerprint, Path work) throws IOException {
    Progress p = new Progress();
    ObjectNode state = readState(work);
    if (state == null) {
      files.fs(work).mkdirs(work);
      p.net = model.newGraph(settings.seed(), settings.updater());
      return p;
    }
    if (!fingerprint.equals(state.get("fingerprint").asText())) {
      throw new TrainingFailure(
          "the work folder "
              + work
              + " holds another run (different config or inputs); remove it to start afresh");
    }
    p.done = state.get("epoch").asInt();
    p.bestEpoch = state.get("best_epoch").asInt();
    p.bestScore = state.get("best_score").asDouble();
    p.sinceBest = state.get("since_best").asInt();
    p.history.addAll(readMetrics(work, p.done));
    p.net = load(new Path(work, CHECKPOINT));
    log.accept(
        String.format(
            Locale.ROOT,
            "resuming after epoch %d of %d (best so far: epoch %d, %s %.4f)",
            p.done,
            settings.epochs(),
            p.bestEpoch,
            model.validationMetric(),
            p.bestScore));
    return p;
  }

  /** The minibatch files: an earlier complete export of the work folder, or a new one. */
  private MinibatchExport.Batches batches(VqaModel model, JavaRDD<Example> training, Path batchDir)
      throws IOException {
    MinibatchExport.Batches batches = MinibatchExport.existing(files, batchDir);
    if (batches != null) {
      log.accept(
          String.format(
              Locale.ROOT,
              "reusing the export of %d examples in %d minibatches",
              batches.examples(),
              batches.paths().size()));
    } else {
      long t0 = System.nanoTime();
      int parts =
          Math.max(sc.defaultParallelism(), (int) Math.min(4096, training.getNumPartitions()));
      long all = training.count();
      batches =
          MinibatchExport.export(
              training.filter(model::trainable),
              model,
              settings.batchSize(),
              settings.seed(),
              files,
              batchDir,
              parts);
      if (all > batches.examples()) {
        log.accept(
            (all - batches.examples())
                + " of "
                + all
                + " training examples are not trainable by "
                + model.kind()
                + " (an answer that is not one of its classes) and were left out");
      }
      log.accept(
          String.format(
              Locale.ROOT,
              "exported %d examples as %d minibatches of up to %d in %.1f s",
              batches.examples(),
              batches.paths().size(),
              settings.batchSize(),
              (System.nanoTime() - t0) / 1e9));
    }
    if (batches.examples() == 0) {
      throw new TrainingFailure("no training examples to fit");
    }
    return batches;
  }

  /**
   * Fits one epoch, validates it and checkpoints it (best.zip when it improved, checkpoint.zip,
   * metrics and, last, state.json).
   */
  private EpochMetrics epoch(
      SparkComputationGraph spark,
      VqaModel model,
      MinibatchExport.Batches batches,
      List<Example> validation,
      Path work,
      String fingerprint,
      int epoch,
      Progress p)
      throws IOException {
    List<String> order = new ArrayList<>(batches.paths());
    Collections.shuffle(order, new Random(settings.seed() + epoch));
    int workers = settings.workers() > 0 ? settings.workers() : sc.defaultParallelism();
    JavaRDD<String> paths = sc.parallelize(order, Math.min(order.size(), workers));
    if (!settings.injectTaskFailure().isEmpty()) {
      String marker = settings.injectTaskFailure();
      paths = paths.map(x -> FailOnce.pass(marker, x));
    }
    if (settings.scheduled()) {
      // Set on the driver's network: every averaging round broadcasts its configuration, learning
      // rate included, with the parameters (checked by SparkTrainerTest).
      spark.getNetwork().setLearningRate(settings.learningRateAt(epoch));
    }
    long t0 = System.nanoTime();
    fitWithTimeout(spark, paths, model, epoch);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (settings.collectStats()) {
      RoundStats now = RoundStats.of(spark.getSparkTrainingStats());
      log.accept("epoch " + epoch + " time by step: " + now.since(p.stats).describe());
      p.stats = now;
    }
    p.net = spark.getNetwork();
    long v0 = System.nanoTime();
    double[] val = validate(model, p.net, validation);
    Map<String, Double> probes = model.probes(p.net, validation);
    p.validationSeconds = (System.nanoTime() - v0) / 1e9;
    writeProbes(work, epoch, probes);
    boolean improved = val[1] > p.bestScore || p.bestEpoch == 0;
    if (improved) {
      p.bestScore = val[1];
      p.bestEpoch = epoch;
      p.sinceBest = 0;
      save(p.net, new Path(work, BEST));
    } else {
      p.sinceBest++;
    }
    save(p.net, new Path(work, CHECKPOINT));
    if (settings.keep().equals("average")) {
      // Written before state.json, so a resumed run finds every epoch of its window.
      save(p.net, snapshot(work, epoch));
      files.fs(work).delete(snapshot(work, epoch - settings.averageEpochs()), false);
    }
    EpochMetrics m =
        new EpochMetrics(
            epoch,
            spark.getScore(),
            val[0],
            val[1],
            model.validationMetric(),
            seconds,
            batches.examples() / seconds,
            improved);
    p.history.add(m);
    writeMetrics(work, p.history);
    writeState(work, fingerprint, epoch, p.bestEpoch, p.bestScore, p.sinceBest);
    return m;
  }

  private String progressLine(EpochMetrics m, Progress p, int resumedFrom) {
    double mean =
        p.history.stream().skip(resumedFrom).mapToDouble(EpochMetrics::seconds).average().orElse(0);
    String rate =
        settings.scheduled()
            ? String.format(Locale.ROOT, ", learning rate %.3g", settings.learningRateAt(m.epoch()))
            : "";
    return String.format(
        Locale.ROOT,
        "epoch %d/%d: loss %.4f, validation loss %.4f, validation %s %.4f%s%s, %.0f samples/s, %.1f s"
            + " (validation %.1f s), ETA %s",
        m.epoch(),
        settings.epochs(),
        m.trainLoss(),
        m.validationLoss(),
        m.metric(),
        m.validationScore(),
        m.best() ? " (best)" : "",
        rate,
        m.samplesPerSecond(),
        m.seconds(),
        p.validationSeconds,
        eta(mean * (settings.epochs() - m.epoch())));
  }

  private static void notify(EpochListener listener, EpochMetrics m) throws IOException {
    try {
      listener.epochDone(m);
    } catch (RuntimeException | IOException e) {
      throw e;
    } catch (Exception e) {
      throw new TrainingFailure("epoch listener failed: " + e.getMessage(), e);
    }
  }

  private TrainingMaster<?, ?> trainingMaster(int workers) {
    StorageLevel level = StorageLevel.fromString(settings.storageLevel());
    if (settings.master().equals("shared")) {
      // Aeron refuses to start unless its publication unblock timeout exceeds the client liveness
      // timeout (30 s), and its default (15 s) does not. This sets it for this JVM (the driver, and
      // the executors of local mode); cluster executors need the same -D in their Java options.
      if (System.getProperty(AERON_UNBLOCK) == null) {
        System.setProperty(AERON_UNBLOCK, String.valueOf(TimeUnit.SECONDS.toNanos(60)));
      }
      VoidConfiguration voidConf =
          VoidConfiguration.builder()
              .unicastPort(settings.sharedPort())
              .networkMask(settings.sharedNetworkMask())
              .controllerAddress(settings.sharedController())
              .build();
      return new SharedTrainingMaster.Builder(voidConf, settings.batchSize())
          .batchSizePerWorker(settings.batchSize())
          .workersPerNode(1)
          .updatesThreshold(settings.sharedThreshold())
          .workerPrefetchNumBatches(settings.prefetch())
          .storageLevel(level)
          .rngSeed(settings.seed())
          .rddTrainingApproach(RDDTrainingApproach.Export)
          .build();
    }
    if (settings.collectStats()
        && System.getProperty(TimeSourceProvider.TIMESOURCE_CLASSNAME_PROPERTY) == null) {
      // The statistics time-stamp events by an NTP clock by default, which fails the job where
      // pool.ntp.org cannot be reached; this JVM's clock is enough for durations. Cluster executors
      // need the same -D in their Java options.
      System.setProperty(
          TimeSourceProvider.TIMESOURCE_CLASSNAME_PROPERTY, SystemClockTimeSource.class.getName());
    }
    ParameterAveragingTrainingMaster.Builder averaging =
        new ParameterAveragingTrainingMaster.Builder(workers, settings.batchSize())
            .batchSizePerWorker(settings.batchSize())
            .averagingFrequency(settings.averagingFrequency())
            .workerPrefetchNumBatches(settings.prefetch())
            .storageLevel(level)
            .saveUpdater(true)
            .rngSeed(settings.seed())
            .repartionData(repartition())
            .trainingHooks(new ThreadsHook(threads()))
            .collectTrainingStats(settings.collectStats());
    return settings.keepNetworks() ? new KeptNetworkTrainingMaster(averaging) : averaging.build();
  }

  private Repartition repartition() {
    return switch (settings.repartition()) {
      case "always" -> Repartition.Always;
      case "when-unbalanced" -> Repartition.NumPartitionsWorkersDiffers;
      default -> Repartition.Never;
    };
  }

  private int threads() {
    return settings.threadsFor(sc.getConf());
  }

  /**
   * Runs one epoch's fit, failing it after {@code epoch-timeout}: a hung training master (the
   * shared one has been seen to wait forever) becomes a clear error instead of a job that never
   * ends.
   */
  private void fitWithTimeout(
      SparkComputationGraph spark, JavaRDD<String> paths, VqaModel model, int epoch) {
    ExecutorService pool =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "medvqa-fit-epoch-" + epoch);
              t.setDaemon(true);
              return t;
            });
    String group = "medvqa-epoch-" + epoch;
    try {
      Future<?> f =
          pool.submit(
              () -> {
                sc.setJobGroup(group, "training epoch " + epoch, true);
                spark.fitPaths(paths, model.loader());
                return null;
              });
      try {
        f.get(settings.epochTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        sc.cancelJobGroup(group);
        f.cancel(true);
        throw new TrainingFailure(
            "epoch "
                + epoch
                + " did not finish within medvqa.train.epoch-timeout = "
                + settings.epochTimeout()
                + " with master = "
                + settings.master()
                + (settings.master().equals("shared")
                    ? " (the shared training master is experimental and can hang; use"
                        + " parameter-averaging)"
                    : " (raise the timeout for larger data)"));
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        throw new TrainingFailure("epoch " + epoch + " failed: " + c, c);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        sc.cancelJobGroup(group);
        throw new TrainingFailure("interrupted during epoch " + epoch, e);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Mean validation loss and the model's validation score, in chunks to bound memory. */
  private double[] validate(VqaModel model, ComputationGraph net, List<Example> validation) {
    double loss = 0;
    long lossCount = 0;
    double score = 0;
    for (int i = 0; i < validation.size(); i += VALIDATION_CHUNK) {
      List<Example> chunk =
          validation.subList(i, Math.min(validation.size(), i + VALIDATION_CHUNK));
      List<Example> usable = chunk.stream().filter(model::trainable).toList();
      if (!usable.isEmpty()) {
        loss += net.score(model.batch(usable), false) * usable.size();
        lossCount += usable.size();
      }
      score += model.validationScore(net, chunk) * chunk.size();
    }
    return new double[] {lossCount == 0 ? Double.NaN : loss / lossCount, score / validation.size()};
  }

  private static String eta(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  private void save(ComputationGraph net, Path target) throws IOException {
    Path tmp = new Path(target.getParent(), target.getName() + ".tmp");
    FileSystem fs = files.fs(target);
    try (OutputStream os = fs.create(tmp, true)) {
      CheckpointZip.write(net, os);
    }
    fs.delete(target, false);
    if (!fs.rename(tmp, target)) {
      throw new IOException("could not rename " + tmp + " to " + target);
    }
  }

  /** Reads a network written by {@link #save} (or by the model directory), with its updater. */
  public static ComputationGraph load(HadoopFiles files, Path p) throws IOException {
    try (InputStream in = files.open(p)) {
      return ModelSerializer.restoreComputationGraph(in, true);
    }
  }

  private ComputationGraph load(Path p) throws IOException {
    return load(files, orPending(p));
  }

  /**
   * {@code p}, or its finished temporary copy when a kill fell between deleting {@code p} and
   * renaming the copy into place ({@link #save}, {@link #writeState}): the copy is complete, as its
   * stream was closed before the delete.
   */
  private Path orPending(Path p) throws IOException {
    Path tmp = new Path(p.getParent(), p.getName() + ".tmp");
    return !files.exists(p) && files.exists(tmp) ? tmp : p;
  }

  private ObjectNode readState(Path work) throws IOException {
    Path p = orPending(new Path(work, STATE));
    if (!files.exists(p)) {
      return null;
    }
    return (ObjectNode) JSON.readTree(files.readAll(p));
  }

  private void writeState(
      Path work, String fingerprint, int epoch, int bestEpoch, double bestScore, int sinceBest)
      throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("fingerprint", fingerprint);
    o.put("epoch", epoch);
    o.put("best_epoch", bestEpoch);
    o.put("best_score", bestScore);
    o.put("since_best", sinceBest);
    o.put("seed", settings.seed());
    Path p = new Path(work, STATE);
    Path tmp = new Path(work, STATE + ".tmp");
    files.write(tmp, o.toPrettyString());
    files.fs(p).delete(p, false);
    if (!files.fs(p).rename(tmp, p)) {
      throw new IOException("could not rename " + tmp + " to " + p);
    }
  }

  private List<EpochMetrics> readMetrics(Path work, int upTo) throws IOException {
    Path p = new Path(work, METRICS);
    List<EpochMetrics> out = new ArrayList<>();
    if (!files.exists(p)) {
      return out;
    }
    for (String line : new String(files.readAll(p), StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        EpochMetrics m = EpochMetrics.fromJson(line);
        if (m.epoch() <= upTo) {
          out.add(m); // lines after the last checkpoint belong to an epoch that is redone
        }
      }
    }
    return out;
  }

  /**
   * Appends the model's probes of this epoch to {@link #PROBES} (one JSON object per epoch, earlier
   * epochs' lines kept across a resume) and logs them; nothing for a model without probes.
   */
  private void writeProbes(Path work, int epoch, Map<String, Double> probes) throws IOException {
    if (probes.isEmpty()) {
      return;
    }
    Path file = new Path(work, PROBES);
    StringBuilder b = new StringBuilder();
    if (files.exists(file)) {
      for (String line :
          new String(files.readAll(file), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.contains("\"epoch\":" + epoch + ",")) {
          b.append(line).append('\n');
        }
      }
    }
    com.fasterxml.jackson.databind.node.ObjectNode o =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    o.put("epoch", epoch);
    probes.forEach(o::put);
    b.append(o).append('\n');
    files.write(file, b.toString());
    StringBuilder line = new StringBuilder("probes after epoch " + epoch + ":");
    probes.forEach((k, v) -> line.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
    log.accept(line.toString());
  }

  private void writeMetrics(Path work, List<EpochMetrics> history) throws IOException {
    StringBuilder b = new StringBuilder();
    history.forEach(m -> b.append(m.toJson()).append('\n'));
    files.write(new Path(work, METRICS), b.toString());
  }

  /** The probes file of a work folder or model directory ({@link VqaModel#probes}). */
  public static String probesFileName() {
    return PROBES;
  }

  /** The metrics file of a work folder or model directory. */
  public static String metricsFileName() {
    return METRICS;
  }
}
