package org.medvqa.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a VQA submission the way the official VQA-Med evaluators do: accuracy is exact match after
 * {@link AccuracyNormalizer} against any reference; BLEU is the best {@link SentenceBleu} over the
 * references after {@link BleuTokenizer}; both are means over the ground-truth items.
 *
 * <p>Stateless and thread-safe (each call makes its own tokenizer). Parallel callers can score
 * items with {@link #scoreItem} and combine them with {@link VqaEvaluation#of}.
 */
public final class VqaEvaluator {

  /** Scores a submission, refusing it if {@link Submission#validate} finds problems. */
  public VqaEvaluation evaluate(GroundTruth groundTruth, Submission submission, BleuMode mode) {
    if (groundTruth.format() == GroundTruthFormat.VQG) {
      throw new IllegalArgumentException(
          "ground truth " + groundTruth.source() + " holds VQG questions, not VQA answers");
    }
    if (submission.task() != Task.VQA) {
      throw new IllegalArgumentException(
          "submission " + submission.source() + " was read as " + submission.task().label());
    }
    submission.requireValid(groundTruth);
    BleuTokenizer tokenizer = new BleuTokenizer(mode);
    List<VqaItemResult> results = new ArrayList<>(groundTruth.size());
    for (GroundTruth.Item item : groundTruth.items()) {
      List<String> texts = submission.texts(item.id());
      results.add(scoreItem(item, texts.isEmpty() ? "" : texts.get(0), tokenizer));
    }
    return VqaEvaluation.of(results);
  }

  /** Scores one answer against one item, with the tokenizer's BLEU mode. */
  public static VqaItemResult scoreItem(
      GroundTruth.Item item, String candidate, BleuTokenizer tokenizer) {
    String normalized = AccuracyNormalizer.normalize(candidate);
    List<String> hypothesis = tokenizer.tokens(candidate);
    boolean matched = false;
    double bleu = 0;
    for (String reference : item.references()) {
      matched |= AccuracyNormalizer.normalize(reference).equals(normalized);
      bleu =
          Math.max(
              bleu, SentenceBleu.score(tokenizer.tokens(reference), hypothesis, tokenizer.mode()));
    }
    return new VqaItemResult(item.id(), item.category(), normalized, matched, bleu);
  }
}
