package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sort_array;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.VqaModel;

/**
 * {@code predict}: answers the questions of one split of a manifest with a trained model and writes
 * {@code submission.txt} in the ImageCLEF format ({@code id|answer}), the split's {@code
 * ground-truth.txt} in the 2019 test format when its answers are known, and provenance. Official
 * test sets ask one question per image, so the id is the image id; a split with several questions
 * per image (our held-out part of a training set) uses the sample id instead.
 *
 * <p>A question-generation model ({@code vae-vqg}) gets one row per image of the split instead and
 * writes VQG lines, {@code image|q1|q2|…}; every question of the split about that image (VQA
 * questions, or the references of a VQG test release) is one of its references in {@code
 * ground-truth.txt} ({@code image|ref1|ref2|…}).
 *
 * <p>DL4J models read the images' features from {@code medvqa.predict.features}; images missing
 * there are first extracted into it (extract-features, incremental). A question whose image could
 * not be read at all is still answered, from a zero feature (the question-aware model still knows
 * the question), and counted as {@code answered_without_image} in the summary and provenance.
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

  /**
   * Answers a chunk of rows (sample id, image id, category, feature, question, answers): one answer
   * per row for VQA, the generated questions of the row's image for VQG.
   */
  private interface Answerer {
    List<List<String>> answer(List<Row> rows);
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    Config cfg = ctx.config();
    String modelPath = ConfigCheck.requireString(cfg, "medvqa.predict.model");
    String manifestPath = ConfigCheck.requireString(cfg, "medvqa.predict.manifest");
    String outPath = ConfigCheck.requireString(cfg, "medvqa.predict.out");
    String split = cfg.getString("medvqa.predict.split");
    int batch = (int) ConfigCheck.requireRange(cfg, "medvqa.predict.batch-size", 1, 1e6);
    HadoopFiles files = ctx.files();
    Path modelDir = files.qualify(modelPath);
    Path majorityFile = new Path(modelDir, "model.json");
    Path specFile = new Path(modelDir, TrainJob.SPEC_FILE);
    Path out = ctx.newOutput(outPath);
    Dataset<Row> inSplit =
        Tables.manifest(ctx, manifestPath).filter(col(ManifestColumns.SPLIT).equalTo(split));
    Dataset<Row> manifest = inSplit.filter(col(ManifestColumns.TASK).equalTo("vqa"));
    Answerer answerer;
    String kind;
    boolean vqg = false;
    long[] withoutImage = {0};
    Dataset<Row> rows;
    if (files.exists(majorityFile)) {
      MajorityBaseline model;
      try {
        model =
            MajorityBaseline.fromJson(
                new String(files.readAll(majorityFile), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new StageFailure(majorityFile + ": " + e.getMessage());
      }
      kind = MajorityBaseline.TYPE;
      answerer = chunk -> chunk.stream().map(r -> List.of(model.predict(r.getString(2)))).toList();
      requireQuestions(manifest, false, split, manifestPath);
      rows = manifest.withColumn(Examples.FEATURE, lit(null).cast("array<float>"));
    } else if (files.exists(specFile)) {
      VqaModel model;
      try {
        model = ModelKinds.fromJson(new String(files.readAll(specFile), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new StageFailure(specFile + ": " + e.getMessage());
      }
      kind = model.kind();
      vqg = ModelKinds.generatesQuestions(kind);
      if (vqg) {
        // Questions are generated per image; every question of the split about an image (VQA
        // questions or VQG references) is one of its references.
        manifest = inSplit.filter(col(ManifestColumns.QUESTION).isNotNull());
      }
      requireQuestions(manifest, vqg, split, manifestPath);
      ComputationGraph net;
      try (InputStream in = files.open(new Path(modelDir, TrainJob.MODEL_FILE))) {
        net = ModelSerializer.restoreComputationGraph(in, false);
      }
      rows =
          model instanceof org.medvqa.models.classifier.FineTunedClassifier
              ? manifest.withColumn(Examples.FEATURE, Pixels.of(files, cfg, manifest.columns()))
              : withFeatures(ctx, manifest, manifestPath);
      answerer =
          chunk -> {
            List<Example> examples = new ArrayList<>(chunk.size());
            int dim = featureSize(chunk);
            for (Row r : chunk) {
              Example e = Examples.of(r);
              if (e.image() == null) {
                withoutImage[0]++;
                e =
                    new Example(
                        e.sampleId(),
                        e.imageId(),
                        e.category(),
                        new float[dim],
                        e.question(),
                        e.answers());
              }
              examples.add(e);
            }
            return model.predict(net, examples);
          };
    } else {
      throw new StageFailure(
          "no model at " + modelDir + " (neither model.json nor spec.json; run train first)");
    }
    rows = rows.select(Examples.columns());
    if (vqg) {
      rows = byImage(rows);
    }
    rows = rows.orderBy(ManifestColumns.SAMPLE_ID).cache();
    long n = rows.count();
    long images = rows.select(ManifestColumns.IMAGE_ID).distinct().count();
    boolean byImage = images == n;
    int key = byImage ? 1 : 0;
    Path tmp = files.temporaryFor(out);
    long withAnswers = 0;
    long nothingGenerated = 0;
    try {
      try (BufferedWriter sub = writer(files, new Path(tmp, "submission.txt"));
          BufferedWriter gt = writer(files, new Path(tmp, "ground-truth.txt"))) {
        // toLocalIterator streams one partition at a time: the driver never holds the split.
        Iterator<Row> it = rows.toLocalIterator();
        List<Row> chunk = new ArrayList<>(batch);
        while (it.hasNext() || !chunk.isEmpty()) {
          if (it.hasNext()) {
            chunk.add(it.next());
            if (chunk.size() < batch && it.hasNext()) {
              continue;
            }
          }
          List<List<String>> outputs = answerer.answer(chunk);
          for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            String id = r.getString(key);
            List<String> refs = r.getList(5);
            if (vqg) {
              List<String> generated = outputs.get(i);
              if (generated.isEmpty()) {
                // The submission format needs a question; "?" scores what nothing would (BLEU 0).
                nothingGenerated++;
                generated = List.of("?");
              }
              sub.write(id + "|" + String.join("|", generated) + "\n");
              if (!refs.isEmpty()) {
                withAnswers++;
                gt.write(id + "|" + String.join("|", refs) + "\n");
              }
              continue;
            }
            List<String> answer = outputs.get(i);
            sub.write(id + "|" + (answer.isEmpty() ? "" : answer.get(0)) + "\n");
            if (!refs.isEmpty()) {
              withAnswers++;
              gt.write(
                  id
                      + "|"
                      + r.getString(2)
                      + "|"
                      + r.getString(4)
                      + "|"
                      + String.join("#", refs)
                      + "\n");
            }
          }
          chunk.clear();
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
              .note("model_kind", kind)
              .note("split", split)
              .note("id", byImage ? "image_id" : "sample_id")
              .count("predictions", n)
              .note("task", vqg ? "vqg" : "vqa")
              .count(vqg ? "with_reference_questions" : "with_reference_answers", withAnswers)
              .count("images_without_generated_question", nothingGenerated)
              .count("answered_without_image", withoutImage[0]));
      files.commit(tmp, out);
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
      rows.unpersist();
    }
    if (withoutImage[0] > 0) {
      ctx.say(
          withoutImage[0]
              + " questions were answered without an image feature (their images are in the"
              + " feature table's _rejected)");
    }
    ctx.say(
        "summary: model="
            + kind
            + " predictions="
            + n
            + " split="
            + split
            + " id="
            + (byImage ? "image_id" : "sample_id")
            + " answered_without_image="
            + withoutImage[0]
            + " out="
            + out);
    return Main.OK;
  }

  private static void requireQuestions(
      Dataset<Row> manifest, boolean vqg, String split, String manifestPath) {
    if (manifest.isEmpty()) {
      throw new StageFailure(
          "split '"
              + split
              + "' of "
              + manifestPath
              + " has no "
              + (vqg ? "questions" : "VQA questions"));
    }
  }

  /**
   * One row per image for question generation, in the layout of {@link Examples#columns}: the
   * image's first sample id, category and question, and its distinct questions (sorted) in place of
   * the answers, as its references.
   */
  private static Dataset<Row> byImage(Dataset<Row> rows) {
    return rows.groupBy(col(ManifestColumns.IMAGE_ID))
        .agg(
            min(col(ManifestColumns.SAMPLE_ID)).as(ManifestColumns.SAMPLE_ID),
            first(col(ManifestColumns.CATEGORY)).as(ManifestColumns.CATEGORY),
            first(col(Examples.FEATURE), true).as(Examples.FEATURE),
            first(col(ManifestColumns.QUESTION)).as(ManifestColumns.QUESTION),
            sort_array(collect_set(col(ManifestColumns.QUESTION))).as(ManifestColumns.ANSWERS))
        .select(Examples.columns());
  }

  private static int featureSize(List<Row> chunk) {
    for (Row r : chunk) {
      if (!r.isNullAt(3)) {
        return r.getList(3).size();
      }
    }
    return 2048;
  }

  /**
   * The split's rows with their features, extracting first whatever images the feature table lacks.
   */
  private static Dataset<Row> withFeatures(
      StageContext ctx, Dataset<Row> manifest, String manifestPath) throws Exception {
    Config cfg = ctx.config();
    String featuresPath = ConfigCheck.requireString(cfg, "medvqa.predict.features");
    String key = ConfigCheck.requireString(cfg, "medvqa.predict.features-key");
    HadoopFiles files = ctx.files();
    Path table = new Path(files.qualify(featuresPath), ExtractFeaturesJob.FEATURES);
    boolean complete = false;
    if (files.exists(table)) {
      Dataset<Row> joined =
          Examples.withFeatures(manifest, ctx.spark().read().parquet(table.toString()), key);
      complete =
          joined
              .filter(
                  col(Examples.FEATURE)
                      .isNull()
                      .and(col(ManifestColumns.IMAGE_PATH).isNotNull())
                      .and(col(ManifestColumns.IMAGE_PATH).notEqual("")))
              .isEmpty();
    }
    if (!complete) {
      ctx.say("extracting the features this split's images lack into " + featuresPath);
      Config c =
          cfg.withValue("medvqa.features.manifest", ConfigValueFactory.fromAnyRef(manifestPath))
              .withValue("medvqa.features.out", ConfigValueFactory.fromAnyRef(featuresPath))
              .withValue("medvqa.features.incremental", ConfigValueFactory.fromAnyRef(true))
              .withValue("medvqa.features.columns.image-id", ConfigValueFactory.fromAnyRef(key));
      int rc = new ExtractFeaturesJob().run(ctx.derive("extract-features", c));
      if (rc != Main.OK) {
        throw new StageFailure("feature extraction for prediction failed");
      }
    }
    return Examples.withFeatures(manifest, ctx.spark().read().parquet(table.toString()), key);
  }

  private static BufferedWriter writer(HadoopFiles files, Path p) throws IOException {
    return new BufferedWriter(new OutputStreamWriter(files.create(p), StandardCharsets.UTF_8));
  }
}
