package org.medvqa.core.baseline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Answers every question with the most frequent training answer of its category. It reads no image,
 * so it is the floor any image model must clear, and on the 2019 data it shows how much of the
 * score the question category alone gives (plane and modality answers are few).
 */
public final class MajorityBaseline {
  public static final String TYPE = "majority";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, String> answerByCategory;
  private final String overall;

  private MajorityBaseline(Map<String, String> answerByCategory, String overall) {
    this.answerByCategory = Map.copyOf(answerByCategory);
    this.overall = Objects.requireNonNull(overall, "overall");
  }

  /**
   * Fits from answer counts per category. Ties go to the alphabetically first answer, so that a
   * rerun on the same data gives the same model.
   *
   * @param counts category -> answer -> count
   * @throws IllegalArgumentException when there is nothing to count
   */
  public static MajorityBaseline fit(Map<String, Map<String, Long>> counts) {
    if (counts.values().stream().allMatch(Map::isEmpty)) {
      throw new IllegalArgumentException("no training answers to count");
    }
    Map<String, String> best = new TreeMap<>();
    Map<String, Long> all = new TreeMap<>();
    counts.forEach(
        (category, answers) -> {
          if (!answers.isEmpty()) {
            best.put(category, argmax(answers));
          }
          answers.forEach((a, n) -> all.merge(a, n, Long::sum));
        });
    return new MajorityBaseline(best, argmax(all));
  }

  private static String argmax(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .max(
            Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue)
                .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
        .orElseThrow()
        .getKey();
  }

  /** The answer for a question of {@code category}; the overall majority for an unseen one. */
  public String predict(String category) {
    return category == null ? overall : answerByCategory.getOrDefault(category, overall);
  }

  public Map<String, String> answerByCategory() {
    return answerByCategory;
  }

  public String overall() {
    return overall;
  }

  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", TYPE);
    root.put("overall", overall);
    ObjectNode per = root.putObject("per_category");
    new TreeMap<>(answerByCategory).forEach(per::put);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads what {@link #toJson()} wrote; a file of another model type is refused. */
  public static MajorityBaseline fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      if (!TYPE.equals(root.path("type").asText())) {
        throw new IllegalArgumentException(
            "model type is '" + root.path("type").asText() + "', expected '" + TYPE + "'");
      }
      Map<String, String> per = new LinkedHashMap<>();
      root.path("per_category")
          .fields()
          .forEachRemaining(e -> per.put(e.getKey(), e.getValue().asText()));
      return new MajorityBaseline(per, root.path("overall").asText());
    } catch (IOException e) {
      throw new IllegalArgumentException("not a model file: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "MajorityBaseline" + new TreeMap<>(answerByCategory) + " overall=" + overall;
  }
}
