package org.medvqa.augment.text;

import java.util.Locale;
import org.tartarus.snowball.ext.EnglishStemmer;

/**
 * Whether two words are forms of the same word: the same Snowball English stem (Lucene's
 * implementation; "organ" and "organs") or the same OpenNLP lemma under the candidate's tag
 * ("shown" and "show"). Not thread-safe.
 */
public final class WordForms {
  private final EnglishStemmer stemmer = new EnglishStemmer();
  private final PosTagger lemmas;
  private final boolean byStem;
  private final boolean byLemma;

  /**
   * @param lemmas the tagger whose lemmatizer is used; may be null when {@code byLemma} is false
   *     (then {@link #sameInflection} accepts everything)
   */
  public WordForms(PosTagger lemmas, boolean byStem, boolean byLemma) {
    if (byLemma && lemmas == null) {
      throw new IllegalArgumentException("lemma comparison needs a tagger");
    }
    this.lemmas = lemmas;
    this.byStem = byStem;
    this.byLemma = byLemma;
  }

  /** The Snowball English stem of a word (lower-cased first). */
  public String stem(String word) {
    stemmer.setCurrent(word.toLowerCase(Locale.ROOT));
    stemmer.stem();
    return stemmer.getCurrent();
  }

  /**
   * True when {@code other} is the same word as {@code word} (tagged {@code tag}) under the
   * configured comparisons, ignoring case.
   */
  public boolean same(String word, String tag, String other) {
    String a = word.toLowerCase(Locale.ROOT);
    String b = other.toLowerCase(Locale.ROOT);
    if (a.equals(b)) {
      return true;
    }
    if (byStem && stem(a).equals(stem(b))) {
      return true;
    }
    if (byLemma) {
      String la = lemmas.lemma(a, tag).toLowerCase(Locale.ROOT);
      String lb = lemmas.lemma(b, tag).toLowerCase(Locale.ROOT);
      return la.equals(lb) || la.equals(b) || lb.equals(a);
    }
    return false;
  }

  /**
   * True when both words are inflected, or both are base forms, by their lemmas under {@code tag}:
   * "shown" may become "displayed" but not "appear", "patient" may become "doctor" but not
   * "doctors". Always true when lemmas are not compared.
   */
  public boolean sameInflection(String word, String tag, String other) {
    if (lemmas == null) {
      return true;
    }
    return inflected(word, tag) == inflected(other, tag);
  }

  private boolean inflected(String word, String tag) {
    String w = word.toLowerCase(Locale.ROOT);
    return !lemmas.lemma(w, tag).toLowerCase(Locale.ROOT).equals(w);
  }
}
