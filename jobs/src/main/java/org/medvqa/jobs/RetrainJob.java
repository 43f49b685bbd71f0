package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;

/**
 * {@code retrain}: scheduled retraining of one run when a new release appears. It trains a
 * candidate with {@code pipeline} on the new release plus everything the current model was trained
 * on (as manifests already made, so nothing old is ingested or augmented again, and the shared
 * feature cache extracts only images it has not seen), scores it on the configured evaluation
 * release, and promotes it over the registry's current model only when it is better on the
 * configured metric. Every decision, promoted or not, is recorded with its reason.
 *
 * <p>Registry layout, per run name: {@code <registry>/<run>/models/<id>/} (each model's pipeline
 * folder: model, metrics.json, provenance), {@code current} (the current model's id, replaced in
 * one write) and {@code decisions.jsonl}. A candidate's id is a hash of the new release's and the
 * evaluation release's fingerprints and the settings, so the same command after a failure continues
 * the same candidate, and after a decision is a no-op: a release is tried once per settings.
 */
public final class RetrainJob implements Job {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Settings that make a different candidate from the same release. */
  private static final List<String> CANDIDATE_SETTINGS =
      List.of(
          "medvqa.ingest",
          "medvqa.augment",
          "medvqa.pipeline",
          "medvqa.features",
          "medvqa.train",
          "medvqa.training",
          "medvqa.models",
          "medvqa.predict",
          "medvqa.retrain");

  @Override
  public String name() {
    return "retrain";
  }

