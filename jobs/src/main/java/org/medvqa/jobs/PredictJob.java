package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;

/**
 * {@code predict}: answers the questions of one split of a manifest with a trained model and writes
 * {@code submission.txt} in the ImageCLEF format ({@code id|answer}), the split's {@code
 * ground-truth.txt} in the 2019 test format when its answers are known, and provenance. Official
 * test sets ask one question per image, so the id is the image id; a split with several questions
 * per image (our held-out part of a training set) uses the sample id instead.
 */
public final class PredictJob implements Job {
  @Override
  public String name() {
    return "predict";
  }

  @Override
  public String summary() {
    return "answer a manifest split with a model; write submission.txt (+ ground-truth.txt)";
  }

  @Override
  public int run(JobContext ctx) throws Exception {
    String modelPath = ConfigCheck.requireString(ctx.config(), "medvqa.predict.model");
    String manifestPath = ConfigCheck.requireString(ctx.config(), "medvqa.predict.manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), "medvqa.predict.out");
    String split = ctx.config().getString("medvqa.predict.split");
    HadoopFiles files = ctx.files();
    Path modelFile = new Path(files.qualify(modelPath), "model.json");
    if (!files.exists(modelFile)) {
      throw new JobFailure("no model at " + modelFile + " (run train first)");
    }
    MajorityBaseline model;
    try {
      model =
          MajorityBaseline.fromJson(new String(files.readAll(modelFile), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new JobFailure(modelFile + ": " + e.getMessage());
    }
    Path out = files.qualify(outPath);
    if (files.exists(out)) {
      throw new JobFailure("output " + out + " already exists; remove it or choose another");
    }
    Dataset<Row> rows =
        Manifests.read(ctx, manifestPath)
            .filter(
                col(ManifestColumns.SPLIT)
                    .equalTo(split)
                    .and(col(ManifestColumns.TASK).equalTo("vqa")))
            .select(
                ManifestColumns.SAMPLE_ID,
                ManifestColumns.IMAGE_ID,
                ManifestColumns.CATEGORY,
                ManifestColumns.QUESTION,
                ManifestColumns.ANSWERS)
            .orderBy(ManifestColumns.SAMPLE_ID)
            .cache();
    long n = rows.count();
    if (n == 0) {
      throw new JobFailure("split '" + split + "' of " + manifestPath + " has no VQA questions");
    }
    long images = rows.select(ManifestColumns.IMAGE_ID).distinct().count();
    boolean byImage = images == n;
    int key = byImage ? 1 : 0;
    Path tmp = files.temporaryFor(out);
    long withAnswers = 0;
    try {
      try (BufferedWriter sub = writer(files, new Path(tmp, "submission.txt"));
          BufferedWriter gt = writer(files, new Path(tmp, "ground-truth.txt"))) {
        // toLocalIterator streams one partition at a time: the driver never holds the split.
        Iterator<Row> it = rows.toLocalIterator();
        while (it.hasNext()) {
          Row r = it.next();
          String id = r.getString(key);
          String category = r.getString(2);
          sub.write(id + "|" + model.predict(category) + "\n");
          List<String> answers = r.getList(4);
          if (!answers.isEmpty()) {
            withAnswers++;
            gt.write(
                id
                    + "|"
                    + category
                    + "|"
                    + r.getString(3)
                    + "|"
                    + String.join("#", answers)
                    + "\n");
          }
        }
      }
      if (withAnswers == 0) {
        files.deleteQuietly(new Path(tmp, "ground-truth.txt"));
      }
      ctx.writeProvenance(
          tmp,
          ctx.provenance()
              .input("model", modelPath)
              .input("manifest", manifestPath)
              .note("split", split)
              .note("id", byImage ? "image_id" : "sample_id")
              .count("predictions", n)
              .count("with_reference_answers", withAnswers));
      files.commit(tmp, out);
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
      rows.unpersist();
    }
    ctx.say(
        "summary: predictions="
            + n
            + " split="
            + split
            + " id="
            + (byImage ? "image_id" : "sample_id")
            + " out="
            + out);
    return Main.OK;
  }

  private static BufferedWriter writer(HadoopFiles files, Path p) throws java.io.IOException {
    return new BufferedWriter(new OutputStreamWriter(files.create(p), StandardCharsets.UTF_8));
  }
}
