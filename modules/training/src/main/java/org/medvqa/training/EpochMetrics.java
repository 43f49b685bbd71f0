package org.medvqa.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One line of {@code metrics.jsonl}: what an epoch did. The report and the notebooks read these.
 *
 * @param epoch 1-based
 * @param trainLoss the training master's score after the epoch (mean minibatch loss of the last
 *     averaging round, regularisation included)
 * @param validationLoss mean loss on the validation examples
 * @param validationScore the model's validation metric (higher is better)
 * @param metric that metric's name
 * @param seconds wall time of the epoch's fit
 * @param samplesPerSecond training examples / seconds
 * @param best whether this epoch is the best so far
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

  public static EpochMetrics fromJson(String line) {
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(line);
      String metric = o.get("metric").asText();
      return new EpochMetrics(
          o.get("epoch").asInt(),
          o.get("train_loss").asDouble(),
          o.get("validation_loss").asDouble(),
          o.get("validation_" + metric).asDouble(),
          metric,
          o.get("seconds").asDouble(),
          o.get("samples_per_second").asDouble(),
          o.get("best").asBoolean());
    } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("not a metrics line: " + line, e);
    }
  }
}
