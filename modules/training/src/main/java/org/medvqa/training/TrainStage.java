package org.medvqa.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.core.stage.Tables;
import org.medvqa.features.FeatureTable;
import org.medvqa.models.GraphKind;
import org.medvqa.models.MajorityKind;
import org.medvqa.models.ModelKind;
import org.medvqa.models.TrainedModel;

/**
 * The train stage: fits a model of the configured kind on the training split of a manifest (and of
 * any extra manifests) and writes its model folder ({@link TrainedModel}) through {@link
 * StagedOutput}.
 *
 * <p>A network kind ({@link GraphKind}) is fitted on the training text, then trained on Spark by
 * {@link SparkTrainer} from the manifest joined with its image input ({@link ModelKind#input}:
 * cached features or pixels), in a work folder beside the output ({@code .<name>.work}, or {@code
 * medvqa.train.work}); a stage killed mid-run and started again with the same settings resumes from
 * its last finished epoch, and the work folder is removed once the model folder is in place. The
 * majority baseline ({@link MajorityKind}) counts answers per category.
 */
public final class TrainStage {
  /** The manifest columns the stage reads. */
  public static final List<String> NEEDS =
      List.of(
          ManifestColumns.SAMPLE_ID,
          ManifestColumns.IMAGE_ID,
          ManifestColumns.CATEGORY,
          ManifestColumns.QUESTION,
          ManifestColumns.ANSWERS,
          ManifestColumns.SPLIT,
          ManifestColumns.TASK);

  /**
   * What training made.
   *
   * @param model the trained model, as written
   * @param out the model folder
   * @param examples the examples it was trained on (per epoch, for a network)
   * @param seconds training time (0 for the baseline)
   * @param report the lines to print: what the model is, then the {@code summary:} line
   */
  public record Result(
      TrainedModel model, Path out, long examples, double seconds, List<String> report) {}

  private final TrainSettings settings;

  public TrainStage(TrainSettings settings) {
    this.settings = settings;
  }

  public TrainSettings settings() {
    return settings;
  }

  /** Trains and writes the model folder; progress goes to {@code ctx.say}. */
  public Result run(StageContext ctx) throws IOException {
    try (StagedOutput out = StagedOutput.open(ctx, settings.out())) {
      return settings.kind() instanceof GraphKind kind
          ? new GraphTraining(ctx, settings, kind).run(out)
          : new MajorityTraining(ctx, settings, (MajorityKind) settings.kind()).run(out);
    }
  }

  /**
   * The manifest at {@code path}, checked for {@link #NEEDS}, with the {@link Examples#FEATURE}
   * column for {@code kind}'s input: the cached feature (left join; null where missing), the
   * image's pixels, or null.
   */
  static Dataset<Row> withInput(
      StageContext ctx, ModelKind kind, Dataset<Row> rows, String features, String key) {
    HadoopFiles files = ctx.files();
    return switch (kind.input()) {
      case NONE -> rows.withColumn(Examples.FEATURE, lit(null).cast("array<float>"));
      case PIXELS ->
          rows.withColumn(
              Examples.FEATURE,
              PixelColumn.from(ctx.config(), kind.name()).of(files, rows.columns()));
      case FEATURES ->
          Examples.withFeatures(
              rows, ctx.spark().read().parquet(featureTable(files, features).toString()), key);
    };
  }

  /** The table folder of an extract-features output. */
  static Path featureTable(HadoopFiles files, String features) {
    return new Path(files.qualify(features), FeatureTable.FEATURES);
  }

  /** A manifest checked for the columns the stage reads. */
  static Dataset<Row> manifest(StageContext ctx, String path) throws IOException {
    Dataset<Row> m = Tables.manifest(ctx, path);
    Tables.requireColumns(m, NEEDS, "manifest " + path, "is it an ingest output?");
    return m;
  }

  /** Rows of {@code split}. */
  static Column inSplit(String split) {
    return col(ManifestColumns.SPLIT).equalTo(split);
  }

  static String noAnswers(String split, String manifestPath) {
    return "no training answers in split '"
        + split
        + "' of "
        + manifestPath
        + " (set medvqa.train.split to a split with answers)";
  }
}
