package org.medvqa.augment.text;

import com.typesafe.config.Config;
import org.medvqa.core.config.ConfigProblem;

/** Checks the settings records of this package share, each naming the key of a wrong value. */
final class SettingsChecks {
  private SettingsChecks() {}

  /**
   * The integer {@code key} of {@code c} (the settings under {@code path}), refused below {@code
   * min}.
   */
  static int atLeast(Config c, String path, String key, int min) {
    int v = c.getInt(key);
    if (v < min) {
      throw new ConfigProblem(
          "config key '" + path + "." + key + "' is " + v + ", expected at least " + min);
    }
    return v;
  }
}
