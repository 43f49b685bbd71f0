package org.medvqa.jobs;

import com.typesafe.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.medvqa.core.Category;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;

/**
 * Test support for the question jobs: runs a job through the same configuration loading and exit
 * codes as {@link Main#run} (so that it can be tested before Main lists it), and writes small
 * manifests in the layout ingest writes.
 */
final class QuestionJobsHarness {
  static final StructType MANIFEST_SCHEMA =
      new StructType()
          .add(ManifestColumns.SAMPLE_ID, DataTypes.StringType, true)
          .add(ManifestColumns.IMAGE_ID, DataTypes.StringType, true)
          .add(ManifestColumns.IMAGE_PATH, DataTypes.StringType, true)
          .add(ManifestColumns.QUESTION, DataTypes.StringType, true)
          .add(
              ManifestColumns.ANSWERS, DataTypes.createArrayType(DataTypes.StringType, false), true)
          .add(ManifestColumns.CATEGORY, DataTypes.StringType, true)
          .add(ManifestColumns.CATEGORY_SOURCE, DataTypes.StringType, true)
          .add(ManifestColumns.SPLIT, DataTypes.StringType, true)
          .add(ManifestColumns.RELEASE, DataTypes.StringType, true)
          .add(ManifestColumns.TASK, DataTypes.StringType, true)
          .add(ManifestColumns.SOURCE_FILE, DataTypes.StringType, true)
          .add(ManifestColumns.SOURCE_LINE, DataTypes.IntegerType, true)
          .add(ManifestColumns.IMAGE_WIDTH, DataTypes.IntegerType, true)
          .add(ManifestColumns.IMAGE_HEIGHT, DataTypes.IntegerType, true);

  private QuestionJobsHarness() {}

  /** {@code medvqa <job> --set ...} for a job Main may not list yet. */
  static SparkTestBase.Run run(Job job, String... sets) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = run(job, o, e, sets);
    }
    return new SparkTestBase.Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static int run(Job job, PrintStream o, PrintStream e, String... sets) {
    try {
      com.typesafe.config.Config config = Main.load(null, sets);
      try (StageContext ctx = new StageContext(job.name(), config, o, e)) {
        job.run(ctx);
        return Main.OK;
      }
    } catch (ConfigProblem | ConfigException ex) {
      e.println("medvqa " + job.name() + ": " + ex.getMessage());
      return Main.USAGE;
    } catch (StageFailure ex) {
      e.println("medvqa " + job.name() + ": failed: " + ex.getMessage());
      return Main.FAILED;
    } catch (Exception ex) {
      e.println("medvqa " + job.name() + ": failed: " + ex);
      ex.printStackTrace(e);
      return Main.FAILED;
    }
  }

  /** One manifest row: id, image, question, answers, split (other columns filled in). */
  static Row row(String id, String image, String question, String split, String... answers) {
    return RowFactory.create(
        id,
        image,
        "file:/images/" + image + ".jpg",
        question,
        answers,
        question == null ? "abnormality" : Category.infer(question).label(),
        "inferred",
        split,
        "test",
        "vqa",
        "qa.txt",
        Integer.valueOf(Math.abs(id == null ? 0 : id.hashCode() % 1000)),
        null,
        null);
  }

  /** Writes rows as an ingest output folder ({@code dir/manifest}) and returns the folder. */
  static Path writeManifest(SparkSession spark, Path dir, List<Row> rows) {
    // Spread over tasks: one local relation of 12,792 rows would be one oversized task.
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    spark
        .createDataFrame(jsc.parallelize(rows, Math.max(1, rows.size() / 2000)), MANIFEST_SCHEMA)
        .coalesce(1)
        .write()
        .parquet(dir.resolve("manifest").toString());
    return dir;
  }

  /**
   * The real VQA-Med 2019 training pairs ({@code image|question|answer}) as manifest rows; every
   * {@code step}-th line up to {@code limit} rows (0 for all).
   */
  static List<Row> realRows(Path qaFile, int step, int limit) throws IOException {
    List<String> lines = Files.readAllLines(qaFile, StandardCharsets.UTF_8);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < lines.size(); i += step) {
      String[] f = lines.get(i).split("\\|", -1);
      rows.add(
          row(String.format(Locale.ROOT, "2019-train-%06d", i + 1), f[0], f[1], "train", f[2]));
      if (limit > 0 && rows.size() >= limit) {
        break;
      }
    }
    return rows;
  }
}
