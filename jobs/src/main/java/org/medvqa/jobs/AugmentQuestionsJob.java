package org.medvqa.jobs;

import java.util.Locale;
import org.medvqa.augment.text.QuestionAugmentStage;
import org.medvqa.augment.text.QuestionAugmentStats;
import org.medvqa.core.stage.StageContext;

/**
 * {@code augment-questions}: rewrites the questions of a manifest by replacing POS-tagged candidate
 * words with their most cosine-similar neighbours in a word-embedding space ({@code
 * medvqa.vectors}), K variants per question, answers unchanged; the work is {@link
 * QuestionAugmentStage}. Writes a manifest (the input's columns plus {@code
 * question_parent_sample_id}, {@code question_variant_id} and {@code replacements}), {@code
 * _rejected} and provenance.
 */
public final class AugmentQuestionsJob implements Job {
  @Override
  public String name() {
    return "augment-questions";
  }

  @Override
  public String summary() {
    return "rewrite questions by POS tags and embedding neighbours (manifest in, manifest out)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    QuestionAugmentStage stage = QuestionAugmentStage.fromConfig(ctx.config());
    QuestionAugmentStage.Written w = stage.run(ctx);
    QuestionAugmentStats s = w.stats();
    s.phaseTable().forEach(ctx::say);
    ctx.say(
        String.format(
            Locale.ROOT,
            "summary: questions=%d rewritten=%d variants=%d records=%d rejected=%d out=%s",
            s.questions(),
            s.rewritten(),
            s.variants(),
            s.recordsOut(),
            s.recordsRejected(),
            w.out()));
  }
}
