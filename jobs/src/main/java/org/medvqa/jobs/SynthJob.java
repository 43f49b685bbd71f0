package org.medvqa.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.synth.SyntheticRelease;

/**
 * {@code synth}: writes a small seeded data set in the VQA-Med 2019 layout whose answers depend on
 * the image content, for tests and {@code make demo} on machines without the real data.
 */
public final class SynthJob implements Job {
  @Override
  public String name() {
    return "synth";
  }

  @Override
  public String summary() {
    return "write a seeded synthetic release in the VQA-Med 2019 layout";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    Path out = Path.of(ConfigCheck.requireString(ctx.config(), "medvqa.synth.out"));
    if (Files.exists(out)) {
      throw new StageFailure("output " + out + " already exists; remove it or choose another");
    }
    SyntheticRelease.Settings settings =
        SyntheticRelease.Settings.fromConfig(ctx.config().getConfig("medvqa.synth"));
    var summary = SyntheticRelease.of(settings).write(out);
    ctx.say("summary: " + summary + " out=" + out);
  }
}
