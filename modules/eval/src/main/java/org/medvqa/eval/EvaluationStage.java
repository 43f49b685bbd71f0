package org.medvqa.eval;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageFailure;

/**
 * Evaluation as a stage: reads a ground truth and a submission from any Hadoop file system, as
 * strictly as ingest reads a release (UTF-8 text, the first bad line named), validates the
 * submission the way the official checker does, and scores it. Needs no Spark.
 */
public final class EvaluationStage {
  /** How many submission problems a failure lists before it counts the rest. */
  private static final int SHOWN_PROBLEMS = 50;

  private final EvalSettings settings;

  /** The scores: the line printed ({@code accuracy=… bleu=…}, with the breakdown) and the JSON. */
  public record Result(String summary, String json) {}

  public EvaluationStage(EvalSettings settings) {
    this.settings = settings;
  }

  /** Reads, validates and scores; a bad input is a {@link StageFailure} naming the file. */
  public Result apply(HadoopFiles files) throws IOException {
    GroundTruth gt;
    try (InputStream in = open(files, settings.groundTruth())) {
      gt = GroundTruth.read(in, settings.groundTruth(), settings.groundTruthFormat());
    } catch (IllegalArgumentException e) {
      throw new StageFailure("ground truth " + e.getMessage());
    }
    Submission sub;
    try (InputStream in = open(files, settings.submission())) {
      sub = Submission.read(in, settings.submission(), settings.task());
    } catch (EvalInputException e) {
      throw new StageFailure("submission " + e.getMessage());
    }
    requireValid(sub.validate(gt));
    if (settings.task() == Task.VQA) {
      VqaEvaluation e = new VqaEvaluator().evaluate(gt, sub, settings.bleu());
      String line = e.toString();
      if (settings.breakdown()) {
        line += "\n" + ErrorAnalysis.of(gt, e, seenAnswers(files));
      }
      return new Result(line, e.toJson());
    }
    VqgEvaluation e = new VqgEvaluator().evaluate(gt, sub, settings.bleu());
    return new Result(e.toString(), e.toJson());
  }

  /** The answers seen in training, when named; null when not. */
  private SeenAnswers seenAnswers(HadoopFiles files) throws IOException {
    if (settings.seenAnswers().isEmpty()) {
      return null;
    }
    try (InputStream in = open(files, settings.seenAnswers())) {
      return SeenAnswers.read(in);
    }
  }

  private void requireValid(List<Problem> problems) {
    if (problems.isEmpty()) {
      return;
    }
    StringBuilder msg = new StringBuilder("submission " + settings.submission() + " is not valid:");
    int shown = 0;
    for (Problem p : problems) {
      if (shown++ == SHOWN_PROBLEMS) {
        msg.append("\n  … and ").append(problems.size() - SHOWN_PROBLEMS).append(" more");
        break;
      }
      msg.append("\n  line ").append(p.line()).append(": ").append(p.message());
    }
    throw new StageFailure(msg.toString());
  }

  private static InputStream open(HadoopFiles files, String path) throws IOException {
    Path p = files.qualify(path);
    if (!files.exists(p)) {
      throw new StageFailure("file " + p + " does not exist");
    }
    return files.open(p);
  }
}
