package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;

/**
 * Integration on the real VQA-Med 2019 training set (../shared/data; skipped where absent): ingest
 * every image and pair, split 90/10 by image, and score the majority baseline.
 */
class Real2019BaselineTest extends SparkTestBase {
  @Test
  void ingestRealTrainingSetAndEvaluateTheBaseline(@TempDir Path dir) throws Exception {
    Path release = sharedData().resolve("vqa-med-2019/ImageClef_2019_Training");
    Requirements.require(
        Files.isDirectory(release), "real VQA-Med 2019 data not found at " + release + "; skipped");
    Path conf = Path.of("../conf/baseline-2019.conf").toAbsolutePath();
    Path ingest = dir.resolve("ingest");
    Run i =
        medvqa(
            "ingest",
            "--config",
            conf.toString(),
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.release-name=2019",
            "--set",
            "medvqa.ingest.out=" + ingest);
    assertEquals(0, i.code(), i.toString());
    System.out.println(i.out());
    Dataset<Row> m = spark.read().parquet(ingest.resolve("manifest").toString());
    long rejected =
        spark.read().parquet(ingest.resolve("_rejected").toString() + "/*.parquet").count();
    assertEquals(12792, m.count() + rejected, "every real pair is in the manifest or rejected");
    assertEquals(3200, m.select("image_id").distinct().count());
    assertEquals(
        0,
        m.filter("category_source = 'inferred'").count(),
        "categories come from the category files");
    long held = m.filter("split = 'heldout'").select("image_id").distinct().count();
    assertTrue(held > 250 && held < 390, "held-out images " + held);

    Path model = dir.resolve("model");
    assertEquals(
        0,
        medvqa(
                "train",
                "--config",
                conf.toString(),
                "--set",
                "medvqa.train.manifest=" + ingest,
                "--set",
                "medvqa.train.out=" + model)
            .code());
    Path pred = dir.resolve("predict");
    Run p =
        medvqa(
            "predict",
            "--config",
            conf.toString(),
            "--set",
            "medvqa.predict.model=" + model,
            "--set",
            "medvqa.predict.manifest=" + ingest,
            "--set",
            "medvqa.predict.out=" + pred);
    assertEquals(0, p.code(), p.toString());
    Path metrics = dir.resolve("metrics.json");
    Run e =
        medvqa(
            "evaluate",
            "--config",
            conf.toString(),
            "--set",
            "medvqa.eval.ground-truth=" + pred.resolve("ground-truth.txt"),
            "--set",
            "medvqa.eval.submission=" + pred.resolve("submission.txt"),
            "--set",
            "medvqa.eval.output=" + metrics);
    assertEquals(0, e.code(), e.toString());
    System.out.println("real 2019 held-out majority baseline: " + e.out().trim());
    System.out.println(Files.readString(metrics));
    // The baseline knows nothing but the category: far from perfect, far from zero.
    double acc = Double.parseDouble(e.out().replaceAll("(?s).*accuracy=([0-9.]+).*", "$1"));
    assertTrue(acc > 0.1 && acc < 0.5, "baseline accuracy " + acc);
  }
}
