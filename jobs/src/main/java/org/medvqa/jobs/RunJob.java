package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;
import org.medvqa.features.FeatureSettings;

/**
 * {@code pipeline} (also {@code run}): one paper run (or ours) from releases to metrics, from one
 * run configuration: ingest the training release (and the test release), augment the training
 * images and questions, extract the features the model needs into the shared cache, train, predict
 * the test questions, evaluate them and write {@code report.html}. Each stage can be switched off
 * ({@code medvqa.pipeline.stages}).
 *
 * <p>Layout of {@code medvqa.out}: {@code ingest-train/}, {@code ingest-test/}, {@code
 * augment-images/}, {@code augment-questions/}, {@code model/}, {@code predictions/}, then {@code
 * submission.txt} and, where the test answers are known, {@code metrics.json} (the evaluator's
 * JSON), and {@code provenance.json}. A stage whose output is complete for the same inputs and
 * settings is not run again ({@link StageRunner}), so the same command started after a failure or a
 * kill continues where it stopped; training itself resumes from its last epoch.
 *
 * <p>Without a test release the test questions are a split of the training ingest (e.g. the
 * held-out images, {@code medvqa.ingest.holdout}).
 */
public final class RunJob implements Job {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Config subtrees whose values decide each stage's output (beyond its inputs). */
  static final List<String> INGEST_SETTINGS = List.of("medvqa.ingest");

  static final List<String> AUGMENT_IMAGES_SETTINGS = List.of("medvqa.augment.images");
  static final List<String> AUGMENT_QUESTIONS_SETTINGS =
      List.of("medvqa.augment.questions", "medvqa.vectors");
  static final List<String> TRAIN_SETTINGS =
      List.of("medvqa.train", "medvqa.training", "medvqa.models", "medvqa.features");
  static final List<String> PREDICT_SETTINGS = List.of("medvqa.predict", "medvqa.models");

  private final String name;

  /** The job under its usual name, {@code pipeline}. */
  public RunJob() {
    this("pipeline");
  }

