package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** Ingest of VQA-RAD's published layout: a JSON list of questions beside one image folder. */
class VqaRadIngestTest extends SparkTestBase {

  static String question(
      Object qid, String image, String organ, String q, String a, String type, String phrase) {
    // The question type as the published file spells it, in two cases spelt carelessly.
    String questionType =
        q.startsWith("What organ")
            ? "ORGAN"
            : q.startsWith("Is this a CT")
                ? " modality "
                : q.startsWith("Where") ? "ABN, POS" : "PRES";
    return String.format(
        "  {\"qid\": %s, \"phrase_type\": \"%s\", \"image_name\": \"%s\", \"image_organ\": \"%s\","
            + " \"question\": \"%s\", \"answer\": %s, \"answer_type\": \"%s\","
            + " \"question_type\": \"%s\"}",
        qid instanceof String ? "\"" + qid + "\"" : qid,
        phrase,
        image,
        organ,
        q,
        a,
        type,
        questionType);
  }

  /** Four images, questions of both splits, and one bad record of each kind the reader knows. */
  static Path release(Path root) throws Exception {
    Path images = root.resolve("VQA_RAD Image Folder");
    Files.createDirectories(images);
    for (int i = 1; i <= 4; i++) {
      Files.write(images.resolve("synpic" + i + ".jpg"), IngestJobTest.jpeg(40, 30, i * 30));
    }
    List<String> objects =
        List.of(
            question(
                "0",
                "synpic1.jpg",
                "HEAD",
                "Is there an infarct?",
                "\"Yes\"",
                "CLOSED",
                "freeform"),
            question(
                1,
                "synpic1.jpg",
                "HEAD",
                "Where is the lesion?",
                "\"left frontal lobe\"",
                "OPEN",
                "freeform"),
            question(
                2, "synpic2.jpg", "CHEST", "Is the heart enlarged?", "\"no\"", "CLOSED ", "para"),
            question(3, "synpic2.jpg", "CHEST", "How many nodules?", "2", "OPEN", "freeform"),
            question(
                4, "synpic3.jpg", "ABD", "Is this a CT?", "\"yes\"", "CLOSED", "test_freeform"),
            question(
                5, "synpic4.jpg", "ABD", "What organ is shown?", "\"liver\"", "OPEN", "test_para"),
            // bad records, one per line from line 9 on
            question(6, "synpic9.jpg", "ABD", "Is this missing?", "\"yes\"", "CLOSED", "freeform"),
            question(7, "synpic1.jpg", "HEAD", "", "\"yes\"", "CLOSED", "freeform"),
            question(8, "synpic1.jpg", "HEAD", "Empty answer?", "\"\"", "CLOSED", "freeform"),
            question(9, "synpic1.jpg", "HEAD", "Odd type?", "\"yes\"", "MAYBE", "freeform"),
            question(10, "synpic1.jpg", "HEAD", "Odd phrase?", "\"yes\"", "CLOSED", "draft"),
            question(
                11, "synpic1.jpg", "HEAD", "Is there an infarct?", "\"No\"", "CLOSED", "para"));
    Files.writeString(
        root.resolve("VQA_RAD Dataset Public.json"), "[\n" + String.join(",\n", objects) + "\n]\n");
    Files.writeString(root.resolve("notes.json"), "{\"about\": \"not questions\"}");
    return root;
  }

