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
import org.medvqa.pipeline.RunRecord;
import org.medvqa.pipeline.StageRunner;

/**
 * {@code pipeline} on the synthetic release with every stage on (both augmentations) and the
 * majority model (no features needed, so the stage logic is what is tested): a rerun skips what is
 * complete, a changed setting is refused rather than mixed, a stage killed half-way is made again.
 */
class PipelineJobTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path release;
  static Path vectors;

  @BeforeAll
  static void fixtures() throws Exception {
    release = dir.resolve("release");
    Run synth =
        medvqa(
            "synth",
            "--set",
            set("medvqa.synth.out", release),
            "--set",
            "medvqa.synth.train-images=24",
            "--set",
            "medvqa.synth.val-images=8",
            "--set",
            "medvqa.synth.test-images=4",
            "--set",
            "medvqa.synth.image-size=64");
    assertEquals(0, synth.code(), synth.toString());
    vectors = AugmentQuestionsJobTest.vectors(dir);
  }

  static Run pipeline(Path out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "pipeline",
                "--config",
                Path.of("../conf/runs/vqa-majority.conf").toAbsolutePath().toString(),
                "--set",
                set("medvqa.data.train", release.resolve("ImageClef_2019_Training")),
                "--set",
                set("medvqa.data.test", release.resolve("ImageClef_2019_Validation")),
                "--set",
                set("medvqa.out", out),
                "--set",
                set("medvqa.workspace", dir.resolve("workspace")),
                "--set",
                "medvqa.pipeline.stages.augment-images=true",
                "--set",
                "medvqa.pipeline.stages.augment-questions=true",
                "--set",
                "medvqa.augment.images.variants=2",
                "--set",
                set("medvqa.vectors.path", vectors),
                "--set",
                "medvqa.vectors.format=text"));
    for (String e : extra) {
      args.add("--set");
      args.add(e);
    }
    return medvqa(args.toArray(new String[0]));
  }

  static JsonNode json(Path p) throws Exception {
    return new ObjectMapper().readTree(p.toFile());
  }

  /** The stage outputs a pipeline invocation made, from its typed run record. */
  private static String stagesRun(JsonNode provenance) {
    List<String> names = new ArrayList<>();
    provenance.at("/" + RunRecord.SECTION + "/stages_run").forEach(n -> names.add(n.asText()));
    return String.join(",", names);
  }

  @Test
  void rerunSkipsCompleteStagesRefusesChangedSettingsAndRemakesAnInterruptedStage()
      throws Exception {
    Path out = dir.resolve("run");
    Run first = pipeline(out);
    assertEquals(0, first.code(), first.toString());
    JsonNode prov = json(out.resolve("provenance.json"));
    assertEquals(
        "ingest-train,ingest-test,augment-images,augment-questions,model,predictions",
        stagesRun(prov),
        first.out());
    // Each stage output records its fingerprint; the model's inputs name the augmented manifest.
    JsonNode model = json(out.resolve("model/provenance.json"));
    String stamp = "/" + StageRunner.SECTION;
    assertEquals(64, model.at(stamp + "/fingerprint").asText().length());
    assertEquals(
        json(out.resolve("augment-questions/provenance.json")).at(stamp + "/fingerprint").asText(),
        model.at(stamp + "/inputs/manifest").asText());
    // The model trained on the augmented manifest: more training rows than the release has.
    long trainRows =
        spark.read().parquet(out.resolve("augment-questions/manifest").toString()).count();
    long ingested = spark.read().parquet(out.resolve("ingest-train/manifest").toString()).count();
    assertTrue(trainRows > 2 * ingested, trainRows + " rows after augmentation, " + ingested);
    double accuracy = json(out.resolve("metrics.json")).get("accuracy").asDouble();

    // The same command again: every stage is complete for its inputs and settings.
    Run again = pipeline(out);
    assertEquals(0, again.code(), again.toString());
    assertEquals("", stagesRun(json(out.resolve("provenance.json"))));
    assertTrue(again.out().contains("stages run: none"), again.out());
    assertEquals(accuracy, json(out.resolve("metrics.json")).get("accuracy").asDouble(), 0.0);

    // Another setting of a stage that has run: refused, naming the stage and what differs, and
    // nothing of the earlier output is touched.
    long before =
        Files.getLastModifiedTime(out.resolve("augment-questions/provenance.json")).toMillis();
    Run changed = pipeline(out, "medvqa.augment.questions.variants=2");
    assertEquals(1, changed.code(), changed.toString());
    assertTrue(
        changed.err().contains("augment-questions: ")
            && changed.err().contains("was made from other settings"),
        changed.err());
    assertEquals(
        before,
        Files.getLastModifiedTime(out.resolve("augment-questions/provenance.json")).toMillis());

    // A stage killed before its provenance was written: made again, the stages before it skipped.
    Files.delete(out.resolve("predictions/provenance.json"));
    Files.createDirectories(out.resolve(".predictions._tmp-leftover"));
    Run resumed = pipeline(out);
    assertEquals(0, resumed.code(), resumed.toString());
    assertTrue(resumed.out().contains("predictions is incomplete (no provenance); made again"));
    assertFalse(Files.exists(out.resolve(".predictions._tmp-leftover")), "leftover removed");
    assertEquals("predictions", stagesRun(json(out.resolve("provenance.json"))));
    assertEquals(accuracy, json(out.resolve("metrics.json")).get("accuracy").asDouble(), 0.0);
  }

  @Test
  void aStageSwitchedOffNeedsItsOutput() {
    Run r = pipeline(dir.resolve("no-ingest"), "medvqa.pipeline.stages.ingest=false");
    assertEquals(1, r.code(), r.toString());
    assertTrue(
        r.err().contains("stage ingest is switched off (medvqa.pipeline.stages.ingest = false)"),
        r.err());
  }
}
