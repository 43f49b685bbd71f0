package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.augment.text.QuestionAugmentSettings;
import org.medvqa.core.Category;
import org.medvqa.core.Requirements;

/**
 * 200 real VQA-Med 2019 training questions (every 64th of the 12,792) through augment-questions
 * with GloVe 6B 100d; prints rewrites for the README. Needs ../shared/data and {@code make
 * vectors}; skipped with a message where either is missing.
 */
class AugmentQuestionsRealDataTest extends SparkTestBase {
  static Path glove() {
    return Path.of(System.getProperty("medvqa.vectors.glove", "../vectors/glove-6b-100d.bin"))
        .toAbsolutePath()
        .normalize();
  }

  @Test
  void twoHundredRealQuestionsWithGlove(@TempDir Path dir) throws Exception {
    Path qa = sharedData().resolve("vqa-med-2019/ImageClef_2019_Training/All_QA_Pairs_train.txt");
    Requirements.require(
        Files.isRegularFile(qa), "real VQA-Med 2019 data not found at " + qa + "; skipped");
    Requirements.require(
        Files.isRegularFile(glove()),
        "GloVe vectors not found at " + glove() + " (run make vectors); skipped");
    List<Row> rows = QuestionJobsHarness.realRows(qa, 64, 200);
    assertEquals(200, rows.size());
    Path manifest = QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), rows);
    Path out = dir.resolve("aug");
    Run r =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + out,
            "medvqa.vectors.path=" + glove());
    System.out.println(r.out());
    assertEquals(0, r.code(), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Map<String, Row> originals = new HashMap<>();
    for (Row o : m.filter("question_variant_id = 0").collectAsList()) {
      originals.put(o.getAs("sample_id"), o);
    }
    assertEquals(200, originals.size());
    List<Row> variants =
        m.filter("question_variant_id > 0")
            .orderBy("question_parent_sample_id", "question_variant_id")
            .collectAsList();
    assertTrue(variants.size() > 200, "variants: " + variants.size());
    Set<String> protectedWords = QuestionAugmentSettings.defaults().protectedWords();
    Set<String> shown = new LinkedHashSet<>();
    for (Row v : variants) {
      Row o = originals.get(v.<String>getAs("question_parent_sample_id"));
      String q = o.getAs("question");
      String nq = v.getAs("question");
      assertEquals(Category.infer(q), Category.infer(nq), q + " -> " + nq);
      assertEquals(o.getList(o.fieldIndex("answers")), v.getList(v.fieldIndex("answers")));
      for (Row rep : v.<Row>getList(v.fieldIndex("replacements"))) {
        assertFalse(protectedWords.contains(rep.<String>getAs("from")), rep.toString());
        assertFalse(protectedWords.contains(rep.<String>getAs("to")), rep.toString());
      }
      if (shown.size() < 12 && (shown.contains(q) || shown.size() < 12 && shown.add(q))) {
        List<Row> reps = v.getList(v.fieldIndex("replacements"));
        Row rep = reps.get(0);
        System.out.printf(
            java.util.Locale.ROOT,
            "| %s | %s | %s → %s (%.2f) |%n",
            q,
            nq,
            rep.getAs("from"),
            rep.getAs("to"),
            (float) rep.getAs("similarity"));
      }
    }
  }
}
