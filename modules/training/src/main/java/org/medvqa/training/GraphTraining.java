package org.medvqa.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.ImageSplit;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.features.FeatureTable;
import org.medvqa.models.Example;
import org.medvqa.models.GraphKind;
import org.medvqa.models.GraphModel;
import org.medvqa.models.MemoryModel;
import org.medvqa.models.ModelKind;
import org.medvqa.models.ScaledFeatures;
import org.medvqa.models.TrainedModel;
import org.medvqa.models.VqaModel;

/**
 * Training a network kind: the training and validation rows with their image input, the model
 * fitted on the training text, {@link SparkTrainer} in the work folder, then the model folder.
 */
final class GraphTraining {
  private final StageContext ctx;
  private final TrainSettings settings;
  private final TrainingSettings training;
  private final GraphKind kind;
  private final HadoopFiles files;

  GraphTraining(StageContext ctx, TrainSettings settings, GraphKind kind) {
    this.ctx = ctx;
    this.settings = settings;
    this.training = settings.training();
    this.kind = kind;
    this.files = ctx.files();
  }

  /**
   * The examples: training rows cached, validation rows not yet read, and the rows a {@link
   * MemoryModel} remembers (the training rows of original images: augmented variants train the
   * network only).
   */
  private record Rows(
      Dataset<Row> training, Dataset<Row> validation, Dataset<Row> memory, long nTrain) {}

  TrainStage.Result run(StagedOutput out) throws IOException {
    if (kind.input() == ModelKind.Input.FEATURES
        && !files.exists(TrainStage.featureTable(files, settings.features()))) {
      throw new StageFailure(
          "no feature table at "
              + TrainStage.featureTable(files, settings.features())
              + " (run extract-features on the manifest first)");
    }
    Rows rows = rows();
    Example first = Examples.of(rows.training().limit(1).collectAsList().get(0));
    VqaModel model = fit(rows, first);
    List<Example> val = validation(rows.validation());
    announce(rows.nTrain(), val.size(), model);

    Path target = out.target();
    String workPath = settings.work();
    Path work =
        workPath.isBlank()
            ? new Path(target.getParent(), "." + target.getName() + ".work")
            : files.qualify(workPath);
    long t0 = System.nanoTime();
    SparkTrainer.Outcome outcome = train(model, rows.training(), val, work);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (model instanceof MemoryModel memoryModel) {
      String chosen = memoryModel.choose(outcome.model(), val);
      if (!chosen.isEmpty()) {
        ctx.say(chosen);
      }
      if (training.validationSplit().isEmpty()) {
        // The validation images, a share of the training split, chose the epoch (and the model's
        // own settings) without being in memory, so that their scores were honest; now they are
        // training data like the others. A validation split of its own
        // (medvqa.train.validation-split) stays out.
        remember(memoryModel, rows.validation());
      }
    }
    GraphModel trained = new GraphModel(model, outcome.model());
    write(out, trained, outcome, work, rows.nTrain(), val.size(), seconds);
    if (!settings.keepWork()) {
      files.deleteQuietly(work);
    }
    return new TrainStage.Result(
        trained, target, outcome.examples(), seconds, summary(outcome, seconds, target));
  }

  /**
   * The training rows (the split, less the validation share, plus the extra manifests' split)
   * cached and counted, every one with its image input, and the validation rows.
   */
  private Rows rows() throws IOException {
    String split = settings.split();
    Dataset<Row> manifest = TrainStage.manifest(ctx, settings.manifest());
    Column usable =
        kind.generatesQuestions()
            ? col(ManifestColumns.QUESTION).isNotNull()
            : col(ManifestColumns.TASK)
                .equalTo("vqa")
                .and(functions.size(col(ManifestColumns.ANSWERS)).gt(0));
    Dataset<Row> rows = manifest.filter(usable);
    Dataset<Row> train = rows.filter(TrainStage.inSplit(split));
    // More training data (another release, augmented questions): the same split of each extra
    // manifest joins the training side only; validation stays on the main manifest's images.
    Dataset<Row> extra = extraTraining(manifest, usable);
    Dataset<Row> validation;
    if (!training.validationSplit().isEmpty()) {
      validation = rows.filter(TrainStage.inSplit(training.validationSplit()));
    } else {
      // All questions of an image fall on the same side, by the same rule as ingest's held-out
      // split, drawn for its own purpose (see ImageSplit).
      Column side =
          ImageSplit.drawn(
              training.seed(),
              "validation",
              ManifestColumns.IMAGE_ID,
              training.validationFraction());
      validation = train.filter(side);
      train = train.filter(functions.not(side));
      if (extra != null) {
        extra = extra.filter(functions.not(side));
      }
    }
    if (extra != null) {
      train = train.unionByName(extra);
    }
    Dataset<Row> trainRows = withInput(train).cache();
    long nTrain = trainRows.count();
    if (nTrain == 0) {
      throw new StageFailure(TrainStage.noAnswers(split, settings.manifest()));
    }
    requireInputs(trainRows);
    // The validation images are scored as the test images will be: as they are, not augmented.
    // Without variants the memory reads the cached training rows rather than joining them again.
    boolean augmented = Arrays.asList(train.columns()).contains(FeatureTable.VARIANT_ID);
    return new Rows(
        trainRows,
        withInput(originals(validation)),
        augmented ? withInput(originals(train)) : trainRows,
        nTrain);
  }

