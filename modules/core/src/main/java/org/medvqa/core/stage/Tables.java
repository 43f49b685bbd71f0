package org.medvqa.core.stage;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.medvqa.core.ManifestColumns;

/**
 * Reading and checking the tables stages pass to each other: a stage declares the columns it needs
 * and the columns it adds, and checks both on its input before any work.
 */
public final class Tables {
  private Tables() {}

  /**
   * The manifest under an ingest (or augment) output folder, or the manifest table's own folder.
   */
  public static Dataset<Row> manifest(StageContext ctx, String path) throws IOException {
    Path p = ctx.files().qualify(path);
    Path table = new Path(p, "manifest");
    if (!ctx.files().exists(table)) {
      table = p;
    }
    if (!ctx.files().exists(table)) {
      throw new StageFailure("manifest " + p + " does not exist (run ingest first)");
    }
    Dataset<Row> df = ctx.spark().read().parquet(table.toString());
    requireColumns(df, ManifestColumns.MANIFEST, "manifest " + table, "is it an ingest output?");
    // Columns newer than the manifest (a release that states no answer type or organ) read as
    // null, so that manifests of any age can be trained on together.
    for (String c : ManifestColumns.OPTIONAL) {
      if (!has(df, c)) {
        df = df.withColumn(c, functions.lit(null).cast("string"));
      }
    }
    return df;
  }

  /**
   * A {@code _rejected} table. Spark skips any path whose name starts with "_" (that is why the
   * table is named so: whoever reads the output folder as a table gets the manifest only), so it is
   * read through its part files.
   */
  public static Dataset<Row> rejected(StageContext ctx, Path rejected) {
    return ctx.spark().read().parquet(new Path(rejected, "*.parquet").toString());
  }

  /** Whether {@code df} has column {@code c}. */
  public static boolean has(Dataset<Row> df, String c) {
    return Arrays.asList(df.columns()).contains(c);
  }

  /** Fails naming the first column of {@code needs} that {@code df} lacks. */
  public static void requireColumns(
      Dataset<Row> df, Collection<String> needs, String what, String hint) {
    for (String c : needs) {
      if (!has(df, c)) {
        throw new StageFailure(what + " has no column '" + c + "'; " + hint);
      }
    }
  }

  /** Fails naming the first column of {@code adds} that {@code df} has already. */
  public static void refuseColumns(
      Dataset<Row> df, Collection<String> adds, String what, String hint) {
    for (String c : adds) {
      if (has(df, c)) {
        throw new StageFailure(what + " already has column '" + c + "': " + hint);
      }
    }
  }

  /**
   * Says how many rows of a rejected table ({@link ManifestColumns#REJECTED} layout) there are and
   * shows the first {@code examples} with their file, line and reason.
   */
  public static void sayRejects(
      StageContext ctx, Dataset<Row> rejected, long n, long of, String noun, int examples) {
    if (n == 0) {
      return;
    }
    ctx.say(String.format(Locale.ROOT, "rejected %d of %d %s; e.g.", n, of, noun));
    List<Row> first = rejected.limit(examples).collectAsList();
    for (Row row : first) {
      ctx.say(
          "  "
              + row.getAs(ManifestColumns.SOURCE_FILE)
              + ":"
              + row.getAs(ManifestColumns.SOURCE_LINE)
              + ": "
              + row.getAs(ManifestColumns.REASON));
    }
  }
}
