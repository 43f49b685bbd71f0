package org.medvqa.augment.text;

import java.util.Arrays;

/**
 * A question split into tokens, with each token's character span in the text and its Universal
 * Dependencies POS tag. Rewrites replace spans, so spacing and punctuation stay as they were.
 *
 * @param text the question
 * @param tokens the tokens, as they appear in the text
 * @param starts where each token starts in the text
 * @param ends where each token ends (exclusive)
 * @param tags each token's UD tag (NOUN, VERB, ADJ, ...)
 */
public record TaggedQuestion(
    String text, String[] tokens, int[] starts, int[] ends, String[] tags) {
  public TaggedQuestion {
    if (tokens.length != starts.length
        || tokens.length != ends.length
        || tokens.length != tags.length) {
      throw new IllegalArgumentException(
          "tokens, starts, ends and tags differ in length for '" + text + "'");
    }
  }

  /** Number of tokens. */
  public int size() {
    return tokens.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TaggedQuestion t
        && text.equals(t.text)
        && Arrays.equals(tokens, t.tokens)
        && Arrays.equals(starts, t.starts)
        && Arrays.equals(ends, t.ends)
        && Arrays.equals(tags, t.tags);
  }

  @Override
  public int hashCode() {
    return text.hashCode() * 31 + Arrays.hashCode(tags);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < tokens.length; i++) {
      if (i > 0) {
        b.append(' ');
      }
      b.append(tokens[i]).append('/').append(tags[i]);
    }
    return b.toString();
  }
}
