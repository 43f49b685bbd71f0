package org.medvqa.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The official BLEU preprocessing of one answer or question: lower-case, delete ASCII punctuation
 * (Python's {@code string.punctuation}), tokenise like NLTK's {@code word_tokenize}, drop NLTK's
 * 179 English stopwords, and stem like NLTK's {@code SnowballStemmer("english")}.
 *
 * <p>Once the ASCII punctuation is gone, the only Treebank rules left that can fire are the
 * contraction splits {@code cannot → can not}, {@code gimme}, {@code gonna}, {@code gotta}, {@code
 * lemme} (each a whole run of word characters) and {@code wanna} followed by a space; in {@link
 * BleuMode#NLTK_3_4} mode, {@code word_tokenize} also splits off «“‘„»”’ as tokens of their own.
 * Dashes such as – stay inside words in both. Tokens are then split on Python whitespace, which
 * includes the no-break space.
 *
 * <p>Not thread-safe (it holds a stemmer and a small cache): use one instance per thread.
 */
public final class BleuTokenizer {

  private static final Set<String> STOPWORDS = Set.copyOf(PyText.resourceLines("stopwords-en.txt"));

  /** Python's {@code string.punctuation}. */
  private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  private static final boolean[] IS_PUNCTUATION = new boolean[128];

  /** The quotes NLTK ≥ 3.4's {@code word_tokenize} pads with spaces. */
  private static final String SPLIT_QUOTES = "«“‘„»”’";

  /** Bounded so a long-running job cannot grow it without limit. */
  private static final int CACHE_LIMIT = 50_000;

  static {
    for (char c : ASCII_PUNCTUATION.toCharArray()) {
      IS_PUNCTUATION[c] = true;
    }
  }

  private final BleuMode mode;
  private final NltkEnglishStemmer stemmer = new NltkEnglishStemmer();
  private final Map<String, String> stems = new HashMap<>();

  /** A tokenizer for the default mode, {@link BleuMode#NLTK_3_2_2}. */
  public BleuTokenizer() {
    this(BleuMode.NLTK_3_2_2);
  }

  /** A tokenizer following the {@code word_tokenize} of the given NLTK release. */
  public BleuTokenizer(BleuMode mode) {
    this.mode = mode;
  }

  /** The mode whose tokenisation this follows. */
  public BleuMode mode() {
    return mode;
  }

  /** NLTK's English stopword list (179 words), as an unmodifiable set. */
  public static Set<String> stopwords() {
    return STOPWORDS;
  }

  /** The stemmed, stopword-free tokens BLEU is computed on. */
  public List<String> tokens(String text) {
    List<String> words = words(text);
    List<String> tokens = new ArrayList<>(words.size());
    for (String word : words) {
      if (!STOPWORDS.contains(word)) {
        tokens.add(stem(word));
      }
    }
    return tokens;
  }

  /** The NLTK stem of one lower-case word. */
  public String stem(String word) {
    String stem = stems.get(word);
    if (stem == null) {
      if (stems.size() >= CACHE_LIMIT) {
        stems.clear();
      }
      stem = stemmer.stem(word);
      stems.put(word, stem);
    }
    return stem;
  }

  /** The words {@code word_tokenize} yields after lower-casing and punctuation removal. */
  List<String> words(String text) {
    String t = withoutPunctuation(text.toLowerCase(Locale.ROOT));
    boolean splitQuotes = mode == BleuMode.NLTK_3_4;
    // word_tokenize runs on punkt's sentence, which drops trailing whitespace; that decides
    // whether a final "wanna" is followed by the space NLTK 3.2.2's rule wants.
    int end = t.length();
    while (end > 0 && PyText.isSpace(t.charAt(end - 1))) {
      end--;
    }
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    int i = 0;
    while (i < end) {
      int c = t.codePointAt(i);
      if (PyText.isSpace(c)) {
        flush(word, words);
        i += Character.charCount(c);
      } else if (splitQuotes && SPLIT_QUOTES.indexOf(c) >= 0) {
        flush(word, words);
        words.add(Character.toString(c));
        i += Character.charCount(c);
      } else if (PyText.isWordChar(c)) {
        int j = i;
        while (j < end && PyText.isWordChar(t.codePointAt(j))) {
          j += Character.charCount(t.codePointAt(j));
        }
        int split = contractionSplit(t, i, j, end, splitQuotes);
        if (split > 0) {
          // NLTK substitutes " \1 \2 ", so the pieces stand alone whatever touched them.
          flush(word, words);
          words.add(t.substring(i, i + split));
          words.add(t.substring(i + split, j));
        } else {
          word.append(t, i, j);
        }
        i = j;
      } else {
        word.appendCodePoint(c);
        i += Character.charCount(c);
      }
    }
    flush(word, words);
    return words;
  }

  /**
   * Where MacIntyre's contraction rules split the word-character run {@code t[from, to)}, or 0.
   * Each rule is {@code \b…\b} (case-insensitive, so Python also lets "ı" match "i"), i.e. the
   * whole run; "wanna" must also be followed by whitespace: a plain space in 3.2.2 ({@code (na) }),
   * any whitespace or a split quote in 3.4 ({@code (na)\s}); the end of the sentence counts, as
   * NLTK pads it with a space.
   */
  private static int contractionSplit(String t, int from, int to, int end, boolean quotesSplit) {
    int length = to - from;
    if (length == 6 && t.startsWith("cannot", from)) {
      return 3;
    }
    if (length != 5) {
      return 0;
    }
    String run = t.substring(from, to);
    switch (run) {
      case "gimme", "gımme", "gonna", "gotta", "lemme" -> {
        return 3;
      }
      case "wanna" -> {
        if (to >= end) {
          return 3;
        }
        int next = t.codePointAt(to);
        boolean spaced =
            quotesSplit ? PyText.isSpace(next) || SPLIT_QUOTES.indexOf(next) >= 0 : next == ' ';
        return spaced ? 3 : 0;
      }
      default -> {
        return 0;
      }
    }
  }

  private static void flush(StringBuilder word, List<String> words) {
    if (word.length() > 0) {
      words.add(word.toString());
      word.setLength(0);
    }
  }

  private static String withoutPunctuation(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 128 && IS_PUNCTUATION[c]) {
        if (b == null) {
          b = new StringBuilder(s.length());
          b.append(s, 0, i);
        }
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }
}
