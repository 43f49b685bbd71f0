package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.eval.EvalSettings;
import org.medvqa.eval.EvaluationStage;

/**
 * {@code evaluate}: the official VQA-Med scores of a submission against a ground truth ({@link
 * EvaluationStage}). Prints {@code accuracy=0.xxxx bleu=0.xxxx} (VQG: {@code bleu=0.xxxx}) and,
 * with {@code medvqa.eval.output}, writes them as JSON. Needs no Spark.
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
  public void run(StageContext ctx) throws Exception {
    EvalSettings s = EvalSettings.from(ctx.config());
    EvaluationStage.Result r = new EvaluationStage(s).apply(ctx.files());
    ctx.out().println(r.summary());
    if (!s.output().isBlank()) {
      String json = r.json();
      ctx.files().write(ctx.files().qualify(s.output()), json + (json.endsWith("\n") ? "" : "\n"));
      ctx.say("wrote " + s.output());
    }
  }
}
