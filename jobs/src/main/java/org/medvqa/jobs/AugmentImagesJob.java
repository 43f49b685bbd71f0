package org.medvqa.jobs;

import java.util.Locale;
import java.util.Map;
import org.medvqa.augment.image.ImageAugmentSettings;
import org.medvqa.augment.image.ImageAugmentStage;
import org.medvqa.core.stage.StageContext;

/**
 * {@code augment-images}: the command line around {@link ImageAugmentStage} (K shifted, flipped,
 * rotated and blurred variants of every distinct image of a manifest's chosen splits, {@code
 * medvqa.augment.images}); prints the stage's phases and summary.
 */
public final class AugmentImagesJob implements Job {
  @Override
  public String name() {
    return "augment-images";
  }

  @Override
  public String summary() {
    return "shift/flip/rotate/blur variants of the manifest's images (images + manifest)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    ImageAugmentStage stage = new ImageAugmentStage(ImageAugmentSettings.forRun(ctx.config()));
    ImageAugmentStage.Outcome o = stage.run(ctx);
    ctx.say("phase       seconds   (plan: count rows and images; augment: read, decode,");
    ctx.say("                       transform, encode, write; manifest: join and write)");
    for (Map.Entry<String, Double> e : o.stats().phases().entrySet()) {
      ctx.say(String.format(Locale.ROOT, "  %-9s %8.2f", e.getKey(), e.getValue()));
    }
    ctx.say(
        String.format(
            Locale.ROOT,
            "summary: images=%d variants=%d records=%d rejected=%d (%.2f%%) without-flips=%d"
                + " out=%s",
            o.stats().imagesAugmented(),
            o.stats().variants(),
            o.recordsOut(),
            o.rejected(),
            100 * o.rejectedFraction(),
            o.stats().withoutFlips(),
            o.out()));
  }
}
