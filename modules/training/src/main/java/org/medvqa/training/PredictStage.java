package org.medvqa.training;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sort_array;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;
import org.medvqa.eval.SubmissionWriter;
import org.medvqa.eval.Task;
import org.medvqa.models.ModelKind;
import org.medvqa.models.TrainedModel;
import scala.Tuple2;

/**
 * The predict stage: answers the questions of one split of a manifest with a trained model and
 * writes {@code submission.txt} in the ImageCLEF format ({@code id|answer}), the split's {@code
 * ground-truth.txt} in the 2019 test format when its answers are known, and provenance. Official
 * test sets ask one question per image, so the id is the image id; a split with several questions
 * per image (our held-out part of a training set) uses the sample id instead.
 *
 * <p>A question-generation kind gets one row per image of the split instead and writes VQG lines,
 * {@code image|q1|q2|…}; every question of the split about that image (VQA questions, or the
 * references of a VQG test release) is one of its references in {@code ground-truth.txt}.
 *
 * <p>The model answers on the executors, loaded once per executor ({@link ModelCache}), in chunks
 * of {@code batch-size} rows of the split's order; the driver writes the lines in that order
 * ({@link SubmissionWriter}). A kind that reads cached features reads them from {@code
 * medvqa.predict.features}; images missing there are first extracted into it ({@link
 * MissingFeatures}). A question whose image could not be read at all is still answered, from a zero
 * feature, and counted as {@code answered_without_image}.
 */
public final class PredictStage {
  /** The manifest columns the stage reads. */
  public static final List<String> NEEDS = TrainStage.NEEDS;

  static final String SUBMISSION = "submission.txt";
  static final String GROUND_TRUTH = "ground-truth.txt";

  /** Extracts the features a split's images lack (the extract-features stage, incremental). */
  public interface MissingFeatures {
    /**
     * Runs extraction with {@code featureConfig} (the medvqa.features settings pointed at the
     * manifest and table); false when it failed.
     */
    boolean extract(Config featureConfig) throws Exception;
  }

  /**
   * What predict wrote.
   *
   * @param predictions rows answered (questions, or images for VQG)
   * @param withoutImage answered from a zero feature
   * @param report the lines to print, the {@code summary:} line last
   */
  public record Result(
      Path out, String kind, long predictions, long withoutImage, List<String> report) {}

  private final PredictSettings settings;
  private final MissingFeatures missing;

  public PredictStage(PredictSettings settings, MissingFeatures missing) {
    this.settings = settings;
    this.missing = missing;
  }

  /** Answers the split and writes the submission folder. */
  public Result run(StageContext ctx) throws Exception {
    HadoopFiles files = ctx.files();
    Path modelDir = files.qualify(settings.model());
    try (StagedOutput out = StagedOutput.open(ctx, settings.out())) {
      Dataset<Row> inSplit =
          Tables.manifest(ctx, settings.manifest())
              .filter(col(ManifestColumns.SPLIT).equalTo(settings.split()));
      TrainedModel model = read(files, modelDir);
      ModelKind kind = model.kind();
      boolean vqg = kind.generatesQuestions();
      // Questions are generated per image; every question of the split about an image (VQA
      // questions or VQG references) is one of its references.
      Dataset<Row> manifest =
          vqg
              ? inSplit.filter(col(ManifestColumns.QUESTION).isNotNull())
              : inSplit.filter(col(ManifestColumns.TASK).equalTo("vqa"));
      requireQuestions(manifest, vqg);
      Dataset<Row> rows = withInput(ctx, kind, manifest).select(columns());
      rows = (vqg ? byImage(rows) : rows).orderBy(ManifestColumns.SAMPLE_ID).cache();
      ModelCache cache = new ModelCache(modelDir, files, model);
      try {
        return write(ctx, out, cache, kind, rows);
      } finally {
        cache.release();
        rows.unpersist();
      }
    }
  }

  private static TrainedModel read(HadoopFiles files, Path modelDir) throws IOException {
    try {
      return TrainedModel.read(files, modelDir);
    } catch (IllegalArgumentException e) {
      throw new StageFailure(e.getMessage());
    }
  }

  private void requireQuestions(Dataset<Row> manifest, boolean vqg) {
    if (manifest.isEmpty()) {
      throw new StageFailure(
          "split '"
              + settings.split()
              + "' of "
              + settings.manifest()
              + " has no "
              + (vqg ? "questions" : "VQA questions"));
    }
  }

  /** The rows with the kind's image input, extracting first the features the table lacks. */
  private Dataset<Row> withInput(StageContext ctx, ModelKind kind, Dataset<Row> manifest)
      throws Exception {
    if (kind.input() != ModelKind.Input.FEATURES) {
      return TrainStage.withInput(ctx, kind, manifest, "", "");
    }
    String featuresPath = settings.features();
    String key = settings.featuresKey();
    Path table = TrainStage.featureTable(ctx.files(), featuresPath);
    boolean complete = false;
    if (ctx.files().exists(table)) {
      Dataset<Row> joined = TrainStage.withInput(ctx, kind, manifest, featuresPath, key);
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
          settings
              .config()
              .withValue(
                  "medvqa.features.manifest", ConfigValueFactory.fromAnyRef(settings.manifest()))
              .withValue("medvqa.features.out", ConfigValueFactory.fromAnyRef(featuresPath))
              .withValue("medvqa.features.incremental", ConfigValueFactory.fromAnyRef(true))
              .withValue("medvqa.features.columns.image-id", ConfigValueFactory.fromAnyRef(key));
      if (!missing.extract(c)) {
        throw new StageFailure("feature extraction for prediction failed");
      }
    }
    return TrainStage.withInput(ctx, kind, manifest, featuresPath, key);
  }

