package org.medvqa.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of a model's {@code metrics.jsonl}: what an epoch did. Training writes these; the run
 * report and the notebooks read them. It lives in core so that readers need not depend on the
 * training module (and DL4J).
 *
 * @param epoch 1-based
 * @param trainLoss the training master's score after the epoch (mean minibatch loss of the last
 *     averaging round, regularisation included)
 * @param validationLoss mean loss on the validation examples
 * @param validationScore the model's validation metric (higher is better)
 * @param metric that metric's name, e.g. {@code accuracy}
 * @param seconds wall time of the epoch's fit
 * @param samplesPerSecond training examples / seconds
 * @param best whether this epoch is the best so far (the model kept is the last such epoch)
 */
public record EpochMetrics(
    int epoch,
    double trainLoss,
    double validationLoss,
    double validationScore,
    String metric,
    double seconds,
    double samplesPerSecond,
    boolean best) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", epoch);
    o.put("train_loss", trainLoss);
    o.put("validation_loss", validationLoss);
    o.put("validation_" + metric, validationScore);
    o.put("metric", metric);
    o.put("seconds", seconds);
    o.put("samples_per_second", samplesPerSecond);
    o.put("best", best);
    return o.toString();
  }

  /**
   * One line. A number that is absent (a file written by an older version) reads as NaN.
   *
   * @throws IllegalArgumentException when the line is not JSON or has no epoch number
   */
  public static EpochMetrics fromJson(String line) {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (o == null || !o.isObject() || !o.path("epoch").canConvertToInt()) {
      throw new IllegalArgumentException("no \"epoch\" number");
    }
    String metric = o.path("metric").asText("");
    return new EpochMetrics(
        o.get("epoch").asInt(),
        number(o, "train_loss"),
        number(o, "validation_loss"),
        metric.isEmpty() ? Double.NaN : number(o, "validation_" + metric),
        metric,
        number(o, "seconds"),
        number(o, "samples_per_second"),
        o.path("best").asBoolean(false));
  }

  /**
   * A whole {@code metrics.jsonl}; blank lines are skipped.
   *
   * @throws IllegalArgumentException naming the source, the line and the reason
   */
  public static List<EpochMetrics> parseAll(String text, String source) {
    List<EpochMetrics> rows = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].isBlank()) {
        try {
          rows.add(fromJson(lines[i]));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              source + " line " + (i + 1) + ": " + e.getMessage(), e);
        }
      }
    }
    return rows;
  }

  private static double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
  }
}
