package org.medvqa.core.ingest;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.when;

import java.nio.charset.StandardCharsets;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.medvqa.core.Category;
import org.medvqa.core.ImageSplit;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.release.TextFormat;

/**
 * Ingest's table work between parsing and writing, one step a method: parsed rows ({@link
 * ParsedRows#SCHEMA}) become records (reference answers and category files joined in, categories
 * inferred, duplicates set apart), records joined with their checked images ({@link
 * CheckedImages#SCHEMA}) get sample ids and the held-out split, and become the manifest.
 */
final class IngestFrames {
  private IngestFrames() {}

  /**
   * The records of the parsed rows that parsed ({@code good}), and the reference answers that
   * belong to no question ({@code orphanAnswers}, with a reason).
   */
  record Assembled(Dataset<Row> records, Dataset<Row> orphanAnswers) {}

  /** The records kept, and the duplicates set apart (with a reason). */
  record Deduplicated(Dataset<Row> records, Dataset<Row> duplicates) {}

  /**
   * Category files label the pairs of the main file of their split; pairs only they hold are kept
   * as records, so nothing in the release is lost. Reference answers keyed by image (2021:
   * "image|a1|a2|…") complete the question-only rows of their split; answers for an image that has
   * no question are rejected, not dropped.
   */
  static Assembled assemble(Dataset<Row> good) {
    String catFormat = TextFormat.CATEGORY_QA.configName();
    String ansFormat = TextFormat.ANSWERS.configName();
    Dataset<Row> cats = good.filter(col("format").equalTo(catFormat));
    Dataset<Row> answers = good.filter(col("format").equalTo(ansFormat));
    Dataset<Row> main =
        good.filter(col("format").notEqual(catFormat).and(col("format").notEqual(ansFormat)));
    main = withReferenceAnswers(main, answers);
    return new Assembled(withCategoryFiles(main, cats), orphanAnswers(answers, main));
  }

  private static Column byImage() {
    return col("split").equalTo(col("a_split")).and(col("image_id").equalTo(col("a_image_id")));
  }

  private static Dataset<Row> withReferenceAnswers(Dataset<Row> main, Dataset<Row> answers) {
    Dataset<Row> refs =
        answers.select(
            col("split").as("a_split"),
            col("image_id").as("a_image_id"),
            col("answers").as("a_answers"));
    return main.join(refs, byImage(), "left")
        .withColumn(
            "answers",
            when(
                    size(col("answers")).equalTo(0).and(col("a_answers").isNotNull()),
                    col("a_answers"))
                .otherwise(col("answers")))
        .drop("a_split", "a_image_id", "a_answers");
  }

  private static Dataset<Row> orphanAnswers(Dataset<Row> answers, Dataset<Row> main) {
    return answers
        .join(
            main.select(col("split").as("a_split"), col("image_id").as("a_image_id")).distinct(),
            byImage(),
            "left_anti")
        .withColumn(
            "reason",
            format_string(
                "reference answers for image %s, which has no question in split %s",
                col("image_id"), col("split")));
  }

  private static Dataset<Row> withCategoryFiles(Dataset<Row> main, Dataset<Row> cats) {
    Column key =
        col("split")
            .equalTo(col("c_split"))
            .and(col("image_id").equalTo(col("c_image_id")))
            .and(col("question").equalTo(col("c_question")));
    Dataset<Row> labels =
        cats.groupBy("split", "image_id", "question")
            .agg(min("category").as("c_category"))
            .withColumnRenamed("split", "c_split")
            .withColumnRenamed("image_id", "c_image_id")
            .withColumnRenamed("question", "c_question");
    Dataset<Row> labelled =
        main.join(labels, key, "left")
            .withColumn(
                "category",
                when(col("category").isNull(), col("c_category")).otherwise(col("category")))
            .drop("c_split", "c_image_id", "c_question", "c_category");
    Dataset<Row> mainKeys =
        main.select(
            col("split").as("c_split"),
            col("image_id").as("c_image_id"),
            col("question").as("c_question"));
    Dataset<Row> onlyInCats = cats.join(mainKeys.distinct(), key, "left_anti");
    return labelled.unionByName(onlyInCats);
  }

  /** Categories the release does not state are inferred from the question. */
  static Dataset<Row> inferCategories(Dataset<Row> records) {
    UserDefinedFunction infer =
        functions.udf(
            (UDF1<String, String>) q -> q == null ? null : Category.infer(q).label(),
            DataTypes.StringType);
    return records
        .withColumn(
            ManifestColumns.CATEGORY_SOURCE,
            when(col("category").isNull(), lit("inferred")).otherwise(lit("file")))
        .withColumn(
            "category",
            when(col("category").isNull(), infer.apply(col("question")))
                .otherwise(col("category")));
  }

  /**
   * A second (image, question) pair in the same split is a duplicate: rejected, pointing at the
   * first.
   */
  static Deduplicated deduplicate(Dataset<Row> records) {
    WindowSpec byPair =
        Window.partitionBy("split", "task", "image_id", "question")
            .orderBy("source_file", "source_line");
    Dataset<Row> numbered =
        records
            .withColumn("_n", row_number().over(byPair))
            .withColumn("_first_file", first("source_file").over(byPair))
            .withColumn("_first_line", first("source_line").over(byPair));
    Dataset<Row> dupes =
        numbered
            .filter(col("_n").gt(1))
            .withColumn(
                "reason",
                format_string(
                    "duplicate (image, question) pair: first at %s:%d",
                    col("_first_file"), col("_first_line")));
    return new Deduplicated(
        numbered.filter(col("_n").equalTo(1)).drop("_n", "_first_file", "_first_line"), dupes);
  }

