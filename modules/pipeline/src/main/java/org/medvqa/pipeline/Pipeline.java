package org.medvqa.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;
import org.medvqa.features.FeatureSettings;
import org.medvqa.features.FeatureTable;
import org.medvqa.models.ModelKind;
import org.medvqa.models.ModelKinds;

/**
 * One run from releases to metrics: the {@link PipelineStage}s in order, each through {@link
 * StageRunner} (skipped when complete for the same inputs and settings), inside the run folder:
 * {@code ingest-train/}, {@code ingest-extra-N/}, {@code ingest-test/}, {@code augment-images/},
 * {@code augment-questions/}, {@code model/}, {@code predictions/}, then {@code submission.txt},
 * {@code metrics.json} where the answers are known, {@code provenance.json} (with the {@link
 * RunRecord}) and {@code report.html}.
 */
public final class Pipeline {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The answers seen in training, in a VQA run's {@code predictions} folder ({@code SeenAnswers}).
   */
  public static final String SEEN_ANSWERS = "seen-answers.txt";

  private final StageContext ctx;
  private final PipelineSettings s;
  private final Config cfg;
  private final StageRunner stages;
  private final HadoopFiles files;
  private final Path out;
  private final Map<PipelineStage, StageCall> calls;

  /** A manifest folder and its fingerprint. */
  record Manifest(Path path, String fingerprint) {}

  /**
   * @param calls how each stage is run (the jobs module passes its jobs), so that this module needs
   *     none of them
   */
  public Pipeline(StageContext ctx, PipelineSettings settings, Map<PipelineStage, StageCall> calls)
      throws IOException {
    this.calls = Map.copyOf(calls);
    this.ctx = ctx;
    this.s = settings;
    this.cfg = ctx.config();
    this.stages = new StageRunner(ctx);
    this.files = ctx.files();
    this.out = files.qualify(settings.out());
  }

  /** Runs every stage switched on; returns the run's record (also written to its provenance). */
  public RunRecord run() throws Exception {
    files.fs(out).mkdirs(out);
    ctx.say("run " + s.displayName() + " -> " + out);
    Manifest train = ingest(s.train(), new Path(out, "ingest-train"), cfg);
    List<Manifest> extras = new ArrayList<>();
    for (int k = 0; k < s.extraTrain().size(); k++) {
      // More training data: all of it trains (no held-out part); manifests are used as they are.
      Config c = PipelineStage.with(cfg, "medvqa.ingest.holdout.fraction", 0.0);
      extras.add(ingest(s.extraTrain().get(k), new Path(out, "ingest-extra-" + (k + 1)), c));
    }
    Manifest test = s.test().isBlank() ? train : ingestTest();
    String testSplit = testSplit(test);
    train = augment(train);
    String cache = usesFeatures() ? featureCache() : "";
    // Training and prediction see the cache's settings too (they are part of their fingerprint).
    Config base =
        cache.isEmpty() ? cfg : PipelineStage.EXTRACT_FEATURES.configure(cfg, cache, Map.of());
    if (!cache.isEmpty()) {
      extractFeatures(base, train, extras, test);
    }
    String model = train(base, train, extras, cache);
    Path predictions = predict(base, model, test, testSplit, cache);
    String summary = evaluate(predictions, testSplit, train, extras);
    RunRecord record = record(train, extras, testSplit, cache);
    writeProvenance(record);
    ctx.say(
        "stages run: "
            + (stages.ran().isEmpty() ? "none" : String.join(", ", stages.ran()))
            + "; skipped (complete): "
            + (stages.skipped().isEmpty() ? "none" : String.join(", ", stages.skipped())));
    report();
    ctx.say("summary: run=" + s.displayName() + " " + summary + " out=" + out);
    return record;
  }

  /**
   * The ingest output of {@code given}: {@code given} itself when it is an ingest (or augment)
   * output, else {@code into}, made by the ingest stage (or required to exist when it is off).
   */
  private Manifest ingest(String given, Path into, Config c) throws Exception {
    Path g = files.qualify(given);
    if (files.exists(new Path(g, "manifest"))) {
      ctx.say("ingest: " + g + " is an ingest output; used as it is");
      return new Manifest(g, stages.fingerprintOf(g));
    }
    if (!s.stages().ingest()) {
      return new Manifest(into, existing(into, "ingest"));
    }
    PipelineStage stage = PipelineStage.INGEST;
    Config sc = stage.configure(c, into, Map.of("release", given));
    return new Manifest(
        into, stages.run(stage, call(stage), into, sc, Map.of("release", stages.fingerprintOf(g))));
  }

  /** The test release's ingest: every split, nothing held out. */
  private Manifest ingestTest() throws Exception {
    Config c = PipelineStage.with(cfg, "medvqa.ingest.splits", List.of());
    c = PipelineStage.with(c, "medvqa.ingest.holdout.fraction", 0.0);
    return ingest(s.test(), new Path(out, "ingest-test"), c);
  }

