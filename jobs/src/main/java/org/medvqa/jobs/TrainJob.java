package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.Tables;
import org.medvqa.models.Example;
import org.medvqa.models.MemoryModel;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.ScaledFeatures;
import org.medvqa.models.VqaModel;
import org.medvqa.models.classifier.FineTunedClassifier;
import org.medvqa.training.FeatureMoments;
import org.medvqa.training.SparkTrainer;
import org.medvqa.training.TrainingFailure;
import org.medvqa.training.TrainingSettings;

/**
 * {@code train}: fits a model on the training split of a manifest and writes a model directory.
 *
 * <p>Kinds: {@code majority} (the most frequent answer per question category; no features), and the
 * DL4J kinds of {@link ModelKinds} trained on Spark by {@link SparkTrainer} from the manifest
 * joined with its cached image features. A DL4J model directory holds {@code model.zip} (the DL4J
 * graph), {@code spec.json} (kind, hyper-parameters, answer set and vocabularies), {@code
 * metrics.jsonl} (one line per epoch), {@code training.json}, {@code config.conf} and {@code
 * provenance.json}.
 *
 * <p>Training runs in a work folder beside the output ({@code .<name>.work}, or {@code
 * medvqa.train.work}); a job killed mid-run and started again with the same command resumes from
 * its last finished epoch. The work folder is removed once the model directory is in place.
 */
public final class TrainJob implements Job {
  static final List<String> MODELS;

  static {
    List<String> m = new ArrayList<>();
    m.add(MajorityBaseline.TYPE);
    m.addAll(ModelKinds.NAMES);
    MODELS = List.copyOf(m);
  }