  @Override
  public String summary() {
    return "train a candidate on a new release, promote it in the model registry if it scores better";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    Config cfg = ctx.config();
    String release = ConfigCheck.requireString(cfg, "medvqa.retrain.release");
    String evaluation = ConfigCheck.requireString(cfg, "medvqa.retrain.evaluation");
    String registryPath = ConfigCheck.requireString(cfg, "medvqa.retrain.registry");
    String metric =
        ConfigCheck.requireOneOf(cfg, "medvqa.retrain.metric", List.of("accuracy", "bleu"));
    double minGain = cfg.getDouble("medvqa.retrain.min-gain");
    String kind = ConfigCheck.requireOneOf(cfg, "medvqa.train.model", TrainJob.MODELS);
    String runName =
        cfg.getString("medvqa.run.name").isBlank() ? kind : cfg.getString("medvqa.run.name");
    HadoopFiles files = ctx.files();
    Path registry = new Path(files.qualify(registryPath), runName);
    Path models = new Path(registry, "models");
    Path currentFile = new Path(registry, "current");
    Path decisions = new Path(registry, "decisions.jsonl");
    files.fs(models).mkdirs(models);

    // The current model, and what it was trained on: its training manifests become the
    // candidate's extra training data; with no current model, medvqa.retrain.previous.
    String currentId = files.exists(currentFile) ? readText(files, currentFile).trim() : "";
    Path current = currentId.isEmpty() ? null : new Path(models, currentId);
    List<String> earlier = new ArrayList<>();
    if (current != null) {
      JsonNode notes =
          JSON.readTree(files.readAll(new Path(current, "provenance.json"))).path("notes");
      earlier.add(notes.path("train_manifest").asText());
      for (String m : notes.path("extra_manifests").asText("").split(",")) {
        if (!m.isBlank()) {
          earlier.add(m);
        }
      }
    } else {
      earlier.addAll(cfg.getStringList("medvqa.retrain.previous"));
    }

    StageRunner fingerprints = new StageRunner(ctx);
    String releaseFingerprint = fingerprints.fingerprintOf(files.qualify(release));
    String evaluationFingerprint = fingerprints.fingerprintOf(files.qualify(evaluation));
    String id =
        "m-"
            + StageRunner.sha256Hex(
                    releaseFingerprint
                        + "|"
                        + evaluationFingerprint
                        + "|"
                        + StageRunner.settingsHash(cfg, CANDIDATE_SETTINGS))
                .substring(0, 12);
    if (id.equals(currentId) || decided(files, decisions, id)) {
      ctx.say(
          "candidate "
              + id
              + " for this release and settings is decided already (see "
              + decisions
              + ")");
      return Main.OK;
    }
    Path candidate = new Path(models, id);
    ctx.say(
        "candidate "
            + id
            + ": "
            + release
            + (earlier.isEmpty() ? "" : " + " + earlier.size() + " earlier manifest(s)")
            + (current == null ? "; no current model" : "; current " + currentId));

    Config run =
        RunJob.set(
            cfg,
            "medvqa.data.train",
            release,
            "medvqa.data.extra-train",
            earlier,
            "medvqa.data.test",
            evaluation,
            "medvqa.run.test-split",
            cfg.getString("medvqa.retrain.evaluation-split"),
            "medvqa.out",
            candidate);
    int rc = new RunJob().run(ctx.derive("pipeline", run));
    if (rc != Main.OK) {
      throw new StageFailure("the candidate's pipeline failed (" + candidate + ")");
    }
    Path candidateMetrics = new Path(candidate, "metrics.json");
    if (!files.exists(candidateMetrics)) {
      throw new StageFailure(
          "the evaluation release has no reference answers in its split, so the candidate cannot"
              + " be compared: "
              + evaluation);
    }
    double score = metric(files, candidateMetrics, metric);

    // Decide. A current model scored on another evaluation release cannot be compared.
    Double currentScore = null;
    boolean promote;
    String reason;
    if (current == null) {
      promote = true;
      reason = "no current model";
    } else {
      String currentEval =
          JSON.readTree(files.readAll(new Path(current, "provenance.json")))
              .path("notes")
              .path("test_release_fingerprint")
              .asText("");
      if (!currentEval.equals(evaluationFingerprint)) {
        promote = false;
        reason =
            "the current model was scored on another evaluation release; not compared (score the"
                + " current model on this release, or promote by hand)";
      } else {
        currentScore = metric(files, new Path(current, "metrics.json"), metric);
        double gain = score - currentScore;
        promote = gain > minGain;
        reason =
            String.format(
                Locale.ROOT,
                "%s %.4f vs current %.4f: gain %+.4f %s min-gain %.4f",
                metric,
                score,
                currentScore,
                gain,
                promote ? ">" : "<=",
                minGain);
      }
    }
    ObjectNode d = JSON.createObjectNode();
    d.put("time", Instant.now().toString());
    d.put("candidate", id);
    d.put("release", release);
    d.put("evaluation", evaluation);
    d.put("metric", metric);
    d.put("candidate_score", score);
    d.put("current", currentId);
    if (currentScore != null) {
      d.put("current_score", currentScore);
    }
    d.put("promoted", promote);
    d.put("reason", reason);
    append(files, decisions, JSON.writeValueAsString(d));
    if (promote) {
      files.write(currentFile, id + "\n");
    }
    ctx.say(
        (promote
                ? "promoted "
                : "kept " + (currentId.isEmpty() ? "" : currentId + "; not promoted "))
            + id
            + ": "
            + reason);
    return Main.OK;
  }

  private static boolean decided(HadoopFiles files, Path decisions, String id) throws IOException {
    if (!files.exists(decisions)) {
      return false;
    }
    for (String line : readText(files, decisions).split("\n")) {
      if (!line.isBlank() && JSON.readTree(line).path("candidate").asText().equals(id)) {
        return true;
      }
    }
    return false;
  }

  private static double metric(HadoopFiles files, Path metrics, String name) throws IOException {
    JsonNode m = JSON.readTree(files.readAll(metrics));
    if (!m.has(name)) {
      throw new StageFailure(
          metrics + " has no " + name + " (is medvqa.retrain.metric right for this task?)");
    }
    return m.get(name).asDouble();
  }

  /** Appends a line (rewrites the file: Hadoop object stores cannot append). */
  private static void append(HadoopFiles files, Path p, String line) throws IOException {
    String before = files.exists(p) ? readText(files, p) : "";
    files.write(p, before + line + "\n");
  }

  private static String readText(HadoopFiles files, Path p) throws IOException {
    return new String(files.readAll(p), StandardCharsets.UTF_8);
  }
}
