package org.medvqa.pipeline;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.models.ModelKinds;

/**
 * Scheduled retraining of one run (the {@code retrain} job's work): a candidate trained by the
 * {@link Pipeline} on a new release plus what the current model of the {@link ModelRegistry} was
 * trained on (its {@link RunRecord}), judged on the evaluation release and promoted or kept.
 */
public final class Retraining {
  /** Settings that make a different candidate from the same release. */
  private static final List<String> CANDIDATE_SETTINGS =
      List.of(
          "medvqa.ingest",
          "medvqa.augment",
          "medvqa.pipeline",
          "medvqa.features",
          "medvqa.train",
          "medvqa.models",
          "medvqa.predict",
          "medvqa.retrain");

  private Retraining() {}

  /** Decides (and, unless decided already, trains and judges) the candidate for this release. */
  public static void run(StageContext ctx, Map<PipelineStage, StageCall> calls) throws Exception {
    Config cfg = ctx.config();
    String release = ConfigCheck.requireString(cfg, "medvqa.retrain.release");
    String evaluation = ConfigCheck.requireString(cfg, "medvqa.retrain.evaluation");
    String registryPath = ConfigCheck.requireString(cfg, "medvqa.retrain.registry");
    String metric =
        ConfigCheck.requireOneOf(cfg, "medvqa.retrain.metric", List.of("accuracy", "bleu"));
    String kind = ConfigCheck.requireOneOf(cfg, "medvqa.train.model", ModelKinds.names());
    String runName =
        cfg.getString("medvqa.run.name").isBlank() ? kind : cfg.getString("medvqa.run.name");
    ModelRegistry registry =
        new ModelRegistry(ctx.files(), new Path(ctx.files().qualify(registryPath), runName));
    String currentId = registry.currentId();
    RunRecord current =
        currentId.isEmpty() ? null : RunRecord.read(ctx.files(), registry.model(currentId));
    StageRunner fingerprints = new StageRunner(ctx);
    String evaluationFingerprint = fingerprints.fingerprintOf(ctx.files().qualify(evaluation));
    String id =
        "m-"
            + StageRunner.sha256Hex(
                    fingerprints.fingerprintOf(ctx.files().qualify(release))
                        + "|"
                        + evaluationFingerprint
                        + "|"
                        + StageRunner.settingsHash(cfg, CANDIDATE_SETTINGS))
                .substring(0, 12);
    if (id.equals(currentId) || registry.decided(id)) {
      ctx.say(
          "candidate "
              + id
              + " for this release and settings is decided already (see "
              + registry.decisions()
              + ")");
      return;
    }
    // What the current model was trained on becomes the candidate's extra training data; with no
    // current model, medvqa.retrain.previous.
    List<String> earlier =
        current != null ? current.manifests() : cfg.getStringList("medvqa.retrain.previous");
    ctx.say(
        "candidate "
            + id
            + ": "
            + release
            + (earlier.isEmpty() ? "" : " + " + earlier.size() + " earlier manifest(s)")
            + (current == null ? "; no current model" : "; current " + currentId));
    train(ctx, calls, registry.model(id), earlier);
    ModelRegistry.Verdict v =
        registry.judge(
            id, current, evaluationFingerprint, metric, cfg.getDouble("medvqa.retrain.min-gain"));
    registry.record(
        new ModelRegistry.Decision(
            id,
            release,
            evaluation,
            metric,
            v.score(),
            currentId,
            v.currentScore(),
            v.promote(),
            v.reason()));
    ctx.say(
        (v.promote()
                ? "promoted "
                : "kept " + (currentId.isEmpty() ? "" : currentId + "; not promoted "))
            + id
            + ": "
            + v.reason());
  }

  /** The candidate's pipeline: the new release plus the earlier manifests, scored on evaluation. */
  private static void train(
      StageContext ctx, Map<PipelineStage, StageCall> calls, Path candidate, List<String> earlier)
      throws Exception {
    Config cfg = ctx.config();
    Config run =
        PipelineStage.with(cfg, "medvqa.data.train", cfg.getString("medvqa.retrain.release"));
    run = PipelineStage.with(run, "medvqa.data.extra-train", earlier);
    run = PipelineStage.with(run, "medvqa.data.test", cfg.getString("medvqa.retrain.evaluation"));
    run =
        PipelineStage.with(
            run, "medvqa.run.test-split", cfg.getString("medvqa.retrain.evaluation-split"));
    run = PipelineStage.with(run, "medvqa.out", candidate);
    new Pipeline(ctx.derive("pipeline", run), PipelineSettings.from(run), calls).run();
    if (!ctx.files().exists(new Path(candidate, "metrics.json"))) {
      throw new StageFailure(
          "the evaluation release has no reference answers in its split, so the candidate cannot"
              + " be compared: "
              + cfg.getString("medvqa.retrain.evaluation"));
    }
  }
}
