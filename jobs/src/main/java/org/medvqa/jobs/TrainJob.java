package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.models.ModelKinds;
import org.medvqa.training.TrainSettings;
import org.medvqa.training.TrainStage;

/**
 * {@code train}: fits a model of the kind {@code medvqa.train.model} on the training split of a
 * manifest and writes its model folder. The work is {@link TrainStage}'s (modules/training); the
 * kinds are those of {@link ModelKinds}.
 */
public final class TrainJob implements Job {
  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "fit a model on a manifest's training split and write a model directory";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    TrainStage.Result r = new TrainStage(TrainSettings.from(ctx.config())).run(ctx);
    r.report().forEach(ctx::say);
  }
}
