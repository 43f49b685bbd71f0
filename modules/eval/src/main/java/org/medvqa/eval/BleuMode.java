package org.medvqa.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which NLTK the official evaluator ran, since sentence BLEU without smoothing changed between
 * releases, and so did {@code word_tokenize}.
 */
public enum BleuMode {
  /**
   * NLTK 3.2.2, as run by the 2019 evaluator. An n-gram order with no match ends the product, and
   * the orders before it keep their 0.25 weights, so an exact 1-3 word answer scores 1.0. Words are
   * tokenised by the plain Treebank rules (curly quotes stay inside words).
   */
  NLTK_3_2_2("nltk-3.2.2"),
  /**
   * NLTK 3.4 and later, as run by the 2020 and 2021 evaluators. An order with no match counts as
   * the smallest normal double, so a short answer with no 4-gram overlap scores about 0. {@code
   * word_tokenize} also splits off the curly quotes «“‘„»”’.
   */
  NLTK_3_4("nltk-3.4");

  private final String label;

  BleuMode(String label) {
    this.label = label;
  }

  /** The configuration name: {@code nltk-3.2.2} or {@code nltk-3.4}. */
  public String label() {
    return label;
  }

  /** Parses {@code nltk-3.2.2} or {@code nltk-3.4} (case-insensitive). */
  public static BleuMode fromName(String name) {
    String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (BleuMode mode : values()) {
      if (mode.label.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown BLEU mode '"
            + name
            + "'; valid values: "
            + Arrays.stream(values()).map(BleuMode::label).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return label;
  }
}
