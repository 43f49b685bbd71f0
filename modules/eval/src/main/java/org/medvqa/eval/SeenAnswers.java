package org.medvqa.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The answers a model saw in training, per question category, normalised as accuracy compares them.
 * A model that answers with one of its training answers (a classifier, a nearest-neighbour memory)
 * cannot answer a question right whose references are all unseen, so the share of questions with a
 * seen reference bounds its accuracy; {@link ErrorAnalysis} prints it beside each group's.
 *
 * <p>The file has one {@code category<TAB>answer} line per answer (the category empty for rows
 * without one, whose answers count for every category), as the {@code run} pipeline writes it from
 * the training manifest.
 */
public final class SeenAnswers {
  private static final String ANY = "";

  private final Map<String, Set<String>> byCategory;

  private SeenAnswers(Map<String, Set<String>> byCategory) {
    this.byCategory = byCategory;
  }

  /** Answers given in memory: category ("" for none) to answers, normalised here. */
  public static SeenAnswers of(Map<String, ? extends Iterable<String>> answers) {
    Map<String, Set<String>> m = new HashMap<>();
    answers.forEach(
        (c, list) -> {
          Set<String> s = m.computeIfAbsent(c == null ? ANY : c, k -> new HashSet<>());
          list.forEach(a -> s.add(AccuracyNormalizer.normalize(a)));
        });
    return new SeenAnswers(m);
  }

  /**
   * Reads the file; a line without exactly one tab is an {@link IllegalArgumentException} naming
   * {@code source} and the line.
   */
  public static SeenAnswers read(InputStream in, String source) throws IOException {
    Map<String, Set<String>> m = new HashMap<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int n = 0;
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      n++;
      String[] f = line.split("\t", -1);
      if (f.length != 2) {
        throw new IllegalArgumentException(
            source
                + " line "
                + n
                + ": expected category<TAB>answer, got "
                + (f.length - 1)
                + " tabs");
      }
      m.computeIfAbsent(f[0].trim(), k -> new HashSet<>()).add(AccuracyNormalizer.normalize(f[1]));
    }
    return new SeenAnswers(m);
  }

  /**
   * Whether {@code reference} (raw) was seen with {@code category}, or without a category; a
   * question without a category (null) matches an answer of any.
   */
  public boolean contains(String category, String reference) {
    String a = AccuracyNormalizer.normalize(reference);
    if (category == null) {
      return byCategory.values().stream().anyMatch(s -> s.contains(a));
    }
    return byCategory.getOrDefault(category, Set.of()).contains(a)
        || byCategory.getOrDefault(ANY, Set.of()).contains(a);
  }

  /** The number of distinct answers, over all categories. */
  public int size() {
    return byCategory.values().stream().mapToInt(Set::size).sum();
  }
}
