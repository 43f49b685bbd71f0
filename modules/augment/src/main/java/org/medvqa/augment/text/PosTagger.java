package org.medvqa.augment.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import opennlp.tools.lemmatizer.LemmatizerME;
import opennlp.tools.postag.POSTagFormat;
import opennlp.tools.postag.POSTaggerME;
import opennlp.tools.tokenize.TokenizerME;
import opennlp.tools.util.Span;

/**
 * OpenNLP tokenizer, POS tagger (Universal Dependencies tags) and lemmatizer over the shared models
 * of {@link OpenNlpModels}. Not thread-safe: make one per thread or Spark partition (cheap; the
 * models are loaded once per JVM).
 */
public final class PosTagger {
  private final TokenizerME tokenizer;
  private final POSTaggerME tagger;
  private final LemmatizerME lemmatizer;

  public PosTagger(QuestionAugmentSettings s) {
    this(s.tokenizerModel(), s.posModel(), s.lemmatizerModel());
  }

  /** A tagger over the named models (classpath resources or files). */
  public PosTagger(String tokenizerModel, String posModel, String lemmatizerModel) {
    this.tokenizer = new TokenizerME(OpenNlpModels.tokenizer(tokenizerModel));
    this.tagger = new POSTaggerME(OpenNlpModels.pos(posModel), POSTagFormat.UD);
    this.lemmatizer = new LemmatizerME(OpenNlpModels.lemmatizer(lemmatizerModel));
  }

  /** Tokenizes and tags a question; an empty or blank one has no tokens. */
  public TaggedQuestion tag(String text) {
    if (text == null) {
      throw new IllegalArgumentException("question is null");
    }
    Span[] spans = text.isBlank() ? new Span[0] : tokenizer.tokenizePos(text);
    String[] tokens = new String[spans.length];
    int[] starts = new int[spans.length];
    int[] ends = new int[spans.length];
    for (int i = 0; i < spans.length; i++) {
      starts[i] = spans[i].getStart();
      ends[i] = spans[i].getEnd();
      tokens[i] = text.substring(starts[i], ends[i]);
    }
    String[] tags = tokens.length == 0 ? new String[0] : tagger.tag(tokens);
    return new TaggedQuestion(text, tokens, starts, ends, tags);
  }

  /**
   * The words of a text as a corpus for training vectors: its tokens that hold a letter or a digit
   * (punctuation dropped), lower-cased when asked, so that they match how candidates are looked up.
   */
  public List<String> words(String text, boolean lowercase) {
    List<String> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String t : tokenizer.tokenize(text)) {
      if (t.codePoints().anyMatch(Character::isLetterOrDigit)) {
        out.add(lowercase ? t.toLowerCase(Locale.ROOT) : t);
      }
    }
    return out;
  }

  /** Tags tokens as given (no tokenization): how a rewrite is checked to keep its tags. */
  public String[] tags(String[] tokens) {
    return tokens.length == 0 ? new String[0] : tagger.tag(tokens);
  }

  /** The lemma of one word read with the given tag ("shown", VERB gives "show"). */
  public String lemma(String word, String tag) {
    return lemmatizer.lemmatize(new String[] {word}, new String[] {tag})[0];
  }
}
