package org.medvqa.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a VQG submission the way the official VQA-Med 2020/2021 evaluators do: per image, the best
 * {@link SentenceBleu} over all (reference question × generated question) pairs; then the mean over
 * the ground-truth images.
 *
 * <p>Stateless and thread-safe (each call makes its own tokenizer).
 */
public final class VqgEvaluator {

  /** Scores a submission, refusing it if {@link Submission#validate} finds problems. */
  public VqgEvaluation evaluate(GroundTruth groundTruth, Submission submission, BleuMode mode) {
    if (submission.task() != Task.VQG) {
      throw new IllegalArgumentException(
          "submission " + submission.source() + " was read as " + submission.task().label());
    }
    if (groundTruth.format() != GroundTruthFormat.VQG) {
      throw new IllegalArgumentException(
          "ground truth "
              + groundTruth.source()
              + " was read as "
              + groundTruth.format().label()
              + ", not vqg");
    }
    submission.requireValid(groundTruth);
    BleuTokenizer tokenizer = new BleuTokenizer(mode);
    List<VqgItemResult> results = new ArrayList<>(groundTruth.size());
    for (GroundTruth.Item item : groundTruth.items()) {
      results.add(scoreImage(item, submission.texts(item.id()), tokenizer));
    }
    return VqgEvaluation.of(results);
  }

  /** Scores the generated questions of one image, with the tokenizer's BLEU mode. */
  public static VqgItemResult scoreImage(
      GroundTruth.Item item, List<String> generated, BleuTokenizer tokenizer) {
    List<List<String>> hypotheses = new ArrayList<>(generated.size());
    for (String question : generated) {
      hypotheses.add(tokenizer.tokens(question));
    }
    double best = 0;
    for (String reference : item.references()) {
      List<String> ref = tokenizer.tokens(reference);
      for (List<String> hypothesis : hypotheses) {
        best = Math.max(best, SentenceBleu.score(ref, hypothesis, tokenizer.mode()));
      }
    }
    return new VqgItemResult(item.id(), best);
  }
}
