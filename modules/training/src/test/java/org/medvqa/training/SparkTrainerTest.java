package org.medvqa.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.TaskThreads;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.ShapeInfoCache;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The trainer on an embedded Spark with two executor threads and task retries ({@code local[2,4]}),
 * on a small synthetic set whose answer is a function of the image feature.
 */
class SparkTrainerTest {
  private static JavaSparkContext sc;
  private static final int DIM = 16;
  private static final int CLASSES = 4;

  @TempDir java.nio.file.Path tmp;

  @BeforeAll
  static void start() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2,4]")
                .setAppName("trainer-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  /** Class k's feature is a noisy copy of a fixed random centre; its answer is "answer k". */
  static List<Example> data(int n, long seed) {
    Random centres = new Random(7);
    float[][] c = new float[CLASSES][DIM];
    for (float[] row : c) {
      for (int j = 0; j < DIM; j++) {
        row[j] = (float) centres.nextGaussian();
      }
    }
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(CLASSES);
      float[] f = new float[DIM];
      for (int j = 0; j < DIM; j++) {
        f[j] = c[k][j] + 0.5f * (float) r.nextGaussian();
      }
      out.add(
          new Example(
              "s" + seed + "-" + i,
              "img" + seed + "-" + i,
              "organ",
              f,
              "what organ is shown?",
              List.of("answer " + k)));
    }
    return out;
  }

  /**
   * {@link #data} with one of two questions each: "which class…" is answered by the image's class,
   * "what kind…" always by {@code kindAnswer}; the categories differ with the question.
   */
  static List<Example> twoQuestions(int n, String kindAnswer) {
    List<Example> out = new ArrayList<>();
    Random r = new Random(9);
    for (Example e : data(n, 10)) {
      boolean side = r.nextBoolean();
      out.add(
          new Example(
              e.sampleId(),
              e.imageId(),
              side ? "side" : "kind",
              e.image(),
              side ? "which class is shown in this image?" : "what kind of image?",
              List.of(side ? e.answer() : kindAnswer)));
    }
    return out;
  }

  /**
   * Trains {@code kind} on local[2] with all but the first 80 examples; its accuracy on those 80
   * and the epochs' metrics.
   */
  private HeldOut heldOutAccuracy(String kind, Config c, List<Example> all) throws Exception {
    return heldOutAccuracy(ModelKinds.fit(kind, c, all), c, all);
  }

  private HeldOut heldOutAccuracy(VqaModel model, Config c, List<Example> all) throws Exception {
    List<Example> val = all.subList(0, 80);
    SparkTrainer.Outcome out =
        trainer(c, new ArrayList<>())
            .train(
                model,
                "fp",
                sc.parallelize(all.subList(80, all.size()), 2),
                val,
                new Path(tmp.resolve("work").toUri()),
                null);
    return new HeldOut(model.validationScore(out.model(), val), out.epochs());
  }

  private record HeldOut(double accuracy, List<EpochMetrics> epochs) {}

  static Config config(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(
            ConfigFactory.parseString(
                "medvqa.train { epochs = 4, batch-size = 16, averaging-frequency = 2,"
                    + " learning-rate = 0.01, epoch-timeout = 5m }"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private SparkTrainer trainer(Config c, List<String> log) {
    return new SparkTrainer(
        sc, TrainingSettings.from(c), new HadoopFiles(new Configuration()), log::add);
  }

  /**
   * Trains a classifier fitted to {@code train} (in 2 partitions) under {@code c}, in the work
   * folder {@code work}, logging to {@code log}.
   */
  private SparkTrainer.Outcome fitClassifier(
      Config c,
      List<Example> train,
      List<Example> val,
      Path work,
      List<String> log,
      SparkTrainer.EpochListener listener)
      throws Exception {
    VqaModel model = ModelKinds.fit("classifier", c, train);
    return trainer(c, log).train(model, "fp", sc.parallelize(train, 2), val, work, listener);
  }

  @Test
  void trainingLowersTheLossAndBeatsChance() throws Exception {
    Config c = config("");
    List<Example> train = data(480, 1);
    List<Example> val = data(120, 2);
    VqaModel model = ModelKinds.fit("classifier", c, train);
    List<String> log = new ArrayList<>();
    SparkTrainer.Outcome out =
        trainer(c, log)
            .train(
                model,
                "fp",
                sc.parallelize(train, 3),
                val,
                new Path(tmp.resolve("work").toUri()),
                null);
    assertEquals(4, out.epochs().size());
    assertEquals(480, out.examples());
    assertEquals(30, out.batches()); // 3 partitions of 160 examples, 10 minibatches each
    double first = out.epochs().get(0).validationLoss();
    double last = out.epochs().get(3).validationLoss();
    assertTrue(last < first, "validation loss " + first + " -> " + last);
    double acc = model.validationScore(out.model(), data(200, 3));
    assertTrue(acc > 0.8, "accuracy on fresh data " + acc + " (chance 0.25)");
    // The fit's seconds and, apart, the validation's (the driver's work between two fits).
    assertTrue(
        log.stream()
            .anyMatch(
                l -> l.matches("epoch 4/4: loss .* [0-9.]+ s \\(validation [0-9.]+ s\\), ETA .*")),
        log.toString());
    assertTrue(Files.exists(tmp.resolve("work/metrics.jsonl")));
    // The classifier's probes: its validation accuracy per category (here one), every epoch.
    String probes =
        log.stream().filter(l -> l.startsWith("probes after epoch 4:")).findFirst().orElseThrow();
    assertTrue(probes.matches("probes after epoch 4: accuracy_organ [0-9.]+"), probes);
    assertEquals(
        out.epochs().get(3).validationScore(),
        Double.parseDouble(probes.substring(probes.lastIndexOf(' ') + 1)),
        1e-4);
    assertEquals(4, Files.readAllLines(tmp.resolve("work").resolve(SparkTrainer.PROBES)).size());
    // Training put the shape-info cache in ND4J's place in this JVM (driver and local executors).
    assertInstanceOf(ShapeInfoCache.class, Nd4j.getShapeInfoProvider());
  }

  @Test
  void collectsTheTimeOfEachStepAndRunsTheWorkersOnTheirShareOfTheCores() throws Exception {
    Config c = config("medvqa.train { epochs = 2, collect-stats = true }");
    List<String> log = new ArrayList<>();
    fitClassifier(
        c, data(320, 21), data(80, 22), new Path(tmp.resolve("work-stats").toUri()), log, null);
    for (int epoch = 1; epoch <= 2; epoch++) {
      String prefix = "epoch " + epoch + " time by step: ";
      String line = log.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
      assertNotNull(line, log.toString());
      // 320 examples in minibatches of 16 on 2 workers averaging every 2: 5 rounds per epoch.
      assertTrue(line.contains("CreateBroadcast "), line);
      assertTrue(line.contains("ProcessBatch "), line);
      assertTrue(line.matches(".*CreateBroadcast [0-9.]+ s \\(5\\).*"), line);
    }
    // ND4J's own default is every core per task; the hook set cores / task slots on the worker.
    assertEquals(TaskThreads.perTask(sc.getConf()), Nd4j.factory().blas().getMaxThreads());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"repartition = sometimes", "learning-rate-schedule = step"})
  void refusesAnUnknownChoiceNamingTheKey(String setting) {
    ConfigProblem e =
        assertThrows(
            ConfigProblem.class, () -> TrainingSettings.from(config("medvqa.train." + setting)));
    String key = "medvqa.train." + setting.substring(0, setting.indexOf(' '));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  /**
   * The "kill": trains {@code model} (with {@code each}, if any, after every epoch) until the
   * process dies right after epoch {@code killAt} is checkpointed.
   */
  private void trainAndKillAfter(
      Config c,
      VqaModel model,
      List<Example> train,
      List<Example> val,
      Path work,
      int killAt,
      SparkTrainer.EpochListener each) {
    RuntimeException killed =
        assertThrows(
            RuntimeException.class,
            () ->
                trainer(c, new ArrayList<>())
                    .train(
                        model,
                        "fp",
                        sc.parallelize(train, 2),
                        val,
                        work,
                        m -> {
                          if (each != null) {
                            each.epochDone(m);
                          }
                          if (m.epoch() == killAt) {
                            throw new RuntimeException("killed");
                          }
                        }));
    assertEquals("killed", killed.getMessage());
  }

  @Test
  void resumesFromTheLastCheckpointAfterAKill() throws Exception {
    Config c = config("medvqa.train.keep = last");
    List<Example> train = data(320, 4);
    List<Example> val = data(80, 5);
    VqaModel model = ModelKinds.fit("classifier", c, train);
    Path work = new Path(tmp.resolve("work").toUri());
    trainAndKillAfter(c, model, train, val, work, 2, null);
    ComputationGraph atKill =
        SparkTrainer.load(
            new HadoopFiles(new Configuration()), new Path(work, SparkTrainer.CHECKPOINT));

    // A kill between deleting the old files and renaming the new ones into place leaves only
    // their finished temporary copies: the resume reads those.
    Files.move(
        tmp.resolve("work").resolve(SparkTrainer.CHECKPOINT),
        tmp.resolve("work").resolve(SparkTrainer.CHECKPOINT + ".tmp"));
    Files.move(
        tmp.resolve("work").resolve(SparkTrainer.STATE),
        tmp.resolve("work").resolve(SparkTrainer.STATE + ".tmp"));

    List<String> log = new ArrayList<>();
    SparkTrainer.Outcome out =
        trainer(c, log).train(model, "fp", sc.parallelize(train, 2), val, work, null);
    assertEquals(2, out.resumedFrom());
    assertEquals(List.of(1, 2, 3, 4), out.epochs().stream().map(EpochMetrics::epoch).toList());
    assertTrue(log.get(0).startsWith("resuming after epoch 2 of 4"), log.get(0));
    assertTrue(log.stream().anyMatch(l -> l.startsWith("reusing the export")), log.toString());
    // The resumed run started from the checkpoint's parameters and updater, then moved on.
    assertEquals(
        atKill.getUpdater().getStateViewArray().length(),
        out.model().getUpdater().getStateViewArray().length());
    assertNotEquals(atKill.params(), out.model().params());
    assertEquals(out.epochs().size(), 4);

    // Another run's work folder is refused, not mixed in.
    TrainingFailure other =
        assertThrows(
            TrainingFailure.class,
            () -> trainer(c, log).train(model, "other", sc.parallelize(train, 2), val, work, null));
    assertTrue(other.getMessage().contains("holds another run"), other.getMessage());
  }

  @Test
  void survivesAnInjectedTaskFailure() throws Exception {
    java.nio.file.Path marker = tmp.resolve("failed-once");
    Config c = config("medvqa.train { epochs = 2, inject-task-failure = \"" + marker + "\" }");
    List<Example> train = data(256, 6);
    VqaModel model = ModelKinds.fit("classifier", c, train);
    SparkTrainer.Outcome out =
        trainer(c, new ArrayList<>())
            .train(
                model,
                "fp",
                sc.parallelize(train, 2),
                data(64, 7),
                new Path(tmp.resolve("work").toUri()),
                null);
    assertTrue(Files.exists(marker), "the failure was injected");
    assertEquals(2, out.epochs().size());
    assertTrue(out.epochs().get(1).validationScore() > 0.5);
  }

  @Test
  void refusesASingleAnswerTrainingSet() {
    List<Example> one = new ArrayList<>();
    for (Example e : data(10, 8)) {
      one.add(
          new Example(
              e.sampleId(), e.imageId(), e.category(), e.image(), e.question(), List.of("yes")));
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ModelKinds.fit("classifier", config(""), one));
    assertEquals(
        "a classifier needs at least 2 distinct training answers, got 1 ('yes')", e.getMessage());
  }

  /**
   * The question-aware model through the same Spark path: its left-padded question input next to
   * the image input must train as it does locally (the answer depends on the question).
   */
  @Test
  void questionAwareModelLearnsOnSpark() throws Exception {
    Config c =
        config(
            "medvqa.train { epochs = 6, learning-rate = 0.01 }, medvqa.models.qaware {"
                + " embedding = 8, lstm = 16, image-projection = 16, hidden = 16, dropout = 0 }");
    HeldOut r = heldOutAccuracy("qaware", c, twoQuestions(400, "scan"));
    assertTrue(r.accuracy() > 0.9, "question-aware accuracy " + r);
  }

  /**
   * Our hybrid kind through the same path, with two ensemble members in one graph: the members
   * train on Spark (the kind question is answered by the classifier), and the "side" questions,
   * named as nearest-neighbour category, are answered from the training images in its memory.
   */
  @Test
  void hybridEnsembleLearnsOnSparkAndAnswersFromItsMemory() throws Exception {
    Config c =
        config(
            "medvqa.train { epochs = 6, learning-rate = 0.01 }, medvqa.models.hybrid {"
                + " embedding = 8, lstm = 16, image-projection = 16, hidden = 16, dropout = 0,"
                + " members = 2, knn { categories = [side], k = 3 } }");
    List<Example> all = twoQuestions(400, "scan");
    VqaModel model = ModelKinds.fit("hybrid", c, all);
    ((org.medvqa.models.MemoryModel) model).remember(all.subList(80, all.size()));
    assertEquals(
        2, model.newGraph(1, new org.nd4j.linalg.learning.config.Adam(1e-3)).getNumOutputArrays());
    HeldOut r = heldOutAccuracy(model, c, all);
    assertTrue(r.accuracy() > 0.9, "hybrid accuracy " + r);
  }

  /**
   * The VAE that answers, through the same Spark path (its eps input redrawn by its loader, no
   * masks): the answer words depend on the image for one question and not for the other, so only a
   * model that reads both the image and the question gets above about 0.63.
   */
  @Test
  void vaeLearnsAnswersFromImageAndQuestionOnSpark() throws Exception {
    Config c =
        config(
            "medvqa.train { epochs = 8, learning-rate = 0.01 }, medvqa.models.vae-vqa {"
                + " embedding = 8, hidden = 32, z = 8, output-length = 4, decoding = greedy }");
    HeldOut r = heldOutAccuracy("vae-vqa", c, twoQuestions(480, "an mri scan"));
    assertTrue(r.accuracy() > 0.9, "VAE accuracy " + r);
  }

  /**
   * The experimental gradient-sharing master: it either trains or fails with the timeout's message
   * naming the setting; it never hangs the job.
   */
  @Test
  void sharedMasterTrainsOrFailsClearly() throws Exception {
    Config c = config("medvqa.train { master = shared, epochs = 2, epoch-timeout = 60s }");
    List<Example> train = data(256, 11);
    VqaModel model = ModelKinds.fit("classifier", c, train);
    long t0 = System.nanoTime();
    try {
      SparkTrainer.Outcome out =
          trainer(c, new ArrayList<>())
              .train(
                  model,
                  "fp",
                  sc.parallelize(train, 2),
                  data(64, 12),
                  new Path(tmp.resolve("work").toUri()),
                  null);
      assertEquals(2, out.epochs().size());
    } catch (TrainingFailure e) {
      assertTrue(
          e.getMessage().contains("did not finish within medvqa.train.epoch-timeout"),
          e.getMessage());
    }
    assertTrue((System.nanoTime() - t0) / 1e9 < 150, "bounded by the epoch timeout");
  }

  /** With early stopping, a run whose validation score stops improving ends before its epochs. */
  @Test
  void stopsEarlyWhenValidationStopsImproving() throws Exception {
    // A learning rate too small to change any prediction: epoch 2 cannot beat epoch 1.
    Config c =
        config(
            "medvqa.train { epochs = 5, optimizer = sgd, learning-rate = 1.0e-12,"
                + " early-stopping-patience = 1 }");
    List<String> log = new ArrayList<>();
    SparkTrainer.Outcome out =
        fitClassifier(
            c, data(128, 13), data(64, 14), new Path(tmp.resolve("work").toUri()), log, null);
    assertTrue(out.stoppedEarly());
    assertEquals(2, out.epochs().size());
    assertEquals(1, out.keptEpoch());
    assertTrue(log.stream().anyMatch(l -> l.startsWith("early stop:")), log.toString());
  }

  @Test
  void cosineScheduleFollowsItsCurveAndReachesTheWorkers() throws Exception {
    TrainingSettings five =
        TrainingSettings.from(
            config("medvqa.train { epochs = 5, learning-rate-schedule = cosine }"));
    assertEquals(0.01, five.learningRateAt(1), 1e-12);
    assertEquals(0.01 * (0.05 + 0.95 * 0.5), five.learningRateAt(3), 1e-12);
    assertEquals(0.01 * 0.05, five.learningRateAt(5), 1e-12);
    for (int e = 2; e <= 5; e++) {
      assertTrue(five.learningRateAt(e) < five.learningRateAt(e - 1), "epoch " + e);
    }
    assertEquals(0.01, TrainingSettings.from(config("")).learningRateAt(4), 0);

    // Epoch 3 of 3 runs at a learning rate of 0: if the driver's rate did not reach the workers,
    // they would go on at their own and epoch 3 would move the parameters.
    Config c =
        config(
            "medvqa.train { epochs = 3, keep = last, learning-rate-schedule = cosine,"
                + " final-learning-rate-fraction = 0 }");
    Path work = new Path(tmp.resolve("work-schedule").toUri());
    HadoopFiles files = new HadoopFiles(new Configuration());
    List<org.nd4j.linalg.api.ndarray.INDArray> params = new ArrayList<>();
    List<String> log = new ArrayList<>();
    fitClassifier(
        c,
        data(320, 31),
        data(80, 32),
        work,
        log,
        m -> params.add(SparkTrainer.load(files, new Path(work, "checkpoint.zip")).params()));
    assertEquals(3, params.size());
    assertFalse(params.get(0).equals(params.get(1)), "epoch 2 (rate 0.005) must train");
    assertTrue(params.get(1).equals(params.get(2)), "epoch 3 ran at rate 0 and moved parameters");
    assertTrue(
        log.stream().anyMatch(l -> l.startsWith("epoch 2/3:") && l.contains("learning rate 0.005")),
        log.toString());
  }

  /**
   * {@code keep = average}: the kept network is the mean of the last epochs' networks, which the
   * work folder keeps (and only those), also across a kill and resume.
   */
  @Test
  void keepsTheMeanOfTheLastEpochsAcrossAResume() throws Exception {
    Config c = config("medvqa.train { keep = average, average-epochs = 2 }");
    List<Example> train = data(320, 41);
    List<Example> val = data(80, 42);
    VqaModel model = ModelKinds.fit("classifier", c, train);
    Path work = new Path(tmp.resolve("work-average").toUri());
    HadoopFiles files = new HadoopFiles(new Configuration());
    List<org.nd4j.linalg.api.ndarray.INDArray> params = new ArrayList<>();
    SparkTrainer.EpochListener keepParams =
        m -> params.add(SparkTrainer.load(files, new Path(work, "checkpoint.zip")).params());
    trainAndKillAfter(c, model, train, val, work, 3, keepParams);
    List<String> log = new ArrayList<>();
    SparkTrainer.Outcome out =
        trainer(c, log).train(model, "fp", sc.parallelize(train, 2), val, work, keepParams);
    assertEquals(3, out.resumedFrom());
    assertEquals(4, params.size());
    assertEquals(List.of(3, 4), List.of(out.averaged().from(), out.averaged().to()));
    assertEquals(4, out.keptEpoch());
    // Epoch 3's network comes from before the kill, epoch 4's from the resumed run.
    org.nd4j.linalg.api.ndarray.INDArray mean = params.get(2).add(params.get(3)).divi(2);
    assertEquals(mean, out.model().params());
    assertNotEquals(params.get(3), out.model().params());
    for (int e = 1; e <= 4; e++) {
      assertEquals(
          e >= 3,
          Files.exists(tmp.resolve("work-average").resolve("epoch-" + e + ".zip")),
          "epoch " + e + "'s network kept only while in the window");
    }
    assertEquals(model.validationScore(out.model(), val), out.averaged().validationScore(), 1e-9);
    assertTrue(out.averaged().validationScore() > 0.8, out.averaged().toString());
    assertTrue(
        log.stream().anyMatch(l -> l.startsWith("kept the mean of epochs 3-4: validation loss")),
        log.toString());
  }

  @Test
  void refusesToAverageMoreEpochsThanItRuns() {
    ConfigProblem e =
        assertThrows(
            ConfigProblem.class,
            () ->
                TrainingSettings.from(
                    config("medvqa.train { keep = average, average-epochs = 5 }")));
    assertTrue(e.getMessage().contains("medvqa.train.average-epochs"), e.getMessage());
    assertTrue(e.getMessage().contains("4 epochs"), e.getMessage());
    // The window only matters when averaging.
    assertEquals(
        5, TrainingSettings.from(config("medvqa.train.average-epochs = 5")).averageEpochs());
  }
}