  static final String MODEL_FILE = "model.zip";
  static final String SPEC_FILE = "spec.json";

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "fit a model on a manifest's training split and write a model directory";
  }

  @Override
  public int run(StageContext ctx) throws Exception {
    String kind = ConfigCheck.requireOneOf(ctx.config(), "medvqa.train.model", MODELS);
    String manifestPath = ConfigCheck.requireString(ctx.config(), "medvqa.train.manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), "medvqa.train.out");
    HadoopFiles files = ctx.files();
    Path out = ctx.newOutput(outPath);
    return kind.equals(MajorityBaseline.TYPE)
        ? trainMajority(ctx, manifestPath, out)
        : trainDl4j(ctx, kind, manifestPath, out);
  }

  private int trainMajority(StageContext ctx, String manifestPath, Path out) throws Exception {
    String split = ctx.config().getString("medvqa.train.split");
    HadoopFiles files = ctx.files();
    // The main manifest and any extra ones (another release, augmented questions) count alike.
    List<String> manifests = new ArrayList<>(List.of(manifestPath));
    manifests.addAll(ctx.config().getStringList("medvqa.train.extra-manifests"));
    Dataset<Row> train = null;
    for (String m : manifests) {
      Dataset<Row> rows =
          Tables.manifest(ctx, m)
              .filter(
                  col(ManifestColumns.SPLIT)
                      .equalTo(split)
                      .and(col(ManifestColumns.TASK).equalTo("vqa")))
              .select(col(ManifestColumns.CATEGORY), col(ManifestColumns.ANSWERS));
      train = train == null ? rows : train.unionByName(rows);
    }
    // The first reference answer is the training target; alternatives are for scoring.
    List<Row> counts =
        train
            .filter(org.apache.spark.sql.functions.size(col(ManifestColumns.ANSWERS)).gt(0))
            .groupBy(
                col(ManifestColumns.CATEGORY),
                element_at(col(ManifestColumns.ANSWERS), 1).as("answer"))
            .count()
            .collectAsList();
    if (counts.isEmpty()) {
      throw new StageFailure(noAnswers(split, manifestPath));
    }
    Map<String, Map<String, Long>> table = new TreeMap<>();
    long samples = 0;
    for (Row r : counts) {
      table.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
      samples += r.getLong(2);
    }
    MajorityBaseline model = MajorityBaseline.fit(table);

    Path tmp = files.temporaryFor(out);
    try {
      files.write(new Path(tmp, "model.json"), model.toJson());
      files.write(new Path(tmp, "config.conf"), render(ctx.config()));
      ctx.writeProvenance(
          tmp,
          ctx.provenance()
              .input("manifest", manifestPath)
              .input("extra_manifests", String.join(",", manifests.subList(1, manifests.size())))
              .count("training_samples", samples)
              .count("categories", table.size()));
      files.commit(tmp, out);
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
    }
    model.answerByCategory().forEach((k, v) -> ctx.say("  " + k + " -> " + v));
    ctx.say(
        "summary: model=majority samples="
            + samples
            + " categories="
            + table.size()
            + " out="
            + out);
    return Main.OK;
  }

  private static String noAnswers(String split, String manifestPath) {
    return "no training answers in split '"
        + split
        + "' of "
        + manifestPath
        + " (set medvqa.train.split to a split with answers)";
  }

  static String render(Config config) {
    // The record of the settings leaves credentials out, as provenance.json does.
    return Provenance.withoutSecrets(config)
        .getConfig("medvqa")
        .root()
        .render(ConfigRenderOptions.defaults().setOriginComments(false));
  }

  private int trainDl4j(StageContext ctx, String kind, String manifestPath, Path out)
      throws Exception {
    Config cfg = ctx.config();
    String split = cfg.getString("medvqa.train.split");
    boolean pixels = kind.equals(FineTunedClassifier.KIND);
    String featuresPath =
        pixels ? "(images)" : ConfigCheck.requireString(cfg, "medvqa.train.features");
    String key = ConfigCheck.requireString(cfg, "medvqa.train.features-key");
    TrainingSettings settings = TrainingSettings.from(cfg);
    HadoopFiles files = ctx.files();
    Path featureTable =
        pixels ? null : new Path(files.qualify(featuresPath), ExtractFeaturesJob.FEATURES);
    if (!pixels && !files.exists(featureTable)) {
      throw new StageFailure(
          "no feature table at " + featureTable + " (run extract-features on the manifest first)");
    }
    Dataset<Row> manifest = Tables.manifest(ctx, manifestPath);
    boolean vqg = ModelKinds.generatesQuestions(kind);
    Column usable =
        vqg
            ? col(ManifestColumns.QUESTION).isNotNull()
            : col(ManifestColumns.TASK)
                .equalTo("vqa")
                .and(org.apache.spark.sql.functions.size(col(ManifestColumns.ANSWERS)).gt(0));
    Dataset<Row> rows = manifest.filter(usable);
    Dataset<Row> training = rows.filter(col(ManifestColumns.SPLIT).equalTo(split));
    // More training data (another release, augmented questions): the same split of each extra
    // manifest joins the training side only; validation stays on the main manifest's images.
    List<String> extras = cfg.getStringList("medvqa.train.extra-manifests");
    Dataset<Row> extraTraining = null;
    for (String extra : extras) {
      Dataset<Row> e = Tables.manifest(ctx, extra);
      List<String> have = java.util.Arrays.asList(e.columns());
      List<Column> same = new ArrayList<>();
      for (String c : manifest.columns()) {
        if (!have.contains(c)) {
          throw new StageFailure(
              "extra training manifest "
                  + extra
                  + " has no column '"
                  + c
                  + "' that "
                  + manifestPath
                  + " has");
        }
        same.add(col(c));
      }
      e =
          e.filter(usable.and(col(ManifestColumns.SPLIT).equalTo(split)))
              .select(same.toArray(new Column[0]));
      extraTraining = extraTraining == null ? e : extraTraining.unionByName(e);
    }
    Dataset<Row> validation;
    if (!settings.validationSplit().isEmpty()) {
      validation = rows.filter(col(ManifestColumns.SPLIT).equalTo(settings.validationSplit()));
    } else {
      // All questions of an image fall on the same side, as in the held-out split of ingest.
      org.apache.spark.sql.Column side =
          pmod(xxhash64(lit(settings.seed()), col(ManifestColumns.IMAGE_ID)), lit(1_000_000))
              .lt(lit((long) Math.round(settings.validationFraction() * 1_000_000)));
      validation = training.filter(side);
      training = training.filter(org.apache.spark.sql.functions.not(side));
      if (extraTraining != null) {
        extraTraining = extraTraining.filter(org.apache.spark.sql.functions.not(side));
      }
    }
    if (extraTraining != null) {
      training = training.unionByName(extraTraining);
    }
    Dataset<Row> trainRows;
    Dataset<Row> valRows;
    if (pixels) {
      Column px = Pixels.of(files, cfg, training.columns());
      trainRows = training.withColumn(Examples.FEATURE, px).select(Examples.columns()).cache();
      valRows = validation.withColumn(Examples.FEATURE, px).select(Examples.columns());
    } else {
      Dataset<Row> features = ctx.spark().read().parquet(featureTable.toString());
      trainRows = Examples.withFeatures(training, features, key).select(Examples.columns()).cache();
      valRows = Examples.withFeatures(validation, features, key).select(Examples.columns());
    }

    long nTrain = trainRows.count();
    if (nTrain == 0) {
      throw new StageFailure(noAnswers(split, manifestPath));
    }
    List<Row> missing = trainRows.filter(col(Examples.FEATURE).isNull()).limit(5).collectAsList();
    if (!missing.isEmpty()) {
      long n = trainRows.filter(col(Examples.FEATURE).isNull()).count();
      String example =
          " (e.g. sample "
              + missing.get(0).getString(0)
              + ", image "
              + missing.get(0).getString(1)
              + ")";
      throw new StageFailure(
          pixels
              ? n
                  + " training questions have an image that cannot be read, or that changed"
                  + " since its hash was recorded"
                  + example
              : n
                  + " training questions have no image feature in "
                  + featuresPath
                  + example
                  + ": run extract-features on "
                  + manifestPath
                  + " into that table"
                  + (key.equals(ManifestColumns.IMAGE_ID)
                      ? ""
                      : " with columns.image-id = " + key));
    }

    // The model's classes and vocabularies come from the training text only.
    List<Example> text = new ArrayList<>();
    for (java.util.Iterator<Row> it =
            trainRows
                .select(
                    col(ManifestColumns.SAMPLE_ID),
                    col(ManifestColumns.IMAGE_ID),
                    col(ManifestColumns.CATEGORY),
                    lit(null).cast("array<float>").as(Examples.FEATURE),
                    col(ManifestColumns.QUESTION),
                    col(ManifestColumns.ANSWERS))
                .toLocalIterator();
        it.hasNext(); ) {
      text.add(Examples.of(it.next()));
    }
    Example first = Examples.of(trainRows.limit(1).collectAsList().get(0));
    text.set(0, first); // carries the feature size
    VqaModel model;
    try {
      model = ModelKinds.fit(kind, cfg, text);
    } catch (IllegalArgumentException e) {
      throw new StageFailure(
          "cannot train " + kind + " on split '" + split + "': " + e.getMessage());
    }
    text = null;
    if (model instanceof ScaledFeatures scaled) {
      // Statistics of every training feature, not of the text the model was fitted on.
      model =
          scaled.withScaler(FeatureMoments.of(trainRows, Examples.FEATURE, first.image().length));
    }
    if (model instanceof MemoryModel memoryModel) {
      remember(ctx, memoryModel, trainRows);
    }

    List<Example> val = new ArrayList<>();
    valRows = valRows.cache(); // counted, then read: the join (or the image reading) runs once
    long nVal = valRows.count();
    Dataset<Row> valSample =
        nVal > settings.validationMax()
            ? valRows.sample(false, (double) settings.validationMax() / nVal, settings.seed())
            : valRows;
    for (java.util.Iterator<Row> it = valSample.toLocalIterator(); it.hasNext(); ) {
      Example e = Examples.of(it.next());
      if (e.image() == null) {
        throw new StageFailure(
            "validation sample "
                + e.sampleId()
                + " (image "
                + e.imageId()
                + ") has no feature in "
                + featuresPath);
      }
      val.add(e);
    }
    valRows.unpersist();
    ctx.say(
        String.format(
            java.util.Locale.ROOT,
            "%s: %d training and %d validation questions (%s), %d epochs, batch %d, %s %.0e, master %s",
            kind,
            nTrain,
            val.size(),
            settings.validationSplit().isEmpty()
                ? String.format(
                    java.util.Locale.ROOT,
                    "%.0f%% of the training images",
                    settings.validationFraction() * 100)
                : "split " + settings.validationSplit(),
            settings.epochs(),
            settings.batchSize(),
            settings.optimizer(),
            settings.learningRate(),
            settings.master()));
    describe(ctx, model);

    String workPath = cfg.getString("medvqa.train.work");
    Path work =
        workPath.isBlank()
            ? new Path(out.getParent(), "." + out.getName() + ".work")
            : files.qualify(workPath);
    String fingerprint =
        fingerprint(
            cfg, kind, extras.isEmpty() ? manifestPath : manifestPath + "+" + extras, featuresPath);
    JavaRDD<Example> trainRdd = trainRows.javaRDD().map(Examples::of);
    SparkTrainer.Outcome outcome;
    long t0 = System.nanoTime();
    try {
      outcome =
          new SparkTrainer(
                  org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                      ctx.spark().sparkContext()),
                  settings,
                  files,
                  ctx::say)
              .train(model, fingerprint, trainRdd, val, work, null);
    } catch (TrainingFailure e) {
      throw new StageFailure(e.getMessage() + " (work folder kept: " + work + ")");
    } finally {
      trainRows.unpersist();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (model instanceof MemoryModel memoryModel && settings.validationSplit().isEmpty()) {
      // The validation images, a share of the training split, chose the epoch without being in
      // memory (so that their scores were honest); now that it is chosen, they are training data
      // like the others. A validation split of its own (medvqa.training.validation-split) stays
      // out.
      remember(ctx, memoryModel, valRows);
    }

    Path tmp = files.temporaryFor(out);
    try {
      try (OutputStream os = files.create(new Path(tmp, MODEL_FILE))) {
        ModelSerializer.writeModel(outcome.model(), os, false);
      }
      files.write(new Path(tmp, SPEC_FILE), model.toJson().toPrettyString());
      StringBuilder metrics = new StringBuilder();
      outcome.epochs().forEach(m -> metrics.append(m.toJson()).append('\n'));
      files.write(new Path(tmp, SparkTrainer.metricsFileName()), metrics.toString());
      Path probes = new Path(work, SparkTrainer.probesFileName());
      if (files.exists(probes)) {
        files.write(
            new Path(tmp, SparkTrainer.probesFileName()),
            new String(files.readAll(probes), java.nio.charset.StandardCharsets.UTF_8));
      }
      EpochMetrics kept = outcome.epochs().get(outcome.keptEpoch() - 1);
      files.write(
          new Path(tmp, "training.json"),
          String.format(
              java.util.Locale.ROOT,
              "{\"kind\": \"%s\", \"kept_epoch\": %d, \"keep\": \"%s\", \"epochs_run\": %d,"
                  + " \"stopped_early\": %b, \"resumed_after_epoch\": %d, \"training_examples\": %d,"
                  + " \"minibatches\": %d, \"validation_examples\": %d, \"validation_%s\": %s,"
                  + " \"seconds\": %.1f}%n",
              kind,
              outcome.keptEpoch(),
              settings.keep(),
              outcome.epochs().size(),
              outcome.stoppedEarly(),
              outcome.resumedFrom(),
              outcome.examples(),
              outcome.batches(),
              val.size(),
              kept.metric(),
              kept.validationScore(),
              seconds));
      files.write(new Path(tmp, "config.conf"), render(cfg));
      ctx.writeProvenance(
          tmp,
          ctx.provenance()
              .input("manifest", manifestPath)
              .input("extra_manifests", String.join(",", extras))
              .input("features", featuresPath)
              .note("split", split)
              .note("fingerprint", fingerprint)
              .count("training_questions", nTrain)
              .count("trained_examples", outcome.examples())
              .count("validation_questions", val.size())
              .count("kept_epoch", outcome.keptEpoch()));
      files.commit(tmp, out);
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
    }
    if (!cfg.getBoolean("medvqa.train.keep-work")) {
      files.deleteQuietly(work);
    }
    EpochMetrics kept = outcome.epochs().get(outcome.keptEpoch() - 1);
    ctx.say(
        String.format(
            java.util.Locale.ROOT,
            "summary: model=%s examples=%d epochs=%d kept_epoch=%d validation_%s=%.4f seconds=%.0f out=%s",
            kind,
            outcome.examples(),
            outcome.epochs().size(),
            outcome.keptEpoch(),
            kept.metric(),
            kept.validationScore(),
            seconds,
            out));
    return Main.OK;
  }

  private static void describe(StageContext ctx, VqaModel model) {
    if (model instanceof org.medvqa.models.classifier.ImageClassifier c) {
      ctx.say("answer classes: " + c.answers().size());
    } else if (model instanceof org.medvqa.models.classifier.QuestionAwareClassifier q) {
      ctx.say(
          "answer classes: " + q.answers().size() + ", per category: " + q.answersPerCategory());
    }
  }

  /** Identifies a training run: what it trains on and every setting that shapes the result. */
  /**
   * Hands a {@link MemoryModel} the training examples of its memory categories, features included,
   * streamed one partition at a time.
   */
  private static void remember(StageContext ctx, MemoryModel model, Dataset<Row> trainRows) {
    List<Example> kept = new ArrayList<>();
    for (java.util.Iterator<Row> it =
            trainRows
                .filter(col(ManifestColumns.CATEGORY).isin(model.memoryCategories().toArray()))
                .select(Examples.columns())
                .toLocalIterator();
        it.hasNext(); ) {
      kept.add(Examples.of(it.next()));
    }
    model.remember(kept);
    ctx.say(
        model.kind()
            + ": "
            + kept.size()
            + " training questions of "
            + model.memoryCategories()
            + " offered to the nearest-neighbour memory");
  }

  static String fingerprint(Config cfg, String kind, String manifest, String features)
      throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (String part :
        List.of(
            kind,
            manifest,
            features,
            cfg.getString("medvqa.train.split"),
            cfg.getString("medvqa.train.features-key"),
            cfg.getConfig("medvqa.training")
                .withoutPath("epochs")
                .withoutPath("inject-task-failure")
                .root()
                .render(ConfigRenderOptions.concise()),
            cfg.getConfig("medvqa.models." + kind).root().render(ConfigRenderOptions.concise()))) {
      md.update(part.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest()).substring(0, 16);
  }
}
