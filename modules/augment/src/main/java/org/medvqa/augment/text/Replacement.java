package org.medvqa.augment.text;

import java.io.Serializable;

/**
 * One word replaced in a rewrite.
 *
 * @param from the word in the original question
 * @param to the word in the rewrite
 * @param similarity cosine similarity of the two in the embedding space
 * @param position the token index of the word in the question (0-based)
 */
public record Replacement(String from, String to, float similarity, int position)
    implements Serializable {}
