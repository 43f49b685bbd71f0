package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;
import org.medvqa.features.FeatureSettings;
import org.medvqa.features.FeatureStage;

/**
 * {@code extract-features}: the ResNet50 pooled feature (and optionally the last convolutional map)
 * of every distinct (image id, variant id) of a manifest, as Parquet, plus the unreadable images in
 * {@code _rejected} and {@code provenance.json}. The work is {@link FeatureStage}; the table's
 * layout, its incremental {@code run=N} parts and its signature are {@code FeatureTable}'s (see
 * modules/features/README.md).
 */
public final class ExtractFeaturesJob implements Job {
  @Override
  public String name() {
    return FeatureStage.NAME;
  }

  @Override
  public String summary() {
    return "ResNet50 features of every distinct image of a manifest, as Parquet (incremental)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    FeatureStage stage = new FeatureStage(FeatureSettings.forExtraction(ctx.config()));
    ctx.say(stage.run(ctx).summary());
  }
}
