package org.medvqa.eval;

/**
 * The scores of the items of one 2019 question category.
 *
 * @param accuracy the mean accuracy over the category's items
 * @param bleu the mean BLEU over the category's items
 * @param count how many items the category has
 */
public record CategoryScore(double accuracy, double bleu, int count) {}
