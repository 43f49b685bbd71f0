package org.medvqa.models.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How text becomes tokens. Two rules, because questions and answers need different things:
 *
 * <ul>
 *   <li>{@link #words}: lower-case and split on whitespace only. Answers are decoded with it, so
 *       that joining the generated words with single spaces gives back the training answer exactly
 *       ({@code "ct w/contrast (iv)"}), which is what the official accuracy compares after its own
 *       normalisation.
 *   <li>{@link #wordsAndMarks}: lower-case, and every character that is neither a letter nor a
 *       digit is a token of its own ({@code "what is the plane?"} -> {@code what is the plane ?}).
 *       Questions are encoded with it, so that {@code "mri?"} and {@code "mri"} share a token.
 * </ul>
 */
public final class Tokens {
  private Tokens() {}

  /** Lower-cased whitespace-separated words. */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).trim().split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /** Lower-cased runs of letters and digits, and each other non-space character on its own. */
  public static List<String> wordsAndMarks(String text) {
    String s = text.toLowerCase(Locale.ROOT);
    List<String> out = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.isLetterOrDigit(cp)) {
        word.appendCodePoint(cp);
        continue;
      }
      if (word.length() > 0) {
        out.add(word.toString());
        word.setLength(0);
      }
      if (!Character.isWhitespace(cp)) {
        out.add(new String(Character.toChars(cp)));
      }
    }
    if (word.length() > 0) {
      out.add(word.toString());
    }
    return out;
  }

  /** Joins decoded answer or question words back into text. */
  public static String join(List<String> tokens) {
    return String.join(" ", tokens);
  }
}
