package org.medvqa.augment.text;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.vectors} settings that say which embedding space to read (see {@code
 * reference.conf}).
 *
 * @param path the vectors file, or a train-vectors output folder; "" when not set
 * @param format the file format
 * @param maxWords keep only the first N words of the file; 0 for all
 */
public record VectorSettings(String path, VectorFormat format, int maxWords)
    implements Serializable {

  /** Where the settings live in the configuration. */
  public static final String PATH = "medvqa.vectors";

  /**
   * Reads and checks {@code medvqa.vectors} of a resolved configuration.
   *
   * @throws ConfigProblem naming the key of any wrong value
   */
  public static VectorSettings from(Config root) {
    Config resolved = root.withFallback(ConfigFactory.defaultReference()).resolve();
    resolved.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = resolved.getConfig(PATH);
    VectorFormat format;
    try {
      format = VectorFormat.fromName(c.getString("format"));
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem("config key '" + PATH + ".format' is " + e.getMessage());
    }
    int maxWords = c.getInt("max-words");
    if (maxWords < 0) {
      throw new ConfigProblem(
          "config key '" + PATH + ".max-words' is " + maxWords + ", expected 0 (all) or more");
    }
    return new VectorSettings(c.getString("path").trim(), format, maxWords);
  }
}
