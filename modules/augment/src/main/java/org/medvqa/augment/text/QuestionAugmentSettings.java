package org.medvqa.augment.text;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.augment.questions} settings (see {@code reference.conf}, where each default is
 * explained). Serializable, so that Spark tasks receive them with the function that uses them.
 *
 * @param manifest the input manifest ("" when only the library is used)
 * @param out the output folder ("" when only the library is used)
 * @param splits splits whose questions get variants; empty for every split
 * @param keepOriginals whether every input row is copied as variant 0
 * @param variants K, the most rewrites per question
 * @param mode one replacement per variant, or all candidates at once
 * @param seed decides, with the sample id, the order in which candidates are rewritten
 * @param tags UD tags of candidate words
 * @param protectedWords words never replaced and never put in (lower case)
 * @param extraStopwords stopwords added to the built-in list (lower case)
 * @param minWordLength shorter words are neither candidates nor replacements
 * @param wordPattern regular expression candidates and replacements must match
 * @param lowercase whether words are looked up lower-cased
 * @param minSimilarity cosine similarity threshold
 * @param neighbours neighbours kept per candidate after filtering
 * @param searchDepth nearest words looked at per candidate before filtering
 * @param distinctStem refuse a neighbour with the candidate's Snowball stem
 * @param distinctLemma refuse a neighbour with the candidate's lemma
 * @param sameInflection an inflected candidate takes only inflected neighbours, a base form only
 *     base forms
 * @param samePos the neighbour must keep the candidate's tag in the rewritten question
 * @param keepCategory drop a rewrite whose inferred category differs from the original's
 * @param searchThreads driver threads for the neighbour search; 0 for every core
 * @param cacheSize distinct questions remembered per task
 * @param maxRejectedFraction the job fails when more input rows than this are rejected
 * @param tokenizerModel OpenNLP tokenizer model (classpath resource or file)
 * @param posModel OpenNLP POS model (classpath resource or file)
 * @param lemmatizerModel OpenNLP lemmatizer model (classpath resource or file)
 */
public record QuestionAugmentSettings(
    String manifest,
    String out,
    List<String> splits,
    boolean keepOriginals,
    int variants,
    Mode mode,
    long seed,
    Set<String> tags,
    Set<String> protectedWords,
    Set<String> extraStopwords,
    int minWordLength,
    String wordPattern,
    boolean lowercase,
    double minSimilarity,
    int neighbours,
    int searchDepth,
    boolean distinctStem,
    boolean distinctLemma,
    boolean sameInflection,
    boolean samePos,
    boolean keepCategory,
    int searchThreads,
    int cacheSize,
    double maxRejectedFraction,
    String tokenizerModel,
    String posModel,
    String lemmatizerModel)
    implements Serializable {

  /** Where the settings live in the configuration. */
  public static final String PATH = "medvqa.augment.questions";

  /**
   * Reads and checks {@code medvqa.augment.questions} of a resolved configuration (missing keys
   * come from the reference defaults).
   *
   * @throws ConfigProblem naming the key of any wrong value
   */
  public static QuestionAugmentSettings from(Config root) {
    Config resolved = root.withFallback(ConfigFactory.defaultReference()).resolve();
    resolved.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = resolved.getConfig(PATH);
    Mode mode;
    try {
      mode = Mode.fromName(c.getString("mode"));
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem("config key '" + PATH + ".mode' is " + e.getMessage());
    }
    String pattern = c.getString("word-pattern");
    try {
      Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new ConfigProblem(
          "config key '" + PATH + ".word-pattern' is not a regular expression: " + e.getMessage());
    }
    int neighbours = atLeast(c, "neighbours", 1);
    int depth = atLeast(c, "search-depth", 1);
    if (depth < neighbours) {
      throw new ConfigProblem(
          "config key '"
              + PATH
              + ".search-depth' ("
              + depth
              + ") must be at least "
              + PATH
              + ".neighbours ("
              + neighbours
              + ")");
    }
    Set<String> tags = new LinkedHashSet<>(c.getStringList("tags"));
    if (tags.isEmpty()) {
      throw new ConfigProblem("config key '" + PATH + ".tags' is empty: no word could be replaced");
    }
    return new QuestionAugmentSettings(
        c.getString("manifest"),
        c.getString("out"),
        List.copyOf(c.getStringList("splits")),
        c.getBoolean("keep-originals"),
        atLeast(c, "variants", 1),
        mode,
        c.getLong("seed"),
        Set.copyOf(tags),
        lowerSet(c.getStringList("protected")),
        lowerSet(c.getStringList("extra-stopwords")),
        atLeast(c, "min-word-length", 1),
        pattern,
        c.getBoolean("lowercase"),
        ConfigCheck.requireRange(resolved, PATH + ".min-similarity", -1, 1),
        neighbours,
        depth,
        c.getBoolean("distinct-stem"),
        c.getBoolean("distinct-lemma"),
        c.getBoolean("same-inflection"),
        c.getBoolean("same-pos"),
        c.getBoolean("keep-category"),
        atLeast(c, "search-threads", 0),
        atLeast(c, "cache-size", 0),
        ConfigCheck.requireRange(resolved, PATH + ".max-rejected-fraction", 0, 1),
        nonBlank(c, "models.tokenizer"),
        nonBlank(c, "models.pos"),
        nonBlank(c, "models.lemmatizer"));
  }

  /** The settings of the reference configuration alone: the documented defaults. */
  public static QuestionAugmentSettings defaults() {
    return from(ConfigFactory.empty());
  }

  private static int atLeast(Config c, String key, int min) {
    return SettingsChecks.atLeast(c, PATH, key, min);
  }

  private static String nonBlank(Config c, String key) {
    String v = c.getString(key).trim();
    if (v.isEmpty()) {
      throw new ConfigProblem(
          "config key '" + PATH + "." + key + "' is empty (a model resource or file is needed)");
    }
    return v;
  }

  private static Set<String> lowerSet(List<String> words) {
    Set<String> out = new LinkedHashSet<>();
    for (String w : words) {
      out.add(w.trim().toLowerCase(Locale.ROOT));
    }
    return Set.copyOf(out);
  }
}
