package org.medvqa.pipeline;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.ManifestColumns;

/**
 * The stages a pipeline walks, each declared once: its name (the job that makes its output has the
 * same name, and is given to the {@link Pipeline} as a {@link StageCall}), the config subtrees that
 * decide that output (part of its fingerprint), the key its output folder is given through, the
 * keys its inputs are given through, and the settings the pipeline always fixes for it. {@link
 * Pipeline} and {@link StageRunner} read this table instead of setting keys by string between
 * calls.
 */
public enum PipelineStage {
  INGEST(
      "ingest",
      List.of("medvqa.ingest"),
      "medvqa.ingest.out",
      Map.of("release", "medvqa.ingest.release"),
      Map.of()),
  AUGMENT_IMAGES(
      "augment-images",
      List.of("medvqa.augment.images"),
      "medvqa.augment.images.out",
      Map.of("manifest", "medvqa.augment.images.manifest"),
      Map.of()),
  AUGMENT_QUESTIONS(
      "augment-questions",
      List.of("medvqa.augment.questions", "medvqa.vectors"),
      "medvqa.augment.questions.out",
      Map.of("manifest", "medvqa.augment.questions.manifest"),
      Map.of()),
  /** Into the shared cache: incremental, keyed by image content, so never fingerprinted. */
  EXTRACT_FEATURES(
      "extract-features",
      List.of("medvqa.features"),
      "medvqa.features.out",
      Map.of("manifest", "medvqa.features.manifest"),
      Map.of(
          "medvqa.features.incremental",
          true,
          "medvqa.features.columns.image-id",
          ManifestColumns.IMAGE_SHA256)),
  TRAIN(
      "train",
      List.of("medvqa.train", "medvqa.models", "medvqa.features"),
      "medvqa.train.out",
      Map.of(
          "manifest", "medvqa.train.manifest",
          "extra-manifests", "medvqa.train.extra-manifests",
          "features", "medvqa.train.features"),
      Map.of("medvqa.train.features-key", ManifestColumns.IMAGE_SHA256)),
  PREDICT(
      "predict",
      List.of("medvqa.predict", "medvqa.models"),
      "medvqa.predict.out",
      Map.of(
          "model", "medvqa.predict.model",
          "manifest", "medvqa.predict.manifest",
          "split", "medvqa.predict.split",
          "features", "medvqa.predict.features"),
      Map.of("medvqa.predict.features-key", ManifestColumns.IMAGE_SHA256)),
  /** Cheap: always run, never skipped. */
  EVALUATE(
      "evaluate",
      List.of("medvqa.eval"),
      "medvqa.eval.output",
      Map.of(
          "ground-truth", "medvqa.eval.ground-truth",
          "format", "medvqa.eval.ground-truth-format",
          "submission", "medvqa.eval.submission"),
      Map.of()),
  /** A view of finished results; a failure is reported and does not fail the run. */
  REPORT("report", List.of("medvqa.report"), "medvqa.report.run", Map.of(), Map.of());

  private final String id;
  private final List<String> settings;
  private final String outKey;
  private final Map<String, String> inputKeys;
  private final Map<String, Object> fixed;

  PipelineStage(
      String id,
      List<String> settings,
      String outKey,
      Map<String, String> inputKeys,
      Map<String, Object> fixed) {
    this.id = id;
    this.settings = settings;
    this.outKey = outKey;
    this.inputKeys = inputKeys;
    this.fixed = fixed;
  }

  /** The stage's name: its job's command-line name and its switch in medvqa.pipeline.stages. */
  public String id() {
    return id;
  }

  /** The config subtrees whose values decide the output (beyond its inputs). */
  List<String> settings() {
    return settings;
  }

  /**
   * The stage's config: {@code c} with its output (a path, or a location as given), its inputs (by
   * the names this table gives them; paths as their text, lists as lists) and its fixed settings.
   */
  Config configure(Config c, Object out, Map<String, ?> inputs) {
    for (Map.Entry<String, ?> e : inputs.entrySet()) {
      String key = inputKeys.get(e.getKey());
      if (key == null) {
        throw new IllegalArgumentException(id + " has no input named " + e.getKey());
      }
      c = with(c, key, e.getValue());
    }
    for (Map.Entry<String, Object> e : fixed.entrySet()) {
      c = with(c, e.getKey(), e.getValue());
    }
    return out == null ? c : with(c, outKey, out);
  }

  /** {@code c} with {@code key} set to {@code value} (a path as its text, a list element-wise). */
  public static Config with(Config c, String key, Object value) {
    Object v = value;
    if (value instanceof Path p) {
      v = p.toString();
    } else if (value instanceof List<?> l) {
      v = l.stream().map(x -> x instanceof Path p ? p.toString() : x).toList();
    }
    return c.withValue(key, ConfigValueFactory.fromAnyRef(v));
  }
}
