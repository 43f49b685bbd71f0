package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.pipeline.ModelRegistry;
import org.medvqa.pipeline.Retraining;
import org.medvqa.pipeline.RunRecord;

/**
 * {@code retrain}: scheduled retraining of one run when a new release appears. It trains a
 * candidate with {@code pipeline} on the new release plus everything the current model was trained
 * on (its {@link RunRecord}'s manifests, so nothing old is ingested or augmented again, and the
 * shared feature cache extracts only images it has not seen), scores it on the configured
 * evaluation release, and promotes it in the {@link ModelRegistry} only when it is better on the
 * configured metric. A candidate's id is a hash of the new release's and the evaluation release's
 * fingerprints and the settings, so the same command after a failure continues the same candidate,
 * and after a decision is a no-op: a release is tried once per settings.
 */
public final class RetrainJob implements Job {
  @Override
  public String name() {
    return "retrain";
  }

  @Override
  public String summary() {
    return "train a candidate on a new release, promote it in the model registry if it scores better";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    Retraining.run(ctx, StageJobs.calls());
  }
}
