package org.medvqa.eval.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A run's {@code metrics.json}, the evaluator's JSON: {@code
 * {"task":"vqa","accuracy":…,"bleu":…,"count":N,"per_category":{name:{accuracy,bleu,count}}}}, or
 * for VQG {@code {"task":"vqg","bleu":…,"count":N}}. A score the file does not hold is NaN.
 *
 * @param task {@code vqa} or {@code vqg}
 * @param accuracy the official accuracy (NaN for VQG)
 * @param bleu the official BLEU
 * @param count the number of scored items (images for VQG)
 * @param perCategory the scores per question category, in the file's order (empty for VQG)
 */
public record RunMetrics(
    String task, double accuracy, double bleu, long count, Map<String, Score> perCategory) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The scores of one category. */
  public record Score(double accuracy, double bleu, long count) {}

  public RunMetrics {
    perCategory = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(perCategory));
  }

  /** The metric runs of this task are ranked by: accuracy for VQA, BLEU for VQG. */
  public double main() {
    return isVqg() ? bleu : accuracy;
  }

  /** The name of {@link #main()}. */
  public String mainName() {
    return isVqg() ? "BLEU" : "accuracy";
  }

  public boolean isVqg() {
    return "vqg".equals(task);
  }

  /**
   * Parses the JSON text.
   *
   * @param source the file's name, for the message
   * @throws IllegalArgumentException naming the source and what is wrong
   */
  public static RunMetrics parse(String json, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(source + " is not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(source + " is not a JSON object");
    }
    String task = root.path("task").asText("").toLowerCase(Locale.ROOT);
    if (!task.equals("vqa") && !task.equals("vqg")) {
      throw new IllegalArgumentException(
          source + ": \"task\" is '" + root.path("task").asText("") + "', expected vqa or vqg");
    }
    Map<String, Score> categories = new LinkedHashMap<>();
    JsonNode per = root.path("per_category");
    if (per.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = per.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        categories.put(
            e.getKey(),
            new Score(
                number(e.getValue(), "accuracy"),
                number(e.getValue(), "bleu"),
                e.getValue().path("count").asLong(0)));
      }
    }
    double accuracy = number(root, "accuracy");
    double bleu = number(root, "bleu");
    if (Double.isNaN(task.equals("vqg") ? bleu : accuracy)) {
      throw new IllegalArgumentException(
          source + " has no " + (task.equals("vqg") ? "\"bleu\"" : "\"accuracy\"") + " number");
    }
    return new RunMetrics(task, accuracy, bleu, root.path("count").asLong(0), categories);
  }

  private static double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
  }
}
