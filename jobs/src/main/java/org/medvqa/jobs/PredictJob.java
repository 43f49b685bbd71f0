package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

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

  /** Answers a chunk of rows (sample id, image id, category, feature, question, answers). */
  private interface Answerer {
    List<String> answer(List<Row> rows);
  }

  @Override
  public int run(JobContext ctx) throws Exception {
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
    Dataset<Row> manifest =
        Manifests.read(ctx, manifestPath)
            .filter(
                col(ManifestColumns.SPLIT)
                    .equalTo(split)
                    .and(col(ManifestColumns.TASK).equalTo("vqa")));
    if (manifest.isEmpty()) {
      throw new JobFailure("split '" + split + "' of " + manifestPath + " has no VQA questions");
    }
    Answerer answerer;
    String kind;
    long[] withoutImage = {0};
    Dataset<Row> rows;
    if (files.exists(majorityFile)) {
      MajorityBaseline model;
      try {
        model =
            MajorityBaseline.fromJson(
                new String(files.readAll(majorityFile), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new JobFailure(majorityFile + ": " + e.getMessage());
      }
      kind = MajorityBaseline.TYPE;
      answerer = chunk -> chunk.stream().map(r -> model.predict(r.getString(2))).toList();
      rows = manifest.withColumn(Examples.FEATURE, lit(null).cast("array<float>"));
    } else if (files.exists(specFile)) {
      VqaModel model;
      try {
        model = ModelKinds.fromJson(new String(files.readAll(specFile), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new JobFailure(specFile + ": " + e.getMessage());
      }
      kind = model.kind();
      ComputationGraph net;
      try (InputStream in = files.open(new Path(modelDir, TrainJob.MODEL_FILE))) {
        net = ModelSerializer.restoreComputationGraph(in, false);
      }
      rows =
          model instanceof org.medvqa.models.classifier.FineTunedClassifier
              ? manifest.withColumn(Examples.FEATURE, Pixels.of(files, cfg))
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
            List<String> out2 = new ArrayList<>();
            for (List<String> a : model.predict(net, examples)) {
              out2.add(a.isEmpty() ? "" : a.get(0));
            }
            return out2;
          };
    } else {
      throw new JobFailure(
          "no model at " + modelDir + " (neither model.json nor spec.json; run train first)");
    }
    rows = rows.select(Examples.columns()).orderBy(ManifestColumns.SAMPLE_ID).cache();
    long n = rows.count();
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
        List<Row> chunk = new ArrayList<>(batch);
        while (it.hasNext() || !chunk.isEmpty()) {
          if (it.hasNext()) {
            chunk.add(it.next());
            if (chunk.size() < batch && it.hasNext()) {
              continue;
            }
          }
          List<String> answers = answerer.answer(chunk);
          for (int i = 0; i < chunk.size(); i++) {
            Row r = chunk.get(i);
            String id = r.getString(key);
            sub.write(id + "|" + answers.get(i) + "\n");
            List<String> refs = r.getList(5);
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
              .count("with_reference_answers", withAnswers)
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
      JobContext ctx, Dataset<Row> manifest, String manifestPath) throws Exception {
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
        throw new JobFailure("feature extraction for prediction failed");
      }
    }
    return Examples.withFeatures(manifest, ctx.spark().read().parquet(table.toString()), key);
  }

  private static BufferedWriter writer(HadoopFiles files, Path p) throws IOException {
    return new BufferedWriter(new OutputStreamWriter(files.create(p), StandardCharsets.UTF_8));
  }
}
