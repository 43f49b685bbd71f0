package org.medvqa.training;

import com.typesafe.config.Config;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.stage.TaskThreads;
import org.medvqa.models.FusedAdam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The {@code medvqa.train} block, checked: every value is validated here so that a bad one fails
 * before Spark starts, naming its key.
 */
public record TrainingSettings(
    String master,
    int workers,
    int batchSize,
    int averagingFrequency,
    int prefetch,
    String storageLevel,
    int epochs,
    String optimizer,
    double learningRate,
    String learningRateSchedule,
    double finalLearningRateFraction,
    long seed,
    String keep,
    int averageEpochs,
    int patience,
    Duration epochTimeout,
    String validationSplit,
    double validationFraction,
    int validationMax,
    int sharedPort,
    String sharedNetworkMask,
    String sharedController,
    double sharedThreshold,
    String injectTaskFailure,
    int threads,
    String repartition,
    boolean collectStats,
    boolean keepNetworks)
    implements Serializable {

  public static final String PATH = "medvqa.train";
  public static final List<String> MASTERS = List.of("parameter-averaging", "shared");

  /** How the learning rate moves from epoch to epoch, by config name. */
  public static final List<String> SCHEDULES = List.of("constant", "cosine");

  /**
   * Which network training keeps: the epoch with the best validation score, the last epoch, or the
   * mean of the parameters of the last {@code average-epochs} epochs.
   */
  public static final List<String> KEEPS = List.of("best", "last", "average");

  /** dl4j-spark's {@code Repartition} choices, by their config names. */
  public static final List<String> REPARTITIONS = List.of("never", "always", "when-unbalanced");

  /**
   * Keys that decide how fast training runs, not what it computes (the resume fingerprint leaves
   * them out, so changing one continues a run instead of refusing it).
   */
  public static final List<String> SPEED_KEYS =
      List.of("threads", "repartition", "collect-stats", "keep-networks");

  public static TrainingSettings from(Config config) {
    String p = PATH + ".";
    String level = config.getString(p + "storage-level");
    try {
      org.apache.spark.storage.StorageLevel.fromString(level);
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem(
          "config key '" + p + "storage-level' is '" + level + "', not a Spark StorageLevel name");
    }
    String validationSplit = config.getString(p + "validation.split");
    double fraction = ConfigCheck.requireRange(config, p + "validation.fraction", 0, 0.9);
    if (validationSplit.isEmpty() && fraction == 0) {
      throw new ConfigProblem(
          "no validation data: set "
              + p
              + "validation.split to a split name or "
              + p
              + "validation.fraction above 0");
    }
    int epochs = (int) ConfigCheck.requireRange(config, p + "epochs", 1, 100_000);
    String keep = ConfigCheck.requireOneOf(config, p + "keep", KEEPS);
    int averageEpochs = (int) ConfigCheck.requireRange(config, p + "average-epochs", 1, 100_000);
    if (keep.equals("average") && averageEpochs > epochs) {
      throw new ConfigProblem(
          "config key '"
              + p
              + "average-epochs' is "
              + averageEpochs
              + ", more than the "
              + epochs
              + " epochs of "
              + p
              + "epochs: keep = average has fewer epochs to average");
    }
    return new TrainingSettings(
        ConfigCheck.requireOneOf(config, p + "master", MASTERS),
        (int) ConfigCheck.requireRange(config, p + "workers", 0, 100_000),
        (int) ConfigCheck.requireRange(config, p + "batch-size", 1, 1_000_000),
        (int) ConfigCheck.requireRange(config, p + "averaging-frequency", 1, 1_000_000),
        (int) ConfigCheck.requireRange(config, p + "prefetch", 0, 1000),
        level,
        epochs,
        ConfigCheck.requireOneOf(config, p + "optimizer", List.of("adam", "sgd", "nesterovs")),
        ConfigCheck.requireRange(config, p + "learning-rate", 1e-12, 10),
        ConfigCheck.requireOneOf(config, p + "learning-rate-schedule", SCHEDULES),
        ConfigCheck.requireRange(config, p + "final-learning-rate-fraction", 0, 1),
        config.getLong(p + "seed"),
        keep,
        averageEpochs,
        (int) ConfigCheck.requireRange(config, p + "early-stopping-patience", 0, 100_000),
        config.getDuration(p + "epoch-timeout"),
        validationSplit,
        fraction,
        (int) ConfigCheck.requireRange(config, p + "validation.max-examples", 1, 1e9),
        (int) ConfigCheck.requireRange(config, p + "shared.port", 1, 65535),
        config.getString(p + "shared.network-mask"),
        config.getString(p + "shared.controller-address"),
        ConfigCheck.requireRange(config, p + "shared.threshold", 1e-12, 1),
        config.getString(p + "inject-task-failure"),
        (int) ConfigCheck.requireRange(config, p + "threads", 0, 4096),
        ConfigCheck.requireOneOf(config, p + "repartition", REPARTITIONS),
        config.getBoolean(p + "collect-stats"),
        config.getBoolean(p + "keep-networks"));
  }

  /**
   * Native threads per training task: {@code threads}, or when it is 0 the cores per task running
   * at once (in local mode at most {@code workers} tasks run, so one worker gets every core).
   */
  public int threadsFor(org.apache.spark.SparkConf conf) {
    return threads > 0 ? threads : TaskThreads.perTask(conf, workers);
  }

  /** Whether the learning rate changes between epochs ({@link #learningRateAt}). */
  public boolean scheduled() {
    return !learningRateSchedule.equals("constant");
  }

  /**
   * The learning rate of epoch {@code epoch} (1-based): {@code learningRate} throughout, or for
   * {@code cosine} half a cosine from {@code learningRate} at the first epoch down to {@code
   * learningRate × finalLearningRateFraction} at the last. A function of the epoch alone, so a
   * resumed run continues on the same curve.
   */
  public double learningRateAt(int epoch) {
    if (!scheduled() || epochs == 1) {
      return learningRate;
    }
    double progress = Math.min(1, Math.max(0, (epoch - 1) / (double) (epochs - 1)));
    double f = finalLearningRateFraction;
    return learningRate * (f + (1 - f) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }

  /** The optimiser with its learning rate, set on every layer of a new graph. */
  public IUpdater updater() {
    return switch (optimizer) {
      case "adam" -> new FusedAdam(learningRate); // DL4J's Adam, its update vectorised
      case "sgd" -> new Sgd(learningRate);
      case "nesterovs" -> new Nesterovs(learningRate, 0.9);
      default -> throw new IllegalStateException(optimizer);
    };
  }
}
