package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.features.FeatureSettings;

/**
 * {@code run}: one paper run (or ours) from releases to metrics, from one run configuration: ingest
 * the training release (and the test release), extract the features the model needs into the shared
 * cache, train, predict the test questions and evaluate them.
 *
 * <p>Layout of {@code medvqa.out}: {@code ingest-train/}, {@code ingest-test/}, {@code model/},
 * {@code predictions/}, then {@code submission.txt} and, where the test answers are known, {@code
 * metrics.json} (the evaluator's JSON), and {@code provenance.json}. A stage whose output is
 * already complete (it has its provenance) is not run again, so the same command started after a
 * failure or a kill continues where it stopped; training itself resumes from its last epoch.
 *
 * <p>Without a test release the test questions are a split of the training ingest (e.g. the
 * held-out images, {@code medvqa.ingest.holdout}).
 */
public final class RunJob implements Job {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String name() {
    return "run";
  }

  @Override
  public String summary() {
    return "one run end to end: ingest, features, train, predict, evaluate (metrics.json)";
  }

  @Override
  public int run(JobContext ctx) throws Exception {
    Config cfg = ctx.config();
    String trainRelease = ConfigCheck.requireString(cfg, "medvqa.data.train");
    String testRelease = cfg.getString("medvqa.data.test");
    String outPath = ConfigCheck.requireString(cfg, "medvqa.out");
    String kind = ConfigCheck.requireOneOf(cfg, "medvqa.train.model", TrainJob.MODELS);
    String task = ConfigCheck.requireOneOf(cfg, "medvqa.eval.task", List.of("vqa", "vqg"));
    HadoopFiles files = ctx.files();
    Path out = files.qualify(outPath);
    files.fs(out).mkdirs(out);
    String name = cfg.getString("medvqa.run.name");
    ctx.say("run " + (name.isBlank() ? kind : name) + " -> " + out);

    // 1. Ingest, unless the training release is an ingest output already (runs that share one).
    Path ingestTrain = new Path(out, "ingest-train");
    Path givenTrain = files.qualify(trainRelease);
    if (isIngestOutput(files, givenTrain)) {
      ctx.say("ingest: " + givenTrain + " is an ingest output; used as it is");
      ingestTrain = givenTrain;
    } else {
      stage(
          ctx,
          "ingest",
          ingestTrain,
          set(cfg, "medvqa.ingest.release", trainRelease, "medvqa.ingest.out", ingestTrain),
          new IngestJob());
    }
    // More training data: releases are ingested beside the training release (all of them goes to
    // training: no held-out part); manifests already made are used as they are.
    List<Path> extras = new ArrayList<>();
    List<String> extraTrain = cfg.getStringList("medvqa.data.extra-train");
    for (int k = 0; k < extraTrain.size(); k++) {
      Path given = files.qualify(extraTrain.get(k));
      if (isIngestOutput(files, given)) {
        extras.add(given);
        continue;
      }
      Path ingestExtra = new Path(out, "ingest-extra-" + (k + 1));
      stage(
          ctx,
          "ingest",
          ingestExtra,
          set(
              cfg,
              "medvqa.ingest.release",
              extraTrain.get(k),
              "medvqa.ingest.out",
              ingestExtra,
              "medvqa.ingest.holdout.fraction",
              0.0),
          new IngestJob());
      extras.add(ingestExtra);
    }
    Path testManifest = ingestTrain;
    String testSplit = cfg.getString("medvqa.run.test-split");
    if (!testRelease.isBlank()) {
      Path ingestTest = new Path(out, "ingest-test");
      stage(
          ctx,
          "ingest",
          ingestTest,
          set(
              cfg,
              "medvqa.ingest.release",
              testRelease,
              "medvqa.ingest.out",
              ingestTest,
              "medvqa.ingest.splits",
              List.of(),
              "medvqa.ingest.holdout.fraction",
              0.0),
          new IngestJob());
      testManifest = ingestTest;
    }
    if (testSplit.isBlank()) {
      testSplit =
          onlySplit(
              ctx,
              testManifest,
              testRelease.isBlank() ? cfg.getString("medvqa.ingest.holdout.to") : null);
    }

    // 2. Features, in the shared cache keyed by image content and weights.
    // The fine-tuned classifier reads the images themselves; the others read cached features.
    boolean dl4j =
        !kind.equals(MajorityBaseline.TYPE)
            && !kind.equals(org.medvqa.models.classifier.FineTunedClassifier.KIND);
    String cache = "";
    Config withFeatures = cfg;
    if (dl4j) {
      cache = featureCache(ctx);
      withFeatures =
          set(
              cfg,
              "medvqa.features.out",
              cache,
              "medvqa.features.incremental",
              true,
              "medvqa.features.columns.image-id",
              ManifestColumns.IMAGE_SHA256);
      List<Path> manifests = new ArrayList<>(List.of(ingestTrain));
      manifests.addAll(extras);
      if (!testManifest.equals(ingestTrain)) {
        manifests.add(testManifest);
      }
      for (Path m : manifests) {
        int rc =
            new ExtractFeaturesJob()
                .run(
                    ctx.derive(
                        "extract-features", set(withFeatures, "medvqa.features.manifest", m)));
        if (rc != Main.OK) {
          throw new JobFailure("feature extraction failed for " + m);
        }
      }
    }

    // 3. Train.
    Path model = new Path(out, "model");
    stage(
        ctx,
        "train",
        model,
        set(
            withFeatures,
            "medvqa.train.manifest",
            ingestTrain,
            "medvqa.train.extra-manifests",
            extras.stream().map(Path::toString).toList(),
            "medvqa.train.out",
            model,
            "medvqa.train.features",
            cache,
            "medvqa.train.features-key",
            ManifestColumns.IMAGE_SHA256),
        new TrainJob());

    // 4. Predict.
    Path predictions = new Path(out, "predictions");
    stage(
        ctx,
        "predict",
        predictions,
        set(
            withFeatures,
            "medvqa.predict.model",
            model,
            "medvqa.predict.manifest",
            testManifest,
            "medvqa.predict.split",
            testSplit,
            "medvqa.predict.out",
            predictions,
            "medvqa.predict.features",
            cache,
            "medvqa.predict.features-key",
            ManifestColumns.IMAGE_SHA256),
        new PredictJob());
    Path submission = new Path(out, "submission.txt");
    files.fs(submission).delete(submission, false);
    FileUtil.copy(
        files.fs(predictions),
        new Path(predictions, "submission.txt"),
        files.fs(submission),
        submission,
        false,
        files.conf());

    // 5. Evaluate, where the answers are known.
    Path gt = new Path(predictions, "ground-truth.txt");
    Path metrics = new Path(out, "metrics.json");
    String summary;
    if (files.exists(gt)) {
      files.fs(metrics).delete(metrics, false);
      int rc =
          new EvaluateJob()
              .run(
                  ctx.derive(
                      "evaluate",
                      set(
                          cfg,
                          "medvqa.eval.task",
                          task,
                          "medvqa.eval.ground-truth",
                          gt,
                          "medvqa.eval.submission",
                          submission,
                          "medvqa.eval.output",
                          metrics)));
      if (rc != Main.OK) {
        throw new JobFailure("evaluation failed");
      }
      JsonNode m = JSON.readTree(files.readAll(metrics));
      summary =
          String.format(
              java.util.Locale.ROOT,
              "accuracy=%.4f bleu=%.4f",
              m.path("accuracy").asDouble(Double.NaN),
              m.path("bleu").asDouble(Double.NaN));
    } else {
      summary = "no reference answers in split " + testSplit + ": submission only";
    }
    ctx.writeProvenance(
        out,
        ctx.provenance()
            .input("train_release", trainRelease)
            .input("extra_train", String.join(",", extraTrain))
            .input(
                "test_release",
                testRelease.isBlank() ? "(split of the training release)" : testRelease)
            .note("model_kind", kind)
            .note("test_split", testSplit)
            .note("feature_cache", cache));
    ctx.say("summary: run=" + (name.isBlank() ? kind : name) + " " + summary + " out=" + out);
    return Main.OK;
  }