  /** The same job under another command-line name ({@code run}, the name the paper runs use). */
  public RunJob(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String summary() {
    return name.equals("pipeline")
        ? "ingest, augment, features, train, predict, evaluate from one run config; reruns continue"
        : "the same as pipeline (one run end to end, metrics.json)";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    Config cfg = ctx.config();
    String trainRelease = ConfigCheck.requireString(cfg, "medvqa.data.train");
    String testRelease = cfg.getString("medvqa.data.test");
    String outPath = ConfigCheck.requireString(cfg, "medvqa.out");
    String kind = ConfigCheck.requireOneOf(cfg, "medvqa.train.model", TrainJob.MODELS);
    String task = ConfigCheck.requireOneOf(cfg, "medvqa.eval.task", List.of("vqa", "vqg"));
    Stages on = Stages.from(cfg);
    HadoopFiles files = ctx.files();
    Path out = files.qualify(outPath);
    files.fs(out).mkdirs(out);
    String runName = cfg.getString("medvqa.run.name");
    ctx.say("run " + (runName.isBlank() ? kind : runName) + " -> " + out);
    StageRunner stages = new StageRunner(ctx);

    // 1. Ingest, unless the training release is an ingest output already (runs that share one).
    Manifest train = ingest(ctx, stages, on, trainRelease, new Path(out, "ingest-train"), cfg);
    // More training data: releases are ingested beside the training release (all of them goes to
    // training: no held-out part); manifests already made are used as they are.
    List<Manifest> extras = new ArrayList<>();
    List<String> extraTrain = cfg.getStringList("medvqa.data.extra-train");
    for (int k = 0; k < extraTrain.size(); k++) {
      extras.add(
          ingest(
              ctx,
              stages,
              on,
              extraTrain.get(k),
              new Path(out, "ingest-extra-" + (k + 1)),
              set(cfg, "medvqa.ingest.holdout.fraction", 0.0)));
    }
    Manifest test = train;
    String testSplit = cfg.getString("medvqa.run.test-split");
    if (!testRelease.isBlank()) {
      test =
          ingest(
              ctx,
              stages,
              on,
              testRelease,
              new Path(out, "ingest-test"),
              set(cfg, "medvqa.ingest.splits", List.of(), "medvqa.ingest.holdout.fraction", 0.0));
    }
    if (testSplit.isBlank()) {
      testSplit =
          onlySplit(
              ctx,
              test.path(),
              testRelease.isBlank() ? cfg.getString("medvqa.ingest.holdout.to") : null);
    }

    // 2. Augmentation of the training split: each output is a whole manifest (the other splits'
    // rows copied as variant 0), so it replaces the training manifest.
    if (on.augmentImages()) {
      Path o = new Path(out, "augment-images");
      train =
          new Manifest(
              o,
              stages.run(
                  "augment-images",
                  new AugmentImagesJob(),
                  o,
                  set(
                      cfg,
                      "medvqa.augment.images.manifest",
                      train.path(),
                      "medvqa.augment.images.out",
                      o),
                  AUGMENT_IMAGES_SETTINGS,
                  Map.of("manifest", train.fingerprint())));
    }
    if (on.augmentQuestions()) {
      Path o = new Path(out, "augment-questions");
      String vectors = ConfigCheck.requireString(cfg, "medvqa.vectors.path");
      train =
          new Manifest(
              o,
              stages.run(
                  "augment-questions",
                  new AugmentQuestionsJob(),
                  o,
                  set(
                      cfg,
                      "medvqa.augment.questions.manifest",
                      train.path(),
                      "medvqa.augment.questions.out",
                      o),
                  AUGMENT_QUESTIONS_SETTINGS,
                  Map.of(
                      "manifest",
                      train.fingerprint(),
                      "vectors",
                      stages.fingerprintOf(files.qualify(vectors)))));
    }

    // 3. Features, in the shared cache keyed by image content and weights. Extraction is
    // incremental: images the cache holds already are not extracted again.
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
      if (on.extractFeatures()) {
        Set<Path> manifests = new LinkedHashSet<>(List.of(train.path()));
        extras.forEach(e -> manifests.add(e.path()));
        manifests.add(test.path());
        for (Path m : manifests) {
          int rc =
              new ExtractFeaturesJob()
                  .run(
                      ctx.derive(
                          "extract-features", set(withFeatures, "medvqa.features.manifest", m)));
          if (rc != Main.OK) {
            throw new StageFailure("feature extraction failed for " + m);
          }
        }
      } else {
        ctx.say("extract-features: switched off; the cache " + cache + " must hold every image");
      }
    }

    // 4. Train.
    Path model = new Path(out, "model");
    Map<String, String> trainInputs = new LinkedHashMap<>();
    trainInputs.put("manifest", train.fingerprint());
    for (int k = 0; k < extras.size(); k++) {
      trainInputs.put("extra" + (k + 1), extras.get(k).fingerprint());
    }
    trainInputs.put("features", cache.isEmpty() ? "none" : new Path(cache).getName());
    String modelFingerprint =
        on.train()
            ? stages.run(
                "train",
                new TrainJob(),
                model,
                set(
                    withFeatures,
                    "medvqa.train.manifest",
                    train.path(),
                    "medvqa.train.extra-manifests",
                    extras.stream().map(e -> e.path().toString()).toList(),
                    "medvqa.train.out",
                    model,
                    "medvqa.train.features",
                    cache,
                    "medvqa.train.features-key",
                    ManifestColumns.IMAGE_SHA256),
                TRAIN_SETTINGS,
                trainInputs)
            : existing(ctx, stages, model, "train");

    // 5. Predict.
    Path predictions = new Path(out, "predictions");
    if (on.predict()) {
      stages.run(
          "predict",
          new PredictJob(),
          predictions,
          set(
              withFeatures,
              "medvqa.predict.model",
              model,
              "medvqa.predict.manifest",
              test.path(),
              "medvqa.predict.split",
              testSplit,
              "medvqa.predict.out",
              predictions,
              "medvqa.predict.features",
              cache,
              "medvqa.predict.features-key",
              ManifestColumns.IMAGE_SHA256),
          PREDICT_SETTINGS,
          Map.of("model", modelFingerprint, "manifest", test.fingerprint()));
    } else {
      existing(ctx, stages, predictions, "predict");
    }
    Path submission = new Path(out, "submission.txt");
    files.fs(submission).delete(submission, false);
    FileUtil.copy(
        files.fs(predictions),
        new Path(predictions, "submission.txt"),
        files.fs(submission),
        submission,
        false,
        files.conf());

    // 6. Evaluate, where the answers are known (cheap: always run, never skipped).
    Path gt = new Path(predictions, "ground-truth.txt");
    Path metrics = new Path(out, "metrics.json");
    String summary;
    if (on.evaluate() && files.exists(gt)) {
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
                          // What predict writes: image|category|question|answers for VQA.
                          "medvqa.eval.ground-truth-format",
                          "vqa".equals(task) ? "2019-test" : "vqg",
                          "medvqa.eval.submission",
                          submission,
                          "medvqa.eval.output",
                          metrics)));
      if (rc != Main.OK) {
        throw new StageFailure("evaluation failed");
      }
      JsonNode m = JSON.readTree(files.readAll(metrics));
      summary =
          String.format(
              java.util.Locale.ROOT,
              "accuracy=%.4f bleu=%.4f",
              m.path("accuracy").asDouble(Double.NaN),
              m.path("bleu").asDouble(Double.NaN));
    } else if (!on.evaluate()) {
      summary = "evaluate switched off: submission only";
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
            .note("feature_cache", cache)
            // What the test scores were measured on, so that retrain compares like with like.
            .note(
                "test_release_fingerprint",
                testRelease.isBlank() ? "" : stages.fingerprintOf(files.qualify(testRelease)))
            .note("train_manifest", train.path().toString())
            .note(
                "extra_manifests",
                String.join(",", extras.stream().map(e -> e.path().toString()).toList()))
            .note("stages_run", String.join(",", stages.ran()))
            .note("stages_skipped", String.join(",", stages.skipped())));
    ctx.say(
        "stages run: "
            + (stages.ran().isEmpty() ? "none" : String.join(", ", stages.ran()))
            + "; skipped (complete): "
            + (stages.skipped().isEmpty() ? "none" : String.join(", ", stages.skipped())));
    // 7. The report: written last, as it reads the run's provenance; it is a view of results that
    // are complete by now, so a failure to write it is reported and does not fail the run.
    if (on.report()) {
      try {
        new ReportJob().run(ctx.derive("report", set(cfg, "medvqa.report.run", out)));
      } catch (Exception e) {
        ctx.say("report not written: " + e.getMessage());
      }
    }
    ctx.say("summary: run=" + (runName.isBlank() ? kind : runName) + " " + summary + " out=" + out);
    return Main.OK;
  }

  /** A manifest folder and its fingerprint. */
  record Manifest(Path path, String fingerprint) {}

  /** Which stages {@code medvqa.pipeline.stages} switches on. */
  record Stages(
      boolean ingest,
      boolean augmentImages,
      boolean augmentQuestions,
      boolean extractFeatures,
      boolean train,
      boolean predict,
      boolean evaluate,
      boolean report) {
    static Stages from(Config cfg) {
      Config s = cfg.getConfig("medvqa.pipeline.stages");
      return new Stages(
          s.getBoolean("ingest"),
          s.getBoolean("augment-images"),
          s.getBoolean("augment-questions"),
          s.getBoolean("extract-features"),
          s.getBoolean("train"),
          s.getBoolean("predict"),
          s.getBoolean("evaluate"),
          s.getBoolean("report"));
    }
  }

  /**
   * The ingest output of {@code given}: {@code given} itself when it is an ingest (or augment)
   * output, else {@code out}, made by the ingest stage (or required to exist when it is off).
   */
  private static Manifest ingest(
      StageContext ctx, StageRunner stages, Stages on, String given, Path out, Config c)
      throws Exception {
    Path g = ctx.files().qualify(given);
    if (isIngestOutput(ctx.files(), g)) {
      ctx.say("ingest: " + g + " is an ingest output; used as it is");
      return new Manifest(g, stages.fingerprintOf(g));
    }
    if (!on.ingest()) {
      return new Manifest(out, existing(ctx, stages, out, "ingest"));
    }
    return new Manifest(
        out,
        stages.run(
            "ingest",
            new IngestJob(),
            out,
            set(c, "medvqa.ingest.release", given, "medvqa.ingest.out", out),
            INGEST_SETTINGS,
            Map.of("release", stages.fingerprintOf(g))));
  }

  /** The fingerprint of a switched-off stage's output, which must exist complete. */
  private static String existing(StageContext ctx, StageRunner stages, Path out, String stage)
      throws java.io.IOException {
    if (!ctx.files().exists(new Path(out, "provenance.json"))) {
      throw new StageFailure(
          "stage "
              + stage
              + " is switched off (medvqa.pipeline.stages."
              + stage
              + " = false) but "
              + out
              + " holds no complete output; switch it on or make that output first");
    }
    ctx.say(stage + ": switched off; using " + out);
    return stages.fingerprintOf(out);
  }

  /** {@code c} with each key set to the value after it (paths as their text). */
  static Config set(Config c, Object... keysAndValues) {
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

  /** The split to predict: {@code preferred} when given, else the manifest's only VQA split. */
  private static String onlySplit(StageContext ctx, Path manifest, String preferred)
      throws java.io.IOException {
    if (preferred != null) {
      return preferred;
    }
    Dataset<Row> m = Tables.manifest(ctx, manifest.toString());
    List<Row> splits = m.select(ManifestColumns.SPLIT).distinct().collectAsList();
    if (splits.size() != 1) {
      throw new StageFailure(
          "the test release has splits "
              + splits.stream().map(r -> r.getString(0)).toList()
              + "; choose one with medvqa.run.test-split");
    }
    return splits.get(0).getString(0);
  }

  /** {@code medvqa.run.feature-cache}, or a folder of the workspace named by the weights. */
  private static String featureCache(StageContext ctx) throws Exception {
    Config cfg = ctx.config();
    String explicit = cfg.getString("medvqa.run.feature-cache");
    if (!explicit.isBlank()) {
      return explicit;
    }
    FeatureSettings s = ExtractFeaturesJob.withModelFile(FeatureSettings.from(cfg), ctx.files());
    String id = StageRunner.sha256Hex(ExtractFeaturesJob.signature(s));
    String workspace = ConfigCheck.requireString(cfg, "medvqa.workspace");
    return new Path(ctx.files().qualify(workspace), "features/resnet50-" + id.substring(0, 12))
        .toString();
  }
}
