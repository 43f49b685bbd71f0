package org.medvqa.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks a resolved configuration against the reference (the defaults every module ships in its
 * {@code reference.conf}). Typesafe Config checks types but accepts any extra key, so a typo such
 * as {@code medvqa.train.epoch = 5} would be ignored and the default silently used; here an unknown
 * key under {@code medvqa} is refused with its name.
 */
public final class ConfigCheck {
  /**
   * Objects whose keys are free (Spark and Hadoop settings passed through). Their reference value
   * is an empty object.
   */
  public static final List<String> OPEN_OBJECTS =
      List.of("medvqa.spark.conf", "medvqa.hadoop.conf");

  private ConfigCheck() {}

  /**
   * Refuses unknown keys and wrong types under {@code root}.
   *
   * @throws ConfigProblem naming every offending key
   */
  public static void validate(Config resolved, Config reference, String root) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> unknown = new TreeSet<>();
    if (resolved.hasPath(root)) {
      for (Map.Entry<String, ?> e : resolved.getConfig(root).entrySet()) {
        String key = root + "." + e.getKey();
        if (isOpen(key)) {
          continue;
        }
        if (!reference.hasPathOrNull(key)) {
          unknown.add(key);
        }
      }
    }
    for (String key : unknown) {
      problems.add("unknown config key '" + key + "'" + hint(key, reference));
    }
    try {
      resolved.checkValid(reference, root);
    } catch (ConfigException.ValidationFailed e) {
      for (ConfigException.ValidationProblem p : e.problems()) {
        if (!unknown.contains(p.path())) {
          problems.add("config key '" + p.path() + "': " + p.problem());
        }
      }
    }
    // checkValid lets a string stand for any type (it might convert); read every leaf with its
    // reference type so that "epochs = many" is refused here rather than deep inside a job.
    for (Map.Entry<String, ConfigValue> e : reference.getConfig(root).entrySet()) {
      String key = root + "." + e.getKey();
      if (isOpen(key) || !resolved.hasPath(key)) {
        continue;
      }
      try {
        switch (e.getValue().valueType()) {
          case NUMBER -> resolved.getNumber(key);
          case BOOLEAN -> resolved.getBoolean(key);
          case LIST -> resolved.getList(key);
          case OBJECT -> resolved.getObject(key);
          default -> resolved.getString(key);
        }
      } catch (ConfigException.WrongType | ConfigException.BadValue ex) {
        problems.add(
            "config key '"
                + key
                + "' must be a "
                + e.getValue().valueType().name().toLowerCase(java.util.Locale.ROOT)
                + ", got "
                + resolved.getValue(key).render(ConfigRenderOptions.concise()));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigProblem(String.join("\n", problems));
    }
  }

  /**
   * Refuses a key given on the command line ({@code --set}) outside {@code root}: {@link #validate}
   * checks the keys under the root only, so {@code medvaq.eval.output=…} would be set, read by
   * nothing, and the job would run with the default. Suggests the nearest known key.
   *
   * @throws ConfigProblem naming the key
   */
  public static void requireUnder(String key, Config reference, String root) {
    List<String> path;
    try {
      path = ConfigUtil.splitPath(key);
    } catch (ConfigException e) {
      throw new ConfigProblem("--set " + key + ": not a config key: " + e.getMessage());
    }
    if (path.get(0).equals(root)) {
      return;
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    List<String> known = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : reference.getConfig(root).entrySet()) {
      known.add(root + "." + e.getKey());
    }
    // The key as it would be under the root, then any known key (leaves and their parents).
    String renamed = root + key.substring(Math.min(key.length(), path.get(0).length()));
    for (String k : known) {
      for (String candidate = k;
          candidate.contains(".");
          candidate = candidate.substring(0, candidate.lastIndexOf('.'))) {
        int d = candidate.equals(renamed) ? 0 : distance(candidate, key);
        if (d < bestDistance) {
          bestDistance = d;
          best = candidate;
        }
      }
    }
    String hint =
        best != null && bestDistance <= Math.max(3, key.length() / 4)
            ? " (did you mean '" + best + "'?)"
            : "";
    throw new ConfigProblem(
        "unknown config key '" + key + "': every setting is under '" + root + "'" + hint);
  }

  /** Reads a required string: refused with the key's name when missing or blank. */
  public static String requireString(Config config, String key) {
    if (!config.hasPath(key) || config.getString(key).isBlank()) {
      throw new ConfigProblem(
          "missing required config key '"
              + key
              + "' (set it in the config file or with --set "
              + key
              + "=...)");
    }
    return config.getString(key);
  }

  /** Reads a number and checks its range, naming the key when it is out of range. */
  public static double requireRange(Config config, String key, double min, double max) {
    double v = config.getDouble(key);
    if (v < min || v > max || Double.isNaN(v)) {
      throw new ConfigProblem(
          "config key '" + key + "' is " + v + ", expected a value in [" + min + ", " + max + "]");
    }
    return v;
  }

  /** Reads one of a fixed set of words, naming the key and the valid words otherwise. */
  public static String requireOneOf(Config config, String key, List<String> allowed) {
    if (config.getValue(key).valueType() != ConfigValueType.STRING) {
      throw new ConfigProblem("config key '" + key + "' must be one of " + allowed);
    }
    String v = config.getString(key);
    if (!allowed.contains(v)) {
      throw new ConfigProblem(
          "config key '" + key + "' is '" + v + "', expected one of " + allowed);
    }
    return v;
  }

  private static boolean isOpen(String key) {
    for (String o : OPEN_OBJECTS) {
      if (key.startsWith(o + ".")) {
        return true;
      }
    }
    return false;
  }

  /** "did you mean" for a key that differs from a known one in its last part only. */
  private static String hint(String key, Config reference) {
    int dot = key.lastIndexOf('.');
    String parent = key.substring(0, dot);
    if (!reference.hasPath(parent)) {
      return "";
    }
    String last = key.substring(dot + 1);
    String best = null;
    int bestDistance = 3;
    for (String k : reference.getConfig(parent).root().keySet()) {
      int d = distance(k, last);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best == null ? "" : " (did you mean '" + parent + "." + best + "'?)";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
