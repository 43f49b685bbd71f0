package org.medvqa.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The command line's settings: {@code --set} values over {@code --config FILE} over every module's
 * {@code reference.conf}, checked for unknown keys and wrong types. Only jobs load a config;
 * library code receives it.
 */
final class SettingsLoader {
  private SettingsLoader() {}

  /**
   * The resolved configuration: {@code --set} values over the file over the reference defaults,
   * checked for unknown keys and wrong types.
   */
  static Config load(String file, String[] sets) {
    Config c = ConfigFactory.empty();
    Config reference = ConfigFactory.defaultReference();
    if (sets != null) {
      for (String s : sets) {
        int eq = s.indexOf('=');
        if (eq <= 0) {
          throw new ConfigProblem("--set needs key=value, got '" + s + "'");
        }
        String key = s.substring(0, eq).trim();
        ConfigCheck.requireUnder(key, reference, "medvqa");
        c = c.withValue(key, value(key, s.substring(eq + 1)));
      }
    }
    if (file != null) {
      File f = new File(file);
      if (!f.isFile()) {
        throw new ConfigProblem("config file '" + file + "' does not exist");
      }
      c = c.withFallback(ConfigFactory.parseFile(f));
    }
    Config resolved = c.withFallback(reference).resolve();
    ConfigCheck.validate(resolved, reference, "medvqa");
    return resolved;
  }

  /**
   * A --set value: numbers and booleans as such, {@code [..]} and <code>{..}</code> as HOCON, and
   * anything else as a plain string, so that {@code s3a://bucket/x} is not cut at "//" (a HOCON
   * comment).
   */
  static ConfigValue value(String key, String raw) {
    String v = raw.trim();
    if (v.startsWith("[") || v.startsWith("{")) {
      try {
        return ConfigFactory.parseString("v = " + v).getValue("v");
      } catch (ConfigException e) {
        throw new ConfigProblem("--set " + key + ": cannot parse '" + v + "': " + e.getMessage());
      }
    }
    if (v.equals("true") || v.equals("false")) {
      return ConfigValueFactory.fromAnyRef(Boolean.parseBoolean(v));
    }
    if (v.matches("-?[0-9]+")) {
      try {
        return ConfigValueFactory.fromAnyRef(Long.parseLong(v));
      } catch (NumberFormatException e) {
        return ConfigValueFactory.fromAnyRef(v);
      }
    }
    if (v.matches("-?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|-?[0-9]+[eE][-+]?[0-9]+")) {
      return ConfigValueFactory.fromAnyRef(Double.parseDouble(v));
    }
    return ConfigValueFactory.fromAnyRef(raw);
  }
}
