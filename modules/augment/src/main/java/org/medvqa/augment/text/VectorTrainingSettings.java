package org.medvqa.augment.text;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.List;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.vectors.train} settings of {@code train-vectors} (see {@code reference.conf},
 * where each default is explained).
 *
 * @param manifest the input manifest (required)
 * @param out the output folder (required)
 * @param splits splits whose questions and answers are the corpus; empty for every split
 * @param vectorSize dimensions
 * @param window context words on each side
 * @param minCount words seen fewer times are left out
 * @param iterations passes over the corpus (MLlib maxIter)
 * @param stepSize initial learning rate
 * @param partitions MLlib numPartitions
 * @param seed MLlib's random seed
 */
public record VectorTrainingSettings(
    String manifest,
    String out,
    List<String> splits,
    int vectorSize,
    int window,
    int minCount,
    int iterations,
    double stepSize,
    int partitions,
    long seed)
    implements Serializable {

  /** Where the settings live in the configuration. */
  public static final String PATH = VectorSettings.PATH + ".train";

  /**
   * Reads and checks {@code medvqa.vectors.train} of a configuration (missing keys come from the
   * reference defaults); the manifest and the output folder are required.
   *
   * @throws ConfigProblem naming the key of a missing or wrong value
   */
  public static VectorTrainingSettings from(Config root) {
    Config resolved = root.withFallback(ConfigFactory.defaultReference()).resolve();
    resolved.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = resolved.getConfig(PATH);
    String manifest = ConfigCheck.requireString(resolved, PATH + ".manifest");
    String out = ConfigCheck.requireString(resolved, PATH + ".out");
    int vectorSize = atLeast(c, "vector-size", 1);
    int window = atLeast(c, "window", 1);
    int minCount = atLeast(c, "min-count", 0);
    int iterations = atLeast(c, "iterations", 1);
    int partitions = atLeast(c, "partitions", 1);
    double stepSize = ConfigCheck.requireRange(resolved, PATH + ".step-size", 1e-9, 10);
    return new VectorTrainingSettings(
        manifest,
        out,
        List.copyOf(c.getStringList("splits")),
        vectorSize,
        window,
        minCount,
        iterations,
        stepSize,
        partitions,
        c.getLong("seed"));
  }

  private static int atLeast(Config c, String key, int min) {
    return SettingsChecks.atLeast(c, PATH, key, min);
  }
}
