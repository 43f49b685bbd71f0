package org.medvqa.eval;

/**
 * How one VQA item scored, for reports.
 *
 * @param id the ground-truth id
 * @param category its 2019 category, or null
 * @param normalizedCandidate the submitted answer after accuracy normalisation
 * @param matched whether it equals a normalised reference (accuracy 1)
 * @param bleu its BLEU, the best over the references
 */
public record VqaItemResult(
    String id, String category, String normalizedCandidate, boolean matched, double bleu) {}
