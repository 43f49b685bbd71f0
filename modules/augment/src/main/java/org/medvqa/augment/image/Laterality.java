package org.medvqa.augment.image;

import java.io.Serializable;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a text mentions a side of the body. Any mirror image (a horizontal flip, or a vertical
 * one, which seen the right way up is a horizontal flip plus a half turn) swaps the patient's left
 * and right, so a question about a side, or an answer naming one, is wrong for a flipped variant:
 * such images are augmented without flips.
 */
public final class Laterality implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Set<String> words;

  /** Mentions are these whole words, in any case (e.g. {@code left}, {@code right}). */
  public Laterality(Collection<String> words) {
    this.words = Set.copyOf(words.stream().map(w -> w.toLowerCase(Locale.ROOT)).toList());
  }

  /** Whether {@code text} holds one of the words as a whole word ("left-sided" counts). */
  public boolean mentions(String text) {
    if (text == null || words.isEmpty()) {
      return false;
    }
    String t = text.toLowerCase(Locale.ROOT);
    int n = t.length();
    int i = 0;
    while (i < n) {
      while (i < n && !Character.isLetter(t.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && Character.isLetter(t.charAt(i))) {
        i++;
      }
      if (i > start && words.contains(t.substring(start, i))) {
        return true;
      }
    }
    return false;
  }

  /** Whether any of {@code texts} mentions a side. */
  public boolean anyMentions(Iterable<String> texts) {
    for (String t : texts) {
      if (mentions(t)) {
        return true;
      }
    }
    return false;
  }
}