  /**
   * Augmentation of the training split: each output is a whole manifest (the other splits' rows
   * copied as variant 0), so it replaces the training manifest.
   */
  private Manifest augment(Manifest train) throws Exception {
    if (s.stages().augmentImages()) {
      train = augmentWith(PipelineStage.AUGMENT_IMAGES, train, Map.of());
    }
    if (s.stages().augmentQuestions()) {
      String vectors = ConfigCheck.requireString(cfg, "medvqa.vectors.path");
      train =
          augmentWith(
              PipelineStage.AUGMENT_QUESTIONS,
              train,
              Map.of("vectors", stages.fingerprintOf(files.qualify(vectors))));
    }
    return train;
  }

  private Manifest augmentWith(PipelineStage stage, Manifest in, Map<String, String> more)
      throws Exception {
    Path o = new Path(out, stage.id());
    Map<String, String> inputs = new LinkedHashMap<>(more);
    inputs.put("manifest", in.fingerprint());
    Config c = stage.configure(cfg, o, Map.of("manifest", in.path()));
    return new Manifest(o, stages.run(stage, call(stage), o, c, inputs));
  }

  /** Whether the kind reads cached features (the fine-tuned classifier reads the images). */
  private boolean usesFeatures() {
    return ModelKinds.get(s.kind()).input() == ModelKind.Input.FEATURES;
  }

  /**
   * Features of every manifest into the shared cache, keyed by image content and weights. The
   * extraction is incremental (images the cache holds are not extracted again), so it is not
   * fingerprinted and always runs.
   */
  private void extractFeatures(Config base, Manifest train, List<Manifest> extras, Manifest test)
      throws Exception {
    if (!s.stages().extractFeatures()) {
      ctx.say(
          "extract-features: switched off; the cache "
              + base.getString("medvqa.features.out")
              + " must hold every image");
      return;
    }
    Set<Path> manifests = new LinkedHashSet<>(List.of(train.path()));
    extras.forEach(e -> manifests.add(e.path()));
    manifests.add(test.path());
    PipelineStage stage = PipelineStage.EXTRACT_FEATURES;
    for (Path m : manifests) {
      call(stage)
          .run(ctx.derive(stage.id(), PipelineStage.with(base, "medvqa.features.manifest", m)));
    }
  }

  /** Trains into {@code model/}; returns the model's fingerprint. */
  private String train(Config base, Manifest train, List<Manifest> extras, String cache)
      throws Exception {
    Path model = new Path(out, "model");
    if (!s.stages().train()) {
      return existing(model, "train");
    }
    Map<String, String> inputs = new LinkedHashMap<>();
    inputs.put("manifest", train.fingerprint());
    for (int k = 0; k < extras.size(); k++) {
      inputs.put("extra" + (k + 1), extras.get(k).fingerprint());
    }
    inputs.put("features", cache.isEmpty() ? "none" : new Path(cache).getName());
    PipelineStage stage = PipelineStage.TRAIN;
    Config c =
        stage.configure(
            base,
            model,
            Map.of(
                "manifest", train.path(),
                "extra-manifests", extras.stream().map(Manifest::path).toList(),
                "features", cache));
    return stages.run(stage, call(stage), model, c, inputs);
  }