  /**
   * {@link Examples#columns}, then the category the references are scored by ({@link
   * PredictChunks#SCORED_BY}): the answer type where the release states one (VQA-RAD publishes its
   * results for closed and open questions apart, whatever category the models answer by), else the
   * category.
   */
  private static Column[] columns() {
    return withScoredBy(
        coalesce(lower(col(ManifestColumns.ANSWER_TYPE)), col(ManifestColumns.CATEGORY))
            .as(PredictChunks.SCORED_BY));
  }

  /** {@link Examples#columns}, then {@code scoredBy}. */
  private static Column[] withScoredBy(Column scoredBy) {
    Column[] c = Arrays.copyOf(Examples.columns(), Examples.columns().length + 1);
    c[c.length - 1] = scoredBy;
    return c;
  }

  /**
   * One row per image for question generation, in the layout of {@link #columns}: the image's first
   * sample id, category and question, and its distinct questions (sorted) in place of the answers,
   * as its references.
   */
  private static Dataset<Row> byImage(Dataset<Row> rows) {
    return rows.groupBy(col(ManifestColumns.IMAGE_ID))
        .agg(
            min(col(ManifestColumns.SAMPLE_ID)).as(ManifestColumns.SAMPLE_ID),
            first(col(ManifestColumns.CATEGORY)).as(ManifestColumns.CATEGORY),
            first(col(Examples.FEATURE), true).as(Examples.FEATURE),
            first(col(ManifestColumns.QUESTION)).as(ManifestColumns.QUESTION),
            sort_array(collect_set(col(ManifestColumns.QUESTION))).as(ManifestColumns.ANSWERS),
            first(col(PredictChunks.SCORED_BY)).as(PredictChunks.SCORED_BY))
        .select(withScoredBy(col(PredictChunks.SCORED_BY)));
  }

  /** The predictions of {@code rows}, in their order: answered on the executors, chunk by chunk. */
  private JavaRDD<PredictChunks.Prediction> predict(
      Dataset<Row> rows, ModelCache model, long n, int idColumn) {
    int batch = settings.batchSize();
    long chunks = (n + batch - 1) / batch;
    int parts =
        (int)
            Math.max(1, Math.min(chunks, rows.sparkSession().sparkContext().defaultParallelism()));
    return rows.javaRDD()
        .zipWithIndex()
        .mapToPair(t -> new Tuple2<>(t._2() / batch, new Tuple2<>(t._2(), t._1())))
        .groupByKey(parts)
        .mapPartitions(new PredictChunks(model, featureSize(rows), idColumn))
        .sortBy(PredictChunks.Prediction::index, true, parts);
  }

  /** The length of the split's image inputs (the first one); 2048 (ResNet50) without any. */
  private static int featureSize(Dataset<Row> rows) {
    List<Row> first = rows.filter(col(Examples.FEATURE).isNotNull()).limit(1).collectAsList();
    return first.isEmpty() ? 2048 : first.get(0).getList(3).size();
  }

  private Result write(
      StageContext ctx, StagedOutput out, ModelCache model, ModelKind kind, Dataset<Row> rows)
      throws IOException {
    HadoopFiles files = ctx.files();
    boolean vqg = kind.generatesQuestions();
    long n = rows.count();
    long images = rows.select(ManifestColumns.IMAGE_ID).distinct().count();
    boolean byImage = images == n;
    long withoutImage = 0;
    SubmissionWriter w;
    try (BufferedWriter sub = writer(files, new Path(out.tmp(), SUBMISSION));
        BufferedWriter gt = writer(files, new Path(out.tmp(), GROUND_TRUTH))) {
      w = new SubmissionWriter(vqg ? Task.VQG : Task.VQA, sub, gt);
      // toLocalIterator streams one partition at a time: the driver never holds the split.
      for (Iterator<PredictChunks.Prediction> it =
              predict(rows, model, n, byImage ? 1 : 0).toLocalIterator();
          it.hasNext(); ) {
        PredictChunks.Prediction p = it.next();
        w.write(p.id(), p.category(), p.question(), p.outputs(), p.references());
        withoutImage += p.withoutImage() ? 1 : 0;
      }
    }
    if (w.withReferences() == 0) {
      files.deleteQuietly(new Path(out.tmp(), GROUND_TRUTH));
    }
    out.commit(
        ctx.provenance()
            .input("model", settings.model())
            .input("manifest", settings.manifest())
            .note("model_kind", kind.name())
            .note("split", settings.split())
            .note("id", byImage ? "image_id" : "sample_id")
            .count("predictions", n)
            .note("task", vqg ? "vqg" : "vqa")
            .count(vqg ? "with_reference_questions" : "with_reference_answers", w.withReferences())
            .count("images_without_generated_question", w.nothingGenerated())
            .count("answered_without_image", withoutImage));
    return new Result(
        out.target(), kind.name(), n, withoutImage, report(kind, n, byImage, withoutImage, out));
  }

  private List<String> report(
      ModelKind kind, long n, boolean byImage, long withoutImage, StagedOutput out) {
    String summary =
        "summary: model="
            + kind.name()
            + " predictions="
            + n
            + " split="
            + settings.split()
            + " id="
            + (byImage ? "image_id" : "sample_id")
            + " answered_without_image="
            + withoutImage
            + " out="
            + out.target();
    if (withoutImage == 0) {
      return List.of(summary);
    }
    return List.of(
        withoutImage
            + " questions were answered without an image feature (their images are in the"
            + " feature table's _rejected)",
        summary);
  }

  private static BufferedWriter writer(HadoopFiles files, Path p) throws IOException {
    return new BufferedWriter(new OutputStreamWriter(files.create(p), StandardCharsets.UTF_8));
  }
}