  /** The records with their image's row ({@link CheckedImages#SCHEMA}) beside them. */
  static Dataset<Row> withImages(Dataset<Row> records, Dataset<Row> images) {
    return records.join(
        images,
        records
            .col("image_dir")
            .eqNullSafe(images.col("i_dir"))
            .and(records.col("image_id").equalTo(images.col("i_id"))),
        "left");
  }

  /** The records whose image was refused, with the reason. */
  static Dataset<Row> badImages(Dataset<Row> joined) {
    return joined
        .filter(col("i_problem").isNotNull())
        .withColumn("reason", concat(lit("image "), col("image_id"), lit(": "), col("i_problem")));
  }

  /**
   * Sample ids from content (see {@link ManifestColumns#SAMPLE_ID}). A position would shift every
   * later id when one line is recovered or removed, so that two ingests of nearly the same release
   * would not share ids (lineage across scheduled retraining); the id is {@code
   * <release>-<split>-<16 hex digits of the SHA-256 of release, source file name, image id and
   * question>}. The file's name, not its folder: a moved release keeps its ids. The split is the
   * file's, drawn before the held-out split, so that the hold-out settings change no id either.
   * Records of the same content (two tasks, or files of one name in two folders) get -2, -3… in
   * (file, line) order.
   */
  static Dataset<Row> withSampleIds(Dataset<Row> accepted, String release) {
    Column content =
        sha256Hex(
            concat_ws(
                "\n",
                lit(release),
                substring_index(col("source_file"), "/", -1),
                coalesce(col("image_id"), lit("")),
                coalesce(col("question"), lit(""))));
    WindowSpec sameId = Window.partitionBy("_id").orderBy("source_file", "source_line", "task");
    return accepted
        .withColumn(
            "_id", concat(lit(release + "-"), col("split"), lit("-"), content.substr(1, 16)))
        .withColumn("_n", row_number().over(sameId))
        .withColumn(
            ManifestColumns.SAMPLE_ID,
            when(col("_n").equalTo(1), col("_id"))
                .otherwise(concat(col("_id"), lit("-"), col("_n").cast("string"))))
        .drop("_id", "_n");
  }

  /**
   * The held-out split, drawn by image so that no image is in both parts: an image of split {@code
   * from} whose hash of (seed, image id) falls below the fraction moves to split {@code to}.
   */
  static Dataset<Row> withHoldout(Dataset<Row> accepted, IngestSettings.Holdout holdout) {
    if (!holdout.drawn()) {
      return accepted;
    }
    Column drawn = ImageSplit.drawn(holdout.seed(), "image_id", holdout.fraction());
    return accepted.withColumn(
        "split",
        when(col("split").equalTo(holdout.from()).and(drawn), lit(holdout.to()))
            .otherwise(col("split")));
  }

  /** The accepted records in the manifest's columns ({@link ManifestColumns}). */
  static Dataset<Row> manifest(Dataset<Row> accepted, String release) {
    return accepted.select(
        col(ManifestColumns.SAMPLE_ID),
        col("image_id").as(ManifestColumns.IMAGE_ID),
        col("i_path").as(ManifestColumns.IMAGE_PATH),
        col("question").as(ManifestColumns.QUESTION),
        col("answers").as(ManifestColumns.ANSWERS),
        col("category").as(ManifestColumns.CATEGORY),
        col(ManifestColumns.CATEGORY_SOURCE),
        col("split").as(ManifestColumns.SPLIT),
        lit(release).as(ManifestColumns.RELEASE),
        col("task").as(ManifestColumns.TASK),
        col("source_file").as(ManifestColumns.SOURCE_FILE),
        col("source_line").as(ManifestColumns.SOURCE_LINE),
        col("i_width").as(ManifestColumns.IMAGE_WIDTH),
        col("i_height").as(ManifestColumns.IMAGE_HEIGHT),
        col("i_sha256").as(ManifestColumns.IMAGE_SHA256),
        col("answer_type").as(ManifestColumns.ANSWER_TYPE),
        col("organ").as(ManifestColumns.ORGAN),
        col("question_type").as(ManifestColumns.QUESTION_TYPE));
  }

  /** The rejected-table columns ({@link ManifestColumns#REJECTED}) of rows that have a reason. */
  static Dataset<Row> rejected(Dataset<Row> df) {
    return df.select(
        col(ManifestColumns.SOURCE_FILE),
        col(ManifestColumns.SOURCE_LINE),
        col(ManifestColumns.RAW),
        col(ManifestColumns.REASON));
  }

  /**
   * The hex SHA-256 of a text column's UTF-8 bytes. Not Spark's {@code sha2}: its generated code
   * calls a commons-codec method that the older commons-codec in the shaded jar lacks, so Spark
   * logs a compile error and falls back to interpreting the whole stage.
   */
  static Column sha256Hex(Column text) {
    UserDefinedFunction hash =
        functions.udf(
            (UDF1<String, String>)
                t -> t == null ? null : ContentHash.sha256Hex(t.getBytes(StandardCharsets.UTF_8)),
            DataTypes.StringType);
    return hash.apply(text);
  }
}