  /** Ingest of {@link #release} made in {@code dir}, every reject allowed, plus {@code extra}. */
  private static Run ingest(Path dir, Path out, String... extra) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "ingest",
                "--set",
                set("medvqa.ingest.release", release(dir.resolve("VQA_RAD"))),
                "--set",
                set("medvqa.ingest.out", out),
                "--set",
                "medvqa.ingest.max-rejected-fraction=1.0"));
    args.addAll(List.of(extra));
    return medvqa(args.toArray(new String[0]));
  }

  @Test
  void bothSplitsAnswerTypeAndOrganAreReadAndEveryBadRecordIsRejected(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("ingest");
    Run r = ingest(dir, out);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("notes.json: a JSON file without VQA-RAD's keys"), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Map<String, Row> byQuestion = new HashMap<>();
    m.collectAsList().forEach(x -> byQuestion.put(x.getAs("question"), x));
    assertEquals(6, m.count(), byQuestion.keySet().toString());
    Row infarct = byQuestion.get("Is there an infarct?");
    assertEquals("synpic1", infarct.getAs("image_id"));
    assertEquals("train", infarct.getAs("split"));
    assertEquals("CLOSED", infarct.getAs("answer_type"));
    assertEquals("closed", infarct.getAs("category"));
    assertEquals("file", infarct.getAs("category_source"));
    assertEquals("HEAD", infarct.getAs("organ"));
    assertEquals("vqa-rad", infarct.getAs("release"));
    assertEquals(2, (int) infarct.getAs("source_line"));
    assertEquals("CLOSED", byQuestion.get("Is the heart enlarged?").getAs("answer_type"));
    assertEquals(List.of("2"), byQuestion.get("How many nodules?").getList(4));
    assertEquals("test", byQuestion.get("Is this a CT?").getAs("split"));
    assertEquals("test", byQuestion.get("What organ is shown?").getAs("split"));
    // An open question's category is the 2019 category its question type asks where it asks one,
    // else closed or open; the question type and the answer type are kept as they are.
    Row organ = byQuestion.get("What organ is shown?");
    assertEquals("organ", organ.getAs("category"));
    assertEquals("ORGAN", organ.getAs("question_type"));
    assertEquals("OPEN", organ.getAs("answer_type"));
    assertEquals("closed", byQuestion.get("Is this a CT?").getAs("category"));
    assertEquals("MODALITY", byQuestion.get("Is this a CT?").getAs("question_type"));
    assertEquals("PRES", infarct.getAs("question_type"));
    assertEquals("open", byQuestion.get("Where is the lesion?").getAs("category"));
    assertEquals("ABN, POS", byQuestion.get("Where is the lesion?").getAs("question_type"));

    Dataset<Row> rej = spark.read().parquet(out.resolve("_rejected") + "/*.parquet");
    Map<Integer, String> reasons = new HashMap<>();
    rej.collectAsList().forEach(x -> reasons.put(x.getInt(1), x.getString(3)));
    assertEquals(6, rej.count(), reasons.toString());
    assertTrue(reasons.get(8).contains("missing image file"), reasons.toString());
    assertTrue(reasons.get(9).contains("empty question"), reasons.toString());
    assertTrue(reasons.get(10).contains("empty answer"), reasons.toString());
    assertTrue(reasons.get(11).contains("answer_type 'MAYBE'"), reasons.toString());
    assertTrue(reasons.get(12).contains("phrase_type 'draft'"), reasons.toString());
    assertTrue(reasons.get(13).contains("duplicate (image, question) pair"), reasons.toString());
    rej.collectAsList().forEach(x -> assertTrue(x.getString(2).contains("\"qid\"")));
  }

  @Test
  void theCategoryIsTheAnswerTypeWhenConfiguredSo(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ingest");
    Run r = ingest(dir, out, "--set", "medvqa.ingest.vqa-rad-category=answer-type");
    assertEquals(0, r.code(), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Map<String, String> category = new HashMap<>();
    m.collectAsList().forEach(x -> category.put(x.getAs("question"), x.getAs("category")));
    assertEquals("open", category.get("What organ is shown?"));
    assertEquals("closed", category.get("Is this a CT?"));

    Run bad = ingest(dir, dir.resolve("bad"), "--set", "medvqa.ingest.vqa-rad-category=type");
    assertEquals(2, bad.code(), bad.toString());
    assertTrue(bad.err().contains("medvqa.ingest.vqa-rad-category"), bad.toString());
  }

  @Test
  void onlyTheSplitsAskedForAreKeptAndTheOthersCounted(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("ingest");
    Run r = ingest(dir, out, "--set", "medvqa.ingest.splits=[test]");
    assertEquals(0, r.code(), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    assertEquals(2, m.count());
    assertEquals(0, m.filter("split != 'test'").count());
    String prov = Files.readString(out.resolve("provenance.json"));
    // The four good training records, the one whose image is missing and the duplicate.
    assertTrue(prov.contains("\"records_of_other_splits\" : 6"), prov);
  }
}