  /**
   * The rows of original images, of a manifest with augmented ones (augment-images' {@code
   * variant_id}, 0 for an original); a manifest without them as it is.
   */
  private static Dataset<Row> originals(Dataset<Row> rows) {
    return Arrays.asList(rows.columns()).contains(FeatureTable.VARIANT_ID)
        ? rows.filter(col(FeatureTable.VARIANT_ID).cast("int").equalTo(0))
        : rows;
  }

  private Dataset<Row> withInput(Dataset<Row> rows) {
    return TrainStage.withInput(ctx, kind, rows, settings.features(), settings.featuresKey())
        .select(Examples.columns());
  }

  /** The split of the extra manifests, in the main manifest's columns; null without any. */
  private Dataset<Row> extraTraining(Dataset<Row> manifest, Column usable) throws IOException {
    Dataset<Row> extraTraining = null;
    for (String extra : settings.extraManifests()) {
      Dataset<Row> e = TrainStage.manifest(ctx, extra);
      List<String> have = Arrays.asList(e.columns());
      List<Column> same = new ArrayList<>();
      for (String c : manifest.columns()) {
        if (!have.contains(c)) {
          throw new StageFailure(
              "extra training manifest "
                  + extra
                  + " has no column '"
                  + c
                  + "' that "
                  + settings.manifest()
                  + " has");
        }
        same.add(col(c));
      }
      e =
          e.filter(usable.and(TrainStage.inSplit(settings.split())))
              .select(same.toArray(new Column[0]));
      extraTraining = extraTraining == null ? e : extraTraining.unionByName(e);
    }
    return extraTraining;
  }

  /** Fails naming the training questions without an image input, if there are any. */
  private void requireInputs(Dataset<Row> trainRows) {
    List<Row> missing = trainRows.filter(col(Examples.FEATURE).isNull()).limit(5).collectAsList();
    if (missing.isEmpty()) {
      return;
    }
    long n = trainRows.filter(col(Examples.FEATURE).isNull()).count();
    String example =
        " (e.g. sample "
            + missing.get(0).getString(0)
            + ", image "
            + missing.get(0).getString(1)
            + ")";
    String key = settings.featuresKey();
    throw new StageFailure(
        kind.input() == ModelKind.Input.PIXELS
            ? n
                + " training questions have an image that cannot be read, or that changed"
                + " since its hash was recorded"
                + example
            : n
                + " training questions have no image feature in "
                + settings.features()
                + example
                + ": run extract-features on "
                + settings.manifest()
                + " into that table"
                + (key.equals(ManifestColumns.IMAGE_ID) ? "" : " with columns.image-id = " + key));
  }

