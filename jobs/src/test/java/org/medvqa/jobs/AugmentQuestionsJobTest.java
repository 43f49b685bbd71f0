package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugmentQuestionsJobTest extends SparkTestBase {
  /** A small space in word2vec text format: organ is protected, the rest have neighbours. */
  static Path vectors(Path dir) throws Exception {
    Path p = dir.resolve("tiny.vec");
    Files.writeString(
        p,
        String.join(
            "\n",
            "14 4",
            "image 0 0 1 0",
            "picture 0 0.15 0.95 0",
            "photo 0 0.35 0.9 0",
            "images 0 0 0.99 0.05",
            "liver 1 0 0 0.1",
            "kidney 0.9 0.3 0 0.1",
            "spleen 0.8 0.45 0 0.1",
            "organ 0.95 0.1 0 0.2",
            "organs 0.96 0.1 0 0.2",
            "shown 0 0 0 1",
            "displayed 0 0.2 0 0.9",
            "depicted 0 0.3 0 0.85",
            "the 0.5 0.5 0.5 0.5",
            "lesion 0.2 0.2 0.2 0.9",
            ""));
    return p;
  }

  static List<Row> rows() {
    return List.of(
        QuestionJobsHarness.row(
            "t-1", "img1", "is the liver shown in this picture?", "train", "yes"),
        QuestionJobsHarness.row(
            "t-2", "img1", "which organ is shown in this image?", "train", "liver"),
        QuestionJobsHarness.row(
            "t-3", "img2", "what is abnormal in the kidney?", "train", "cyst", "renal cyst"),
        QuestionJobsHarness.row("t-4", "img2", "what is this?", "train", "ct"),
        QuestionJobsHarness.row("t-5", "img3", "", "train", "x"),
        QuestionJobsHarness.row("v-1", "img4", "is the spleen shown in this image?", "val", "no"));
  }

  @Test
  void rewritesTheTrainingQuestionsAndKeepsEverythingElse(@TempDir Path dir) throws Exception {
    Path manifest = QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), rows());
    Path out = dir.resolve("aug");
    Run r =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + out,
            "medvqa.augment.questions.variants=3",
            "medvqa.augment.questions.min-similarity=0.5",
            "medvqa.augment.questions.max-rejected-fraction=0.5",
            "medvqa.vectors.path=" + vectors(dir),
            "medvqa.vectors.format=text");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("augment-questions: summary: questions=4 "), r.toString());
    assertTrue(r.out().contains("neighbour search"), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Map<String, Row> byId = new HashMap<>();
    for (Row row : m.collectAsList()) {
      byId.put(row.getAs("sample_id"), row);
    }
    // Originals are kept (5 good rows, the blank one is rejected), the val question untouched.
    for (String id : List.of("t-1", "t-2", "t-3", "t-4", "v-1")) {
      assertEquals(0, (int) byId.get(id).getAs("question_variant_id"), id);
    }
    assertFalse(byId.containsKey("v-1-q1"), "val is not in medvqa.augment.questions.splits");
    assertFalse(byId.containsKey("t-4-q1"), "all stopwords: nothing to replace");
    assertEquals(
        3, m.filter("question_parent_sample_id = 't-1' and question_variant_id > 0").count());
    Row v = byId.get("t-1-q1");
    assertEquals("t-1", v.getAs("question_parent_sample_id"));
    assertEquals(List.of("yes"), v.getList(v.fieldIndex("answers")));
    assertEquals("img1", v.getAs("image_id"));
    List<Row> reps = v.getList(v.fieldIndex("replacements"));
    assertEquals(1, reps.size());
    Row rep = reps.get(0);
    String from = rep.getAs("from");
    String to = rep.getAs("to");
    assertTrue(List.of("liver", "shown", "picture").contains(from), rep.toString());
    assertEquals(
        ((String) byId.get("t-1").getAs("question")).replace(from, to), v.getAs("question"));
    assertTrue((float) rep.getAs("similarity") >= 0.5f);
    // The protected word stays, and "organs" (same stem as organ) never comes in.
    for (Row row :
        m.filter("question_parent_sample_id = 't-2' and question_variant_id > 0").collectAsList()) {
      assertTrue(((String) row.getAs("question")).startsWith("which organ is "), row.toString());
    }
    assertEquals(0, m.filter("question like '%organs%'").count());
    // Answers are unchanged for every variant.
    Row t3 = byId.get("t-3-q1");
    assertEquals(List.of("cyst", "renal cyst"), t3.getList(t3.fieldIndex("answers")));
    Dataset<Row> rej = spark.read().parquet(out.resolve("_rejected").toString());
    assertEquals(1, rej.count());
    assertTrue(rej.first().<String>getAs("reason").contains("sample t-5: question is blank"));
    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"records_rejected\" : 1"), prov);
    assertTrue(prov.contains("\"seconds_neighbour_search\""), prov);
  }

  @Test
  void theSameSeedGivesTheSameOutputAndModeAllWithoutOriginals(@TempDir Path dir) throws Exception {
    List<Row> good = rows().stream().filter(r -> !"t-5".equals(r.getString(0))).toList();
    Path manifest = QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), good);
    Path vec = vectors(dir);
    List<String> runs = new java.util.ArrayList<>();
    for (String name : List.of("a", "b")) {
      Run r =
          QuestionJobsHarness.run(
              new AugmentQuestionsJob(),
              "medvqa.augment.questions.manifest=" + manifest,
              "medvqa.augment.questions.out=" + dir.resolve(name),
              "medvqa.augment.questions.variants=2",
              "medvqa.augment.questions.seed=7",
              "medvqa.vectors.path=" + vec,
              "medvqa.vectors.format=text");
      assertEquals(0, r.code(), r.toString());
      runs.add(
          spark
              .read()
              .parquet(dir.resolve(name).resolve("manifest").toString())
              .orderBy("sample_id")
              .collectAsList()
              .toString());
    }
    assertEquals(runs.get(0), runs.get(1));
    Run again =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + dir.resolve("a"),
            "medvqa.augment.questions.out=" + dir.resolve("aa"),
            "medvqa.vectors.path=" + vec,
            "medvqa.vectors.format=text");
    assertEquals(1, again.code(), again.toString());
    assertTrue(again.err().contains("already has a column"), again.toString());

    Run all =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("all"),
            "medvqa.augment.questions.mode=all",
            "medvqa.augment.questions.keep-originals=false",
            "medvqa.vectors.path=" + vec,
            "medvqa.vectors.format=text");
    assertEquals(0, all.code(), all.toString());
    Dataset<Row> m = spark.read().parquet(dir.resolve("all").resolve("manifest").toString());
    assertEquals(0, m.filter("question_variant_id = 0").count());
    Row first = m.filter("question_parent_sample_id = 't-1' and question_variant_id = 1").first();
    assertEquals(3, first.getList(first.fieldIndex("replacements")).size(), first.toString());
  }

  @Test
  void badInputAndConfigurationFailClearly(@TempDir Path dir) throws Exception {
    Path manifest = QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), rows());
    Path vec = vectors(dir);
    Run rejects =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("o1"),
            "medvqa.vectors.path=" + vec,
            "medvqa.vectors.format=text");
    assertEquals(1, rejects.code(), rejects.toString());
    assertTrue(rejects.err().contains("sample t-5: question is blank"), rejects.toString());
    assertTrue(rejects.err().contains("max-rejected-fraction"), rejects.toString());
    assertFalse(Files.exists(dir.resolve("o1")));

    Run noVectors =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("o2"),
            "medvqa.vectors.path=" + dir.resolve("none.bin"));
    assertEquals(1, noVectors.code(), noVectors.toString());
    assertTrue(noVectors.err().contains("make vectors"), noVectors.toString());

    Run wrongFormat =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("o3"),
            "medvqa.augment.questions.max-rejected-fraction=0.5",
            "medvqa.vectors.path=" + vec);
    assertEquals(1, wrongFormat.code(), wrongFormat.toString());
    assertTrue(wrongFormat.err().contains("not a compact vectors file"), wrongFormat.toString());

    Run missing =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(), "medvqa.augment.questions.manifest=" + manifest);
    assertEquals(2, missing.code(), missing.toString());
    assertTrue(missing.err().contains("medvqa.augment.questions.out"), missing.toString());

    Run typo =
        QuestionJobsHarness.run(new AugmentQuestionsJob(), "medvqa.augment.questions.variant=3");
    assertEquals(2, typo.code(), typo.toString());
    assertTrue(typo.err().contains("did you mean"), typo.toString());

    Files.createDirectories(dir.resolve("exists"));
    Run exists =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("exists"),
            "medvqa.vectors.path=" + vec);
    assertEquals(1, exists.code(), exists.toString());
    assertNotEquals(-1, exists.err().indexOf("already exists"), exists.toString());
  }
}
