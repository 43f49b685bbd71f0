package org.medvqa.eval;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.function.Function;

/**
 * The {@code medvqa.eval} settings (see {@code reference.conf}).
 *
 * @param task which task's submission is scored
 * @param bleu the NLTK BLEU variant
 * @param groundTruthFormat the ground-truth layout, or {@link GroundTruthFormat#AUTO}
 * @param groundTruth where the ground truth is (required)
 * @param submission where the submission is (required)
 * @param output where to write the JSON result; empty for nowhere
 */
public record EvalSettings(
    Task task,
    BleuMode bleu,
    GroundTruthFormat groundTruthFormat,
    String groundTruth,
    String submission,
    String output) {

  /** The path under which the settings live. */
  public static final String PATH = "medvqa.eval";

  /** Reads {@code medvqa.eval} from a resolved config; the two input paths must be set. */
  public static EvalSettings from(Config root) {
    Config c = root.getConfig(PATH);
    EvalSettings settings =
        new EvalSettings(
            parse(c, "task", Task::fromName),
            parse(c, "bleu", BleuMode::fromName),
            parse(c, "ground-truth-format", GroundTruthFormat::fromName),
            c.getString("ground-truth").trim(),
            c.getString("submission").trim(),
            c.getString("output").trim());
    require(settings.groundTruth(), "ground-truth");
    require(settings.submission(), "submission");
    return settings;
  }

  private static <T> T parse(Config c, String key, Function<String, T> parser) {
    try {
      return parser.apply(c.getString(key));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), PATH + "." + key, e.getMessage(), e);
    }
  }

  private static void require(String value, String key) {
    if (value.isEmpty()) {
      throw new ConfigException.BadValue(PATH + "." + key, "is required (a path or URI)");
    }
  }
}
