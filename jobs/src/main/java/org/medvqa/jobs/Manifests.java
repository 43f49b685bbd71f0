package org.medvqa.jobs;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;

/** Reading an ingest output: the manifest table, checked to have the columns stages rely on. */
final class Manifests {
  private Manifests() {}

  /** The manifest under an ingest output folder (or the manifest table's own folder). */
  static Dataset<Row> read(JobContext ctx, String path) throws IOException {
    Path p = ctx.files().qualify(path);
    Path table = new Path(p, "manifest");
    if (!ctx.files().exists(table)) {
      table = p;
    }
    if (!ctx.files().exists(table)) {
      throw new JobFailure("manifest " + p + " does not exist (run ingest first)");
    }
    Dataset<Row> df = ctx.spark().read().parquet(table.toString());
    for (String c : ManifestColumns.MANIFEST) {
      if (!java.util.Arrays.asList(df.columns()).contains(c)) {
        throw new JobFailure(
            "manifest " + table + " has no column '" + c + "'; is it an ingest output?");
      }
    }
    // Columns newer than the manifest (a release that states no answer type or organ) read as
    // null, so that manifests of any age can be trained on together.
    for (String c : ManifestColumns.OPTIONAL) {
      if (!java.util.Arrays.asList(df.columns()).contains(c)) {
        df = df.withColumn(c, org.apache.spark.sql.functions.lit(null).cast("string"));
      }
    }
    return df;
  }

  /**
   * The {@code _rejected} table of an ingest output. Spark skips any path whose name starts with
   * "_" (that is why the table is named so: whoever reads the output folder as a table gets the
   * manifest only), so it is read through its part files.
   */
  static Dataset<Row> readRejected(JobContext ctx, Path rejected) {
    return ctx.spark().read().parquet(new Path(rejected, "*.parquet").toString());
  }
}
