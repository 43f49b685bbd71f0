package org.medvqa.pipeline;

import com.typesafe.config.Config;
import java.util.List;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.models.ModelKinds;

/**
 * What {@code pipeline} reads from {@code medvqa.data}, {@code medvqa.run}, {@code medvqa.out} and
 * {@code medvqa.pipeline.stages}, parsed and checked in one place.
 *
 * @param train the training release, or an ingest output to use as it is
 * @param extraTrain more training releases or manifests (all of them train; nothing held out)
 * @param test the test release; blank: a split of the training ingest
 * @param out the run folder
 * @param kind the model kind ({@code medvqa.train.model})
 * @param task vqa or vqg ({@code medvqa.eval.task})
 * @param runName the run's name; blank: the kind
 * @param testSplit the split to predict; blank: the held-out split or the test release's only one
 * @param holdoutSplit where ingest puts the held-out images ({@code medvqa.ingest.holdout.to})
 * @param featureCache an explicit feature cache; blank: one in the workspace named by the weights
 * @param workspace the folder shared feature caches live in
 * @param stages which stages are switched on
 */
public record PipelineSettings(
    String train,
    List<String> extraTrain,
    String test,
    String out,
    String kind,
    String task,
    String runName,
    String testSplit,
    String holdoutSplit,
    String featureCache,
    String workspace,
    Stages stages) {

  public static PipelineSettings from(Config cfg) {
    return new PipelineSettings(
        ConfigCheck.requireString(cfg, "medvqa.data.train"),
        cfg.getStringList("medvqa.data.extra-train"),
        cfg.getString("medvqa.data.test"),
        ConfigCheck.requireString(cfg, "medvqa.out"),
        ConfigCheck.requireOneOf(cfg, "medvqa.train.model", ModelKinds.names()),
        ConfigCheck.requireOneOf(cfg, "medvqa.eval.task", List.of("vqa", "vqg")),
        cfg.getString("medvqa.run.name"),
        cfg.getString("medvqa.run.test-split"),
        cfg.getString("medvqa.ingest.holdout.to"),
        cfg.getString("medvqa.run.feature-cache"),
        cfg.getString("medvqa.workspace"),
        Stages.from(cfg));
  }

  /** The run's name in messages and reports: {@code medvqa.run.name}, else the model kind. */
  String displayName() {
    return runName.isBlank() ? kind : runName;
  }

  /** Which stages {@code medvqa.pipeline.stages} switches on. */
  record Stages(
      boolean ingest,
      boolean augmentImages,
      boolean augmentQuestions,
      boolean extractFeatures,
      boolean train,
      boolean predict,
      boolean evaluate,
      boolean report) {
    static Stages from(Config cfg) {
      Config s = cfg.getConfig("medvqa.pipeline.stages");
      return new Stages(
          s.getBoolean("ingest"),
          s.getBoolean("augment-images"),
          s.getBoolean("augment-questions"),
          s.getBoolean("extract-features"),
          s.getBoolean("train"),
          s.getBoolean("predict"),
          s.getBoolean("evaluate"),
          s.getBoolean("report"));
    }
  }
}
