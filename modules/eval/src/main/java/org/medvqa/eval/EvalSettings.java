package org.medvqa.eval;

import com.typesafe.config.Config;
import java.util.List;
import java.util.function.Function;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.eval} settings (see {@code reference.conf}), parsed and checked here only.
 *
 * @param task which task's submission is scored
 * @param bleu the NLTK BLEU variant
 * @param groundTruthFormat the ground-truth layout, or {@link GroundTruthFormat#AUTO}
 * @param groundTruth where the ground truth is (required)
 * @param submission where the submission is (required)
 * @param output where to write the JSON result; empty for nowhere
 * @param breakdown whether to add the error analysis per category and question form (VQA)
 * @param seenAnswers the answers seen in training ({@link SeenAnswers}) the breakdown counts the
 *     references among; empty for none
 */
public record EvalSettings(
    Task task,
    BleuMode bleu,
    GroundTruthFormat groundTruthFormat,
    String groundTruth,
    String submission,
    String output,
    boolean breakdown,
    String seenAnswers) {

  /** The path under which the settings live. */
  public static final String PATH = "medvqa.eval";

  /**
   * Reads {@code medvqa.eval} from a resolved config; the two input paths must be set. Problems are
   * {@link ConfigProblem}s naming the key (exit 2 from a job).
   */
  public static EvalSettings from(Config root) {
    String task = ConfigCheck.requireOneOf(root, PATH + ".task", List.of("vqa", "vqg"));
    String groundTruth = ConfigCheck.requireString(root, PATH + ".ground-truth").trim();
    String submission = ConfigCheck.requireString(root, PATH + ".submission").trim();
    Config c = root.getConfig(PATH);
    Task t = parse(c, "task", Task::fromName);
    GroundTruthFormat format = parse(c, "ground-truth-format", GroundTruthFormat::fromName);
    return new EvalSettings(
        t,
        parse(c, "bleu", BleuMode::fromName),
        // A VQG ground truth in AUTO is read as the VQG layout ("image|q1|q2|…").
        "vqg".equals(task) && format == GroundTruthFormat.AUTO ? GroundTruthFormat.VQG : format,
        groundTruth,
        submission,
        c.getString("output").trim(),
        c.getBoolean("breakdown"),
        c.getString("seen-answers").trim());
  }

  private static <T> T parse(Config c, String key, Function<String, T> parser) {
    try {
      return parser.apply(c.getString(key));
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem(PATH + ": " + e.getMessage());
    }
  }
}