  /** Predicts the test split into {@code predictions/} and copies the submission beside it. */
  private Path predict(Config base, String model, Manifest test, String testSplit, String cache)
      throws Exception {
    Path predictions = new Path(out, "predictions");
    if (s.stages().predict()) {
      PipelineStage stage = PipelineStage.PREDICT;
      Config c =
          stage.configure(
              base,
              predictions,
              Map.of(
                  "model",
                  new Path(out, "model"),
                  "manifest",
                  test.path(),
                  "split",
                  testSplit,
                  "features",
                  cache));
      stages.run(
          stage,
          call(stage),
          predictions,
          c,
          Map.of("model", model, "manifest", test.fingerprint()));
    } else {
      existing(predictions, "predict");
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
    return predictions;
  }

  /**
   * Scores the submission where the answers are known; returns the summary's metrics part. For a
   * VQA breakdown the answers the model trained on go beside the predictions ({@link
   * #SEEN_ANSWERS}), so that it can show how many references a model could answer from them.
   */
  private String evaluate(Path predictions, String testSplit, Manifest train, List<Manifest> extras)
      throws Exception {
    Path gt = new Path(predictions, "ground-truth.txt");
    if (!s.stages().evaluate()) {
      return "evaluate switched off: submission only";
    }
    if (!files.exists(gt)) {
      return "no reference answers in split " + testSplit + ": submission only";
    }
    Path metrics = new Path(out, "metrics.json");
    files.fs(metrics).delete(metrics, false);
    PipelineStage stage = PipelineStage.EVALUATE;
    Config c = PipelineStage.with(cfg, "medvqa.eval.task", s.task());
    if ("vqa".equals(s.task())
        && cfg.getBoolean("medvqa.eval.breakdown")
        && cfg.getString("medvqa.eval.seen-answers").isBlank()) {
      Path seen = new Path(predictions, SEEN_ANSWERS);
      writeSeenAnswers(seen, train, extras);
      c = PipelineStage.with(c, "medvqa.eval.seen-answers", seen.toString());
    }
    c =
        stage.configure(
            c,
            metrics,
            Map.of(
                "ground-truth",
                gt,
                // What predict writes: image|category|question|answers for VQA.
                "format",
                "vqa".equals(s.task()) ? "2019-test" : "vqg",
                "submission",
                new Path(out, "submission.txt")));
    call(stage).run(ctx.derive(stage.id(), c));
    JsonNode m = JSON.readTree(files.readAll(metrics));
    return String.format(
        Locale.ROOT,
        "accuracy=%.4f bleu=%.4f",
        m.path("accuracy").asDouble(Double.NaN),
        m.path("bleu").asDouble(Double.NaN));
  }

  /**
   * The distinct answers of the training split ({@code medvqa.train.split}) of the training
   * manifest and the extra ones (what train read), sorted, one per line.
   */
  private void writeSeenAnswers(Path to, Manifest train, List<Manifest> extras) throws IOException {
    String split = ConfigCheck.requireString(cfg, "medvqa.train.split");
    Set<String> lines = new TreeSet<>();
    List<Manifest> all = new ArrayList<>(List.of(train));
    all.addAll(extras);
    for (Manifest m : all) {
      Dataset<Row> rows =
          Tables.manifest(ctx, m.path().toString())
              .filter(col(ManifestColumns.SPLIT).equalTo(split))
              .select(explode(col(ManifestColumns.ANSWERS)))
              .distinct();
      for (Row r : rows.collectAsList()) {
        // Line breaks are spaces to the accuracy's normalisation too.
        lines.add(r.getString(0).replaceAll("[\r\n]", " "));
      }
    }
    files.write(to, lines.isEmpty() ? "" : String.join("\n", lines) + "\n");
  }

  private RunRecord record(Manifest train, List<Manifest> extras, String testSplit, String cache)
      throws IOException {
    return new RunRecord(
        s.kind(),
        testSplit,
        cache,
        train.path().toString(),
        extras.stream().map(e -> e.path().toString()).toList(),
        // What the test scores were measured on, so that retrain compares like with like.
        s.test().isBlank() ? "" : stages.fingerprintOf(files.qualify(s.test())),
        List.copyOf(stages.ran()),
        List.copyOf(stages.skipped()));
  }

  private void writeProvenance(RunRecord r) throws IOException {
    ctx.writeProvenance(
        out,
        ctx.provenance()
            .input("train_release", s.train())
            .input("extra_train", String.join(",", s.extraTrain()))
            .input(
                "test_release", s.test().isBlank() ? "(split of the training release)" : s.test())
            .section(RunRecord.SECTION, r));
  }

  /**
   * The report: written last, as it reads the run's provenance; it is a view of results that are
   * complete by now, so a failure to write it is reported and does not fail the run.
   */
  private void report() {
    if (!s.stages().report()) {
      return;
    }
    try {
      PipelineStage stage = PipelineStage.REPORT;
      call(stage).run(ctx.derive(stage.id(), stage.configure(cfg, out, Map.of())));
    } catch (Exception e) {
      ctx.say("report not written: " + e.getMessage());
    }
  }

  private StageCall call(PipelineStage stage) {
    StageCall c = calls.get(stage);
    if (c == null) {
      throw new IllegalArgumentException("no call given for stage " + stage.id());
    }
    return c;
  }

  /** The fingerprint of a switched-off stage's output, which must exist complete. */
  private String existing(Path output, String stage) throws IOException {
    if (!files.exists(new Path(output, "provenance.json"))) {
      throw new StageFailure(
          "stage "
              + stage
              + " is switched off (medvqa.pipeline.stages."
              + stage
              + " = false) but "
              + output
              + " holds no complete output; switch it on or make that output first");
    }
    ctx.say(stage + ": switched off; using " + output);
    return stages.fingerprintOf(output);
  }

  /** The split to predict: the one asked for, the held-out one, or the test release's only one. */
  private String testSplit(Manifest test) throws IOException {
    if (!s.testSplit().isBlank()) {
      return s.testSplit();
    }
    if (s.test().isBlank()) {
      return s.holdoutSplit();
    }
    Dataset<Row> m = Tables.manifest(ctx, test.path().toString());
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
  private String featureCache() throws Exception {
    if (!s.featureCache().isBlank()) {
      return s.featureCache();
    }
    FeatureSettings f = FeatureTable.withModelFile(FeatureSettings.from(cfg), files);
    String id = StageRunner.sha256Hex(FeatureTable.signature(f));
    if (s.workspace().isBlank()) {
      ConfigCheck.requireString(cfg, "medvqa.workspace");
    }
    return new Path(files.qualify(s.workspace()), "features/resnet50-" + id.substring(0, 12))
        .toString();
  }
}
