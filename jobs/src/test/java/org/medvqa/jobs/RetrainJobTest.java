package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code retrain} with the majority model on two synthetic releases: the first candidate is
 * promoted (no current model), the same command again is a no-op, the next release's candidate
 * trains on the current model's manifests too and is promoted or kept by its score.
 */
class RetrainJobTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path first;
  static Path second;

  @BeforeAll
  static void releases() {
    first = synth("first", 42);
    second = synth("second", 7);
  }

  static Path synth(String name, int seed) {
    Path out = dir.resolve(name);
    Run r =
        medvqa(
            "synth",
            "--set",
            set("medvqa.synth.out", out),
            "--set",
            "medvqa.synth.seed=" + seed,
            "--set",
            "medvqa.synth.train-images=20",
            "--set",
            "medvqa.synth.val-images=12",
            "--set",
            "medvqa.synth.test-images=4",
            "--set",
            "medvqa.synth.image-size=48");
    assertEquals(0, r.code(), r.toString());
    return out;
  }

  static Run retrain(Path release, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "retrain",
                "--config",
                Path.of("../conf/runs/vqa-majority.conf").toAbsolutePath().toString(),
                "--set",
                set("medvqa.retrain.release", release.resolve("ImageClef_2019_Training")),
                "--set",
                set("medvqa.retrain.evaluation", first.resolve("ImageClef_2019_Validation")),
                "--set",
                set("medvqa.retrain.registry", dir.resolve("registry")),
                "--set",
                set("medvqa.workspace", dir.resolve("workspace"))));
    for (String e : extra) {
      args.add("--set");
      args.add(e);
    }
    return medvqa(args.toArray(new String[0]));
  }

  static List<JsonNode> decisions() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("registry/vqa-majority/decisions.jsonl"))) {
      out.add(new ObjectMapper().readTree(line));
    }
    return out;
  }

  static String current() throws Exception {
    return Files.readString(dir.resolve("registry/vqa-majority/current")).trim();
  }

  @Test
  void promotesOnlyABetterCandidateAndRecordsEveryDecision() throws Exception {
    Run r1 = retrain(first);
    assertEquals(0, r1.code(), r1.toString());
    String id1 = current();
    assertEquals(1, decisions().size());
    JsonNode d1 = decisions().get(0);
    assertTrue(d1.get("promoted").asBoolean());
    assertEquals("no current model", d1.get("reason").asText());
    Path m1 = dir.resolve("registry/vqa-majority/models/" + id1);
    assertTrue(Files.exists(m1.resolve("model/provenance.json")));
    double score1 = d1.get("candidate_score").asDouble();
    assertEquals(
        new ObjectMapper().readTree(m1.resolve("metrics.json").toFile()).get("accuracy").asDouble(),
        score1,
        0.0);

    // The same command again: decided already, nothing trained.
    Run again = retrain(first);
    assertEquals(0, again.code(), again.toString());
    assertTrue(again.out().contains("is decided already"), again.out());
    assertEquals(1, decisions().size());

    // A new release with a bar it cannot pass: trained on the new release and on the current
    // model's manifest, scored on the same evaluation release, kept out.
    Run kept = retrain(second, "medvqa.retrain.min-gain=1.0");
    assertEquals(0, kept.code(), kept.toString());
    assertEquals(id1, current());
    JsonNode d2 = decisions().get(1);
    assertFalse(d2.get("promoted").asBoolean());
    assertEquals(id1, d2.get("current").asText());
    assertEquals(score1, d2.get("current_score").asDouble(), 0.0);
    assertTrue(d2.get("reason").asText().contains("min-gain 1.0000"), d2.toString());
    Path m2 = dir.resolve("registry/vqa-majority/models/" + d2.get("candidate").asText());
    JsonNode p2 = new ObjectMapper().readTree(m2.resolve("provenance.json").toFile());
    assertEquals(
        m1.resolve("ingest-train").toUri().getPath(),
        Path.of(java.net.URI.create(p2.at("/run/extra_manifests/0").asText())).toUri().getPath());

    // The same release with a bar any candidate passes: promoted, the pointer moves.
    Run promoted = retrain(second, "medvqa.retrain.min-gain=-1.0");
    assertEquals(0, promoted.code(), promoted.toString());
    JsonNode d3 = decisions().get(2);
    assertTrue(d3.get("promoted").asBoolean(), d3.toString());
    assertEquals(d3.get("candidate").asText(), current());
  }
}
