package org.medvqa.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of a question, which limits what its answer can be: a yes/no question ("is this an
 * mri?") is answered yes or no; a choice question ("is this a t1, t2, or flair image?") by one of
 * the options it names; any other question is open. Measured on the 12,792 VQA-Med 2019 training
 * questions: every one of the 1,294 yes/no questions has answer yes or no, and every one of the 445
 * choice questions an answer whose words all stand in the question (VQA-RAD: 905 of 917 and 75 of
 * 86).
 */
public enum QuestionForm {
  YES_NO,
  CHOICE,
  OPEN;

  /** A question that starts with an auxiliary verb asks for a yes or a no, or a choice. */
  private static final Pattern AUXILIARY =
      Pattern.compile(
          "^(is|are|was|were|does|do|did|can|could|has|have|had|will|would|should|shall)\\b");

  private static final Pattern OR = Pattern.compile("\\bor\\b");
  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

  /** The form of {@code question} (any case). */
  public static QuestionForm of(String question) {
    String q = question == null ? "" : question.trim().toLowerCase(Locale.ROOT);
    if (!AUXILIARY.matcher(q).find()) {
      return OPEN;
    }
    return OR.matcher(q).find() ? CHOICE : YES_NO;
  }

  /** The words of a text, lower-cased (letters and digits; punctuation and dashes dropped). */
  public static Set<String> words(String text) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = WORD.matcher(text == null ? "" : text.toLowerCase(Locale.ROOT));
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /**
   * Whether {@code answer} can answer {@code question} of this form: yes or no for {@link #YES_NO};
   * an answer whose words all stand in the question for {@link #CHOICE} (the option it names);
   * anything for {@link #OPEN}.
   */
  public boolean allows(String question, String answer) {
    String a = answer == null ? "" : answer.trim().toLowerCase(Locale.ROOT);
    return switch (this) {
      case YES_NO -> a.equals("yes") || a.equals("no");
      case CHOICE -> !a.isEmpty() && words(question).containsAll(words(a));
      case OPEN -> true;
    };
  }

  /** The indices of {@code answers} that {@link #allows} for {@code question}. */
  public List<Integer> allowed(String question, List<String> answers) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      if (allows(question, answers.get(i))) {
        out.add(i);
      }
    }
    return out;
  }

  /** The lower-case name used in reports ("yes_no", "choice", "open"). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