  /**
   * The model fitted on the training text (its classes and vocabularies come from the training text
   * only), with the feature statistics and the memory of the kinds that have them.
   */
  private VqaModel fit(Rows rows, Example first) {
    Dataset<Row> trainRows = rows.training();
    List<Example> text = new ArrayList<>();
    for (Iterator<Row> it =
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
    text.set(0, first); // carries the feature size
    VqaModel model;
    try {
      model = kind.fit(settings.config(), text);
    } catch (IllegalArgumentException e) {
      throw new StageFailure(
          "cannot train "
              + kind.name()
              + " on split '"
              + settings.split()
              + "': "
              + e.getMessage());
    }
    if (model instanceof ScaledFeatures scaled && scaled.scalesFeatures()) {
      // Statistics of every training feature, not of the text the model was fitted on.
      model =
          scaled.withScaler(FeatureMoments.of(trainRows, Examples.FEATURE, first.image().length));
    }
    if (model instanceof MemoryModel memoryModel) {
      remember(memoryModel, rows.memory());
    }
    return model;
  }

  /** The validation examples on the driver, sampled down to {@code validation.max-examples}. */
  private List<Example> validation(Dataset<Row> valRows) {
    List<Example> val = new ArrayList<>();
    valRows.cache(); // counted, then read: the join (or the image reading) runs once
    long nVal = valRows.count();
    Dataset<Row> valSample =
        nVal > training.validationMax()
            ? valRows.sample(false, (double) training.validationMax() / nVal, training.seed())
            : valRows;
    for (Iterator<Row> it = valSample.toLocalIterator(); it.hasNext(); ) {
      Example e = Examples.of(it.next());
      if (e.image() == null) {
        throw new StageFailure(
            "validation sample "
                + e.sampleId()
                + " (image "
                + e.imageId()
                + ") has no feature in "
                + settings.features());
      }
      val.add(e);
    }
    valRows.unpersist();
    return val;
  }

  private void announce(long nTrain, int nVal, VqaModel model) {
    ctx.say(
        String.format(
            Locale.ROOT,
            "%s: %d training and %d validation questions (%s), %d epochs, batch %d, %s %.0e, master"
                + " %s, averaging every %d minibatches, %d thread(s) per task",
            kind.name(),
            nTrain,
            nVal,
            training.validationSplit().isEmpty()
                ? String.format(
                    Locale.ROOT,
                    "%.0f%% of the training images",
                    training.validationFraction() * 100)
                : "split " + training.validationSplit(),
            training.epochs(),
            training.batchSize(),
            training.optimizer(),
            training.learningRate(),
            training.master(),
            training.averagingFrequency(),
            training.threadsFor(ctx.spark().sparkContext().getConf())));
    if (!model.describe().isEmpty()) {
      ctx.say(model.describe());
    }
  }

  private SparkTrainer.Outcome train(
      VqaModel model, Dataset<Row> trainRows, List<Example> val, Path work) throws IOException {
    try {
      return new SparkTrainer(
              JavaSparkContext.fromSparkContext(ctx.spark().sparkContext()),
              training,
              files,
              ctx::say)
          .train(
              model,
              settings.fingerprint(),
              trainRows.javaRDD().map(Examples::of),
              val,
              work,
              null);
    } catch (TrainingFailure e) {
      throw new StageFailure(e.getMessage() + " (work folder kept: " + work + ")");
    } finally {
      trainRows.unpersist();
    }
  }

  /**
   * Hands a {@link MemoryModel} the training examples of its memory categories, features included,
   * streamed one partition at a time. {@code rows} are of original images only: the memory keeps
   * one feature per image, and a shifted or blurred copy is not what a question's image is compared
   * with.
   */
  private void remember(MemoryModel model, Dataset<Row> rows) {
    List<Example> kept = new ArrayList<>();
    for (Iterator<Row> it =
            rows.filter(col(ManifestColumns.CATEGORY).isin(model.memoryCategories().toArray()))
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

  private void write(
      StagedOutput out,
      GraphModel trained,
      SparkTrainer.Outcome outcome,
      Path work,
      long nTrain,
      int nVal,
      double seconds)
      throws IOException {
    Path tmp = out.tmp();
    trained.write(files, tmp);
    TrainedModel.writeMetrics(files, tmp, outcome.epochs());
    Path probes = new Path(work, TrainedModel.PROBES_FILE);
    if (files.exists(probes)) {
      files.write(
          new Path(tmp, TrainedModel.PROBES_FILE),
          new String(files.readAll(probes), StandardCharsets.UTF_8));
    }
    files.write(new Path(tmp, TrainedModel.TRAINING_FILE), trainingJson(outcome, nVal, seconds));
    TrainedModel.writeConfig(files, tmp, settings.config());
    out.commit(
        ctx.provenance()
            .input("manifest", settings.manifest())
            .input("extra_manifests", String.join(",", settings.extraManifests()))
            .input("features", settings.features())
            .note("split", settings.split())
            .note("fingerprint", settings.fingerprint())
            .count("training_questions", nTrain)
            .count("trained_examples", outcome.examples())
            .count("validation_questions", nVal)
            .count("kept_epoch", outcome.keptEpoch()));
  }

  private String trainingJson(SparkTrainer.Outcome outcome, int nVal, double seconds) {
    EpochMetrics kept = outcome.epochs().get(outcome.keptEpoch() - 1);
    SparkTrainer.Averaged mean = outcome.averaged();
    return String.format(
        Locale.ROOT,
        "{\"kind\": \"%s\", \"kept_epoch\": %d, \"keep\": \"%s\",%s \"epochs_run\": %d,"
            + " \"stopped_early\": %b, \"resumed_after_epoch\": %d, \"training_examples\": %d,"
            + " \"minibatches\": %d, \"validation_examples\": %d, \"validation_%s\": %s,"
            + " \"seconds\": %.1f}%n",
        kind.name(),
        outcome.keptEpoch(),
        training.keep(),
        mean == null ? "" : " \"averaged_epochs\": [" + mean.from() + ", " + mean.to() + "],",
        outcome.epochs().size(),
        outcome.stoppedEarly(),
        outcome.resumedFrom(),
        outcome.examples(),
        outcome.batches(),
        nVal,
        kept.metric(),
        outcome.keptValidationScore(),
        seconds);
  }

  private List<String> summary(SparkTrainer.Outcome outcome, double seconds, Path target) {
    EpochMetrics kept = outcome.epochs().get(outcome.keptEpoch() - 1);
    return List.of(
        String.format(
            Locale.ROOT,
            "summary: model=%s examples=%d epochs=%d kept_epoch=%d%s validation_%s=%.4f seconds=%.0f out=%s",
            kind.name(),
            outcome.examples(),
            outcome.epochs().size(),
            outcome.keptEpoch(),
            outcome.averaged() == null ? "" : " averaged_from=" + outcome.averaged().from(),
            kept.metric(),
            outcome.keptValidationScore(),
            seconds,
            target));
  }
}
