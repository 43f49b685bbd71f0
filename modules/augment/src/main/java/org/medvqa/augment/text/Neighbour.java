package org.medvqa.augment.text;

import java.io.Serializable;

/**
 * A replacement word for a candidate and its cosine similarity to it.
 *
 * @param word the neighbour, as the vectors spell it
 * @param similarity cosine similarity to the candidate
 */
public record Neighbour(String word, float similarity) implements Serializable {}
