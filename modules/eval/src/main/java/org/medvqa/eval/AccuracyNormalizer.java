package org.medvqa.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The answer normalisation of the official VQA-Med accuracy, an adapted MSCOCO VQA evaluator: two
 * answers match when their normalised forms are equal.
 *
 * <p>Steps: newlines and tabs become spaces and the text is stripped; each mark of {@code
 * ;/[]"{}()=+\_-><@`,?!} is deleted if it stands next to a space anywhere in the text (or the text
 * has a digit-comma-digit), and otherwise becomes a space; periods not followed by a digit are
 * deleted, but only the first {@value #PERIOD_LIMIT} of them; then the text is lower-cased and
 * split on whitespace, number words become digits, articles go, and words are mapped through the
 * MSCOCO contraction table.
 *
 * <p>Stateless and thread-safe; no regular expressions are compiled per call.
 */
public final class AccuracyNormalizer {

  /**
   * The evaluator calls {@code periodStrip.sub("", text, re.UNICODE)}; that flag (32) lands in the
   * {@code count} parameter, so only the first 32 strippable periods go. We keep the quirk.
   */
  static final int PERIOD_LIMIT = 32;

  /** The marks in the evaluator's order; the order does not change the result. */
  private static final String MARKS = ";/[]\"{}()=+\\_-><@`,?!";

  private static final Map<String, String> NUMBER_WORDS =
      Map.ofEntries(
          Map.entry("none", "0"),
          Map.entry("zero", "0"),
          Map.entry("one", "1"),
          Map.entry("two", "2"),
          Map.entry("three", "3"),
          Map.entry("four", "4"),
          Map.entry("five", "5"),
          Map.entry("six", "6"),
          Map.entry("seven", "7"),
          Map.entry("eight", "8"),
          Map.entry("nine", "9"),
          Map.entry("ten", "10"));

  private static final Set<String> ARTICLES = Set.of("a", "an", "the");

  private static final Map<String, String> CONTRACTIONS = loadContractions();

  private AccuracyNormalizer() {}

  /** The normalised form of a candidate or reference answer. */
  public static String normalize(String answer) {
    String text = PyText.strip(answer.replace('\n', ' ').replace('\t', ' '));
    return wordsOf(periods(punctuation(text)));
  }

  /** The size of the contraction table (for tests). */
  static int contractionCount() {
    return CONTRACTIONS.size();
  }

  private static String punctuation(String in) {
    // Each decision looks at the text as it was before this step, as the evaluator does.
    boolean digitComma = hasDigitCommaDigit(in);
    boolean[] delete = new boolean[MARKS.length()];
    for (int m = 0; m < MARKS.length(); m++) {
      char p = MARKS.charAt(m);
      delete[m] = digitComma || in.indexOf(p + " ") >= 0 || in.indexOf(" " + p) >= 0;
    }
    StringBuilder out = new StringBuilder(in.length());
    for (int i = 0; i < in.length(); i++) {
      char c = in.charAt(i);
      int m = MARKS.indexOf(c);
      if (m < 0) {
        out.append(c);
      } else if (!delete[m]) {
        out.append(' ');
      }
    }
    return out.toString();
  }

  private static boolean hasDigitCommaDigit(String s) {
    for (int i = 1; i < s.length() - 1; i++) {
      if (s.charAt(i) == ','
          && PyText.isDecimal(Character.codePointBefore(s, i))
          && PyText.isDecimal(Character.codePointAt(s, i + 1))) {
        return true;
      }
    }
    return false;
  }

  private static String periods(String in) {
    StringBuilder out = new StringBuilder(in.length());
    int removed = 0;
    for (int i = 0; i < in.length(); i++) {
      char c = in.charAt(i);
      boolean beforeDigit =
          i + 1 < in.length() && PyText.isDecimal(Character.codePointAt(in, i + 1));
      if (c == '.' && !beforeDigit && removed < PERIOD_LIMIT) {
        removed++;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static String wordsOf(String in) {
    List<String> words = PyText.split(in.toLowerCase(Locale.ROOT));
    StringBuilder out = new StringBuilder(in.length());
    for (String word : words) {
      String w = NUMBER_WORDS.getOrDefault(word, word);
      if (ARTICLES.contains(w)) {
        continue;
      }
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(CONTRACTIONS.getOrDefault(w, w));
    }
    return out.toString();
  }

  private static Map<String, String> loadContractions() {
    Map<String, String> table = new HashMap<>();
    for (String line : PyText.resourceLines("vqa-contractions.tsv")) {
      int tab = line.indexOf('\t');
      table.put(line.substring(0, tab), line.substring(tab + 1));
    }
    return Map.copyOf(table);
  }
}
