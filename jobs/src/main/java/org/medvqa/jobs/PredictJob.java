package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.features.FeatureSettings;
import org.medvqa.features.FeatureStage;
import org.medvqa.training.PredictSettings;
import org.medvqa.training.PredictStage;

/**
 * {@code predict}: answers the questions of one split of a manifest with a trained model and writes
 * {@code submission.txt} (+ {@code ground-truth.txt}). The work is {@link PredictStage}'s
 * (modules/training); images the feature table lacks are extracted first by the extract-features
 * job.
 */
public final class PredictJob implements Job {
  @Override
  public String name() {
    return "predict";
  }

  @Override
  public String summary() {
    return "answer a manifest split with a model; write submission.txt (+ ground-truth.txt)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    PredictStage stage =
        new PredictStage(
            PredictSettings.from(ctx.config()),
            c -> {
              // The extract-features stage itself, with its own name in what it prints.
              StageContext features = ctx.derive(FeatureStage.NAME, c);
              features.say(
                  new FeatureStage(FeatureSettings.forExtraction(c)).run(features).summary());
              return true;
            });
    stage.run(ctx).report().forEach(ctx::say);
  }
}
