package org.medvqa.augment.text;

import java.io.Serializable;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which words may be replaced and which may come in: a candidate has one of the configured tags,
 * and both candidates and replacements match the word pattern, are long enough, and are neither
 * stopwords nor protected. Serializable (it holds only settings).
 */
public final class CandidateFilter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final QuestionAugmentSettings settings;
  private final Set<String> stopwords;
  private transient Pattern pattern;

  public CandidateFilter(QuestionAugmentSettings settings) {
    this.settings = settings;
    Set<String> s = new HashSet<>(Stopwords.english());
    s.addAll(settings.extraStopwords());
    this.stopwords = Set.copyOf(s);
  }

  /** The form under which a token is looked up in the vectors (lower case unless configured). */
  public String lookupForm(String token) {
    return settings.lowercase() ? token.toLowerCase(Locale.ROOT) : token;
  }

  /** Whether the token, tagged {@code tag}, may be replaced. */
  public boolean isCandidate(String token, String tag) {
    return settings.tags().contains(tag) && acceptable(lookupForm(token));
  }

  /** Whether a word may be replaced or put in, whatever its tag. */
  public boolean acceptable(String word) {
    String lower = word.toLowerCase(Locale.ROOT);
    return word.codePointCount(0, word.length()) >= settings.minWordLength()
        && !stopwords.contains(lower)
        && !settings.protectedWords().contains(lower)
        && pattern().matcher(word).matches();
  }

  public boolean isStopword(String word) {
    return stopwords.contains(word.toLowerCase(Locale.ROOT));
  }

  public boolean isProtected(String word) {
    return settings.protectedWords().contains(word.toLowerCase(Locale.ROOT));
  }

  private Pattern pattern() {
    if (pattern == null) {
      pattern = Pattern.compile(settings.wordPattern());
    }
    return pattern;
  }
}
