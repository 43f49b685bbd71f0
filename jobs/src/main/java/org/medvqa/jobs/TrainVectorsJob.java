package org.medvqa.jobs;

import java.util.Locale;
import org.medvqa.augment.text.VectorTrainingStage;
import org.medvqa.core.stage.StageContext;

/**
 * {@code train-vectors}: trains word2vec (Spark MLlib) on a manifest's own questions and answers
 * and writes them in the compact format augment-questions reads, {@code <out>/vectors.bin} with
 * provenance; the work is {@link VectorTrainingStage}.
 */
public final class TrainVectorsJob implements Job {
  @Override
  public String name() {
    return "train-vectors";
  }

  @Override
  public String summary() {
    return "train word2vec (Spark MLlib) on a manifest's questions and answers; write vectors.bin";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    VectorTrainingStage.Written w = VectorTrainingStage.fromConfig(ctx.config()).run(ctx);
    VectorTrainingStage.Stats s = w.stats();
    ctx.say(
        String.format(
            Locale.ROOT,
            "summary: sentences=%d vocabulary=%d dimensions=%d seconds=%.1f out=%s",
            s.sentences(),
            s.vocabulary(),
            s.dimensions(),
            s.seconds(),
            w.vectorsFile()));
  }
}
