package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth -> ingest (with a held-out split) -> train -> predict -> evaluate, through the CLI. */
class EndToEndTest extends SparkTestBase {
  @Test
  void syntheticReleaseThroughEveryJob(@TempDir Path dir) throws Exception {
    Path release = dir.resolve("release");
    Run s =
        medvqa(
            "synth",
            "--set",
            "medvqa.synth.out=" + release,
            "--set",
            "medvqa.synth.train-images=60",
            "--set",
            "medvqa.synth.val-images=10",
            "--set",
            "medvqa.synth.test-images=20");
    assertEquals(0, s.code(), s.toString());

    Path ingest = dir.resolve("ingest");
    Run i =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.out=" + ingest,
            "--set",
            "medvqa.ingest.holdout.fraction=0.25");
    assertEquals(0, i.code(), i.toString());
    Dataset<Row> m = spark.read().parquet(ingest.resolve("manifest").toString());
    List<String> splits =
        m.select("split").distinct().orderBy("split").as(Encoders.STRING()).collectAsList();
    assertEquals(List.of("heldout", "test", "train", "val"), splits);
    // The held-out split is by image: no image is in both parts.
    long shared =
        m.filter("split = 'train'")
            .select("image_id")
            .intersect(m.filter("split = 'heldout'").select("image_id"))
            .count();
    assertEquals(0, shared);
    long heldImages = m.filter("split = 'heldout'").select("image_id").distinct().count();
    assertTrue(heldImages > 5 && heldImages < 27, "held-out images: " + heldImages);
    assertEquals(
        0, spark.read().parquet(ingest.resolve("_rejected").toString() + "/*.parquet").count());

    Path model = dir.resolve("model");
    Run t =
        medvqa(
            "train",
            "--set",
            "medvqa.train.manifest=" + ingest,
            "--set",
            "medvqa.train.out=" + model);
    assertEquals(0, t.code(), t.toString());
    assertTrue(Files.exists(model.resolve("model.json")));
    assertTrue(Files.exists(model.resolve("provenance.json")));

    for (String split : List.of("test", "heldout")) {
      Path pred = dir.resolve("predict-" + split);
      Run p =
          medvqa(
              "predict",
              "--set",
              "medvqa.predict.model=" + model,
              "--set",
              "medvqa.predict.manifest=" + ingest,
              "--set",
              "medvqa.predict.split=" + split,
              "--set",
              "medvqa.predict.out=" + pred);
      assertEquals(0, p.code(), p.toString());
      // The synthetic test split asks one question per image, like the official test sets.
      assertTrue(
          p.out().contains(split.equals("test") ? "id=image_id" : "id=sample_id"), p.toString());
      Path metrics = dir.resolve("metrics-" + split + ".json");
      Run e =
          medvqa(
              "evaluate",
              "--set",
              "medvqa.eval.task=vqa",
              "--set",
              "medvqa.eval.ground-truth=" + pred.resolve("ground-truth.txt"),
              "--set",
              "medvqa.eval.submission=" + pred.resolve("submission.txt"),
              "--set",
              "medvqa.eval.output=" + metrics);
      assertEquals(0, e.code(), e.toString());
      assertTrue(
          e.out().matches("(?s)accuracy=0\\.\\d{4} bleu=0\\.\\d{4}.*|(?s)accuracy=1\\.0000.*"),
          e.out());
      String json = Files.readString(metrics);
      assertTrue(json.contains("\"task\":\"vqa\"") || json.contains("\"task\" : \"vqa\""), json);
      assertTrue(json.contains("per_category"), json);
    }
  }

  @Test
  void evaluateRefusesAnInvalidSubmissionWithLineNumbers(@TempDir Path dir) throws Exception {
    Path gt = dir.resolve("gt.txt");
    Files.writeString(
        gt, "a|plane|what plane?|axial\nb|modality|what modality?|ct\nc|organ|which organ?|lung\n");
    Path sub = dir.resolve("sub.txt");
    Files.writeString(sub, "a|axial\nb|ct|extra\nzzz|ct\na|axial\n");
    Run e =
        medvqa(
            "evaluate",
            "--set",
            "medvqa.eval.task=vqa",
            "--set",
            "medvqa.eval.ground-truth=" + gt,
            "--set",
            "medvqa.eval.submission=" + sub);
    assertEquals(1, e.code(), e.toString());
    assertTrue(e.err().contains("line 2"), e.toString());
    assertTrue(e.err().contains("line 3"), e.toString());
    assertTrue(e.err().contains("line 4"), e.toString());
  }
}
