package org.medvqa.jobs;

import java.util.List;
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
  /**
   * The kinds {@code medvqa.train.model} may name. Kept for the pipeline and retrain jobs, which
   * should ask {@link ModelKinds#names} themselves.
   */
  static final List<String> MODELS = ModelKinds.names();

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "fit a model on a manifest's training split and write a model directory";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    TrainStage.Result r = new TrainStage(TrainSettings.from(ctx.config())).run(ctx);
    r.report().forEach(ctx::say);
    return Main.OK;
  }
}
