package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.pipeline.Pipeline;
import org.medvqa.pipeline.PipelineSettings;
import org.medvqa.pipeline.StageRunner;

/**
 * {@code pipeline} (also {@code run}): one paper run (or ours) from releases to metrics, from one
 * run configuration: ingest the training release (and the test release), augment the training
 * images and questions, extract the features the model needs into the shared cache, train, predict
 * the test questions, evaluate them and write {@code report.html} ({@link Pipeline}). Each stage
 * can be switched off ({@code medvqa.pipeline.stages}). A stage whose output is complete for the
 * same inputs and settings is not run again ({@link StageRunner}), so the same command started
 * after a failure or a kill continues where it stopped; training itself resumes from its last
 * epoch.
 *
 * <p>Without a test release the test questions are a split of the training ingest (e.g. the
 * held-out images, {@code medvqa.ingest.holdout}).
 */
public final class PipelineJob implements Job {
  private final String name;

  /** The job under its usual name, {@code pipeline}. */
  public PipelineJob() {
    this("pipeline");
  }

  /** The same job under another command-line name ({@code run}, the name the paper runs use). */
  public PipelineJob(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String summary() {
    return name.equals("pipeline")
        ? "ingest, augment, features, train, predict, evaluate from one run config; reruns continue"
        : "the same as pipeline (one run end to end, metrics.json)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    new Pipeline(ctx, PipelineSettings.from(ctx.config()), StageJobs.calls()).run();
  }
}
