package org.medvqa.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.eval.BleuMode;
import org.medvqa.eval.ErrorAnalysis;
import org.medvqa.eval.EvalInputException;
import org.medvqa.eval.GroundTruth;
import org.medvqa.eval.GroundTruthFormat;
import org.medvqa.eval.Problem;
import org.medvqa.eval.Submission;
import org.medvqa.eval.Task;
import org.medvqa.eval.VqaEvaluation;
import org.medvqa.eval.VqaEvaluator;
import org.medvqa.eval.VqgEvaluation;
import org.medvqa.eval.VqgEvaluator;

/**
 * {@code evaluate}: the official VQA-Med scores of a submission against a ground truth. Prints
 * {@code accuracy=0.xxxx bleu=0.xxxx} (VQG: {@code bleu=0.xxxx}) and, with {@code
 * medvqa.eval.output}, writes them as JSON. Needs no Spark.
 */
public final class EvaluateJob implements Job {
  @Override
  public String name() {
    return "evaluate";
  }

  @Override
  public String summary() {
    return "score a submission file against a ground truth (official accuracy and BLEU)";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    String task = ConfigCheck.requireOneOf(ctx.config(), "medvqa.eval.task", List.of("vqa", "vqg"));
    String gtPath = ConfigCheck.requireString(ctx.config(), "medvqa.eval.ground-truth");
    String subPath = ConfigCheck.requireString(ctx.config(), "medvqa.eval.submission");
    String output = ctx.config().getString("medvqa.eval.output");
    BleuMode mode;
    GroundTruthFormat format;
    try {
      mode = BleuMode.fromName(ctx.config().getString("medvqa.eval.bleu"));
      format =
          GroundTruthFormat.fromName(ctx.config().getString("medvqa.eval.ground-truth-format"));
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem("medvqa.eval: " + e.getMessage());
    }
    HadoopFiles files = ctx.files();
    // Both inputs as strictly as ingest reads a release: UTF-8 text, the first bad line named.
    GroundTruth gt;
    try (InputStream in = open(files, gtPath)) {
      gt =
          GroundTruth.read(
              in,
              gtPath,
              "vqg".equals(task) && format == GroundTruthFormat.AUTO
                  ? GroundTruthFormat.VQG
                  : format);
    } catch (IllegalArgumentException e) {
      throw new StageFailure("ground truth " + e.getMessage());
    }
    Task t = "vqg".equals(task) ? Task.VQG : Task.VQA;
    Submission sub;
    try (InputStream in = open(files, subPath)) {
      sub = Submission.read(in, subPath, t);
    } catch (EvalInputException e) {
      throw new StageFailure("submission " + e.getMessage());
    }
    List<Problem> problems = sub.validate(gt);
    if (!problems.isEmpty()) {
      StringBuilder msg = new StringBuilder("submission " + subPath + " is not valid:");
      int shown = 0;
      for (Problem p : problems) {
        if (shown++ == 50) {
          msg.append("\n  … and ").append(problems.size() - 50).append(" more");
          break;
        }
        msg.append("\n  line ").append(p.line()).append(": ").append(p.message());
      }
      throw new StageFailure(msg.toString());
    }
    String line;
    String json;
    if (t == Task.VQA) {
      VqaEvaluation e = new VqaEvaluator().evaluate(gt, sub, mode);
      line = e.toString();
      json = e.toJson();
      if (ctx.config().getBoolean("medvqa.eval.breakdown")) {
        line += "\n" + ErrorAnalysis.of(gt, e);
      }
    } else {
      VqgEvaluation e = new VqgEvaluator().evaluate(gt, sub, mode);
      line = e.toString();
      json = e.toJson();
    }
    ctx.out().println(line);
    if (!output.isBlank()) {
      files.write(files.qualify(output), json + (json.endsWith("\n") ? "" : "\n"));
      ctx.say("wrote " + output);
    }
    return Main.OK;
  }

  private static InputStream open(HadoopFiles files, String path) throws IOException {
    Path p = files.qualify(path);
    if (!files.exists(p)) {
      throw new StageFailure("file " + p + " does not exist");
    }
    return files.open(p);
  }
}
