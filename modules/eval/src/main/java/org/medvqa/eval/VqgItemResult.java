package org.medvqa.eval;

/**
 * How one VQG image scored, for reports.
 *
 * @param id the ground-truth id
 * @param bleu the best BLEU over all (reference question, generated question) pairs
 */
public record VqgItemResult(String id, double bleu) {}
