package org.medvqa.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageFailure;

/**
 * The models of one run name that {@code retrain} keeps: {@code models/<id>/} (each model's
 * pipeline folder), {@code current} (the current model's id, replaced in one write) and {@code
 * decisions.jsonl} (every decision, promoted or not, with its reason).
 */
public final class ModelRegistry {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HadoopFiles files;
  private final Path models;
  private final Path currentFile;
  private final Path decisions;

  /** A decision about a candidate, as one line of {@code decisions.jsonl}. */
  record Decision(
      String candidate,
      String release,
      String evaluation,
      String metric,
      double candidateScore,
      String current,
      Double currentScore,
      boolean promoted,
      String reason) {}

  ModelRegistry(HadoopFiles files, Path root) throws IOException {
    this.files = files;
    this.models = new Path(root, "models");
    this.currentFile = new Path(root, "current");
    this.decisions = new Path(root, "decisions.jsonl");
    files.fs(models).mkdirs(models);
  }

  /** The folder of model {@code id}. */
  Path model(String id) {
    return new Path(models, id);
  }

  Path decisions() {
    return decisions;
  }

  /** The current model's id, or "" when there is none. */
  String currentId() throws IOException {
    return files.exists(currentFile) ? text(currentFile).trim() : "";
  }

  /** Whether a decision about {@code id} is recorded. */
  boolean decided(String id) throws IOException {
    if (!files.exists(decisions)) {
      return false;
    }
    for (String line : text(decisions).split("\n")) {
      if (!line.isBlank() && JSON.readTree(line).path("candidate").asText().equals(id)) {
        return true;
      }
    }
    return false;
  }

  /** Records {@code d}, and makes its candidate current when it was promoted. */
  void record(Decision d) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("time", Instant.now().toString());
    n.put("candidate", d.candidate());
    n.put("release", d.release());
    n.put("evaluation", d.evaluation());
    n.put("metric", d.metric());
    n.put("candidate_score", d.candidateScore());
    n.put("current", d.current());
    if (d.currentScore() != null) {
      n.put("current_score", d.currentScore());
    }
    n.put("promoted", d.promoted());
    n.put("reason", d.reason());
    // Rewritten whole: Hadoop object stores cannot append.
    String before = files.exists(decisions) ? text(decisions) : "";
    files.write(decisions, before + JSON.writeValueAsString(n) + "\n");
    if (d.promoted()) {
      files.write(currentFile, d.candidate() + "\n");
    }
  }

  /** What was decided about a candidate, and why. */
  record Verdict(double score, Double currentScore, boolean promote, String reason) {}

  /**
   * Promote or keep candidate {@code id}: a first model is promoted; a current model scored on
   * another evaluation release is not compared; otherwise the candidate must gain more than {@code
   * minGain} on {@code metric}.
   */
  Verdict judge(
      String id, RunRecord current, String evaluationFingerprint, String metric, double minGain)
      throws IOException {
    double score = metric(model(id), metric);
    if (current == null) {
      return new Verdict(score, null, true, "no current model");
    }
    if (!current.testReleaseFingerprint().equals(evaluationFingerprint)) {
      return new Verdict(
          score,
          null,
          false,
          "the current model was scored on another evaluation release; not compared (score the"
              + " current model on this release, or promote by hand)");
    }
    double currentScore = metric(model(currentId()), metric);
    double gain = score - currentScore;
    boolean promote = gain > minGain;
    String reason =
        String.format(
            Locale.ROOT,
            "%s %.4f vs current %.4f: gain %+.4f %s min-gain %.4f",
            metric,
            score,
            currentScore,
            gain,
            promote ? ">" : "<=",
            minGain);
    return new Verdict(score, currentScore, promote, reason);
  }

  /** Metric {@code name} of the run in folder {@code run}. */
  double metric(Path run, String name) throws IOException {
    Path metrics = new Path(run, "metrics.json");
    JsonNode m = JSON.readTree(files.readAll(metrics));
    if (!m.has(name)) {
      throw new StageFailure(
          metrics + " has no " + name + " (is medvqa.retrain.metric right for this task?)");
    }
    return m.get(name).asDouble();
  }

  private String text(Path p) throws IOException {
    return new String(files.readAll(p), StandardCharsets.UTF_8);
  }
}
