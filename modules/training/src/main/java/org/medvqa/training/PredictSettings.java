package org.medvqa.training;

import com.typesafe.config.Config;
import org.medvqa.core.config.ConfigCheck;

/**
 * The {@code medvqa.predict} block, checked: which model answers which split of which manifest, and
 * where the submission goes.
 *
 * @param model the model folder train wrote
 * @param manifest the ingest output whose split is answered
 * @param out the output folder for the submission
 * @param split the split to answer
 * @param batchSize questions per forward pass
 * @param config the whole configuration (the pixel kinds' preprocessing, and the feature extraction
 *     of images the feature table lacks)
 */
public record PredictSettings(
    String model, String manifest, String out, String split, int batchSize, Config config) {

  public static final String PATH = "medvqa.predict";

  public static PredictSettings from(Config cfg) {
    String p = PATH + ".";
    return new PredictSettings(
        ConfigCheck.requireString(cfg, p + "model"),
        ConfigCheck.requireString(cfg, p + "manifest"),
        ConfigCheck.requireString(cfg, p + "out"),
        cfg.getString(p + "split"),
        (int) ConfigCheck.requireRange(cfg, p + "batch-size", 1, 1e6),
        cfg);
  }

  /** The feature table folder: required by a model that reads cached features. */
  public String features() {
    return ConfigCheck.requireString(config, PATH + ".features");
  }

  /** The manifest column matching the feature table's image id. */
  public String featuresKey() {
    return ConfigCheck.requireString(config, PATH + ".features-key");
  }
}