  /** {@code c} with each key set to the value after it (paths as their text). */
  private static Config set(Config c, Object... keysAndValues) {
    for (int i = 0; i < keysAndValues.length; i += 2) {
      Object v = keysAndValues[i + 1];
      c =
          c.withValue(
              (String) keysAndValues[i],
              ConfigValueFactory.fromAnyRef(v instanceof Path ? v.toString() : v));
    }
    return c;
  }

  /** Whether {@code p} is an ingest (or augment-questions) output rather than a release folder. */
  private static boolean isIngestOutput(HadoopFiles files, Path p) throws java.io.IOException {
    return files.exists(new Path(p, "manifest"));
  }

  /** Runs a stage unless its output is complete already. */
  private static void stage(JobContext ctx, String job, Path out, Config c, Job stage)
      throws Exception {
    HadoopFiles files = ctx.files();
    if (files.exists(new Path(out, "provenance.json"))) {
      ctx.say(job + ": " + out.getName() + " is complete already; skipped");
      return;
    }
    int rc = stage.run(ctx.derive(job, c));
    if (rc != Main.OK) {
      throw new JobFailure(job + " failed");
    }
  }

  /** The split to predict: {@code preferred} when given, else the manifest's only VQA split. */
  private static String onlySplit(JobContext ctx, Path manifest, String preferred)
      throws java.io.IOException {
    if (preferred != null) {
      return preferred;
    }
    Dataset<Row> m = Manifests.read(ctx, manifest.toString());
    List<Row> splits = m.select(ManifestColumns.SPLIT).distinct().collectAsList();
    if (splits.size() != 1) {
      throw new JobFailure(
          "the test release has splits "
              + splits.stream().map(r -> r.getString(0)).toList()
              + "; choose one with medvqa.run.test-split");
    }
    return splits.get(0).getString(0);
  }

  /** {@code medvqa.run.feature-cache}, or a folder of the workspace named by the weights. */
  private static String featureCache(JobContext ctx) throws Exception {
    Config cfg = ctx.config();
    String explicit = cfg.getString("medvqa.run.feature-cache");
    if (!explicit.isBlank()) {
      return explicit;
    }
    FeatureSettings s = ExtractFeaturesJob.withModelFile(FeatureSettings.from(cfg), ctx.files());
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    String signature = ExtractFeaturesJob.signature(s);
    String id = HexFormat.of().formatHex(md.digest(signature.getBytes(StandardCharsets.UTF_8)));
    String workspace = ConfigCheck.requireString(cfg, "medvqa.workspace");
    return new Path(ctx.files().qualify(workspace), "features/resnet50-" + id.substring(0, 12))
        .toString();
  }
}
