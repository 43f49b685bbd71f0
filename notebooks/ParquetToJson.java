import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Exports Parquet tables (manifests, {@code _rejected}) as JSON lines for the notebooks.
 *
 * <p>Why this exists: Debian 12 packages no Parquet reader for Python (no python3-pyarrow, no
 * python3-fastparquet), and the notebooks run on Debian's Python only. The jobs' own Spark, from
 * the built jar, reads every column type they write (the answers array, augment-questions'
 * replacements structs) the same way the next stage would. Run as a single-file program on the
 * jar's classpath ({@code notebooks/medvqa_nb.py} does this, once for all stale tables):
 *
 * <pre>java -cp 'jobs/target/medvqa-jobs.jar:jobs/target/spark-lib/*' notebooks/ParquetToJson.java \
 *   TABLE_DIR OUT.jsonl [TABLE_DIR OUT.jsonl ...]</pre>
 *
 * <p>Each OUT.jsonl gets one JSON object per row (null fields left out, as Spark writes them) and
 * OUT.jsonl.schema, Spark's schema as JSON, so that a column null in every row is still known. Both
 * are written beside and renamed into place, so a killed export leaves no half file.
 */
public final class ParquetToJson {
  private ParquetToJson() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0 || args.length % 2 != 0) {
      System.err.println("usage: ParquetToJson TABLE_DIR OUT.jsonl [TABLE_DIR OUT.jsonl ...]");
      System.exit(2);
    }
    SparkSession spark =
        SparkSession.builder()
            .appName("notebooks-parquet-to-json")
            .master(System.getProperty("spark.master", "local[1]"))
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      for (int i = 0; i < args.length; i += 2) {
        Path out = Path.of(args[i + 1]);
        Dataset<Row> table = spark.read().parquet(args[i]);
        // Small tables (tens of thousands of rows): collected on the driver, one file each.
        List<String> rows = table.toJSON().collectAsList();
        write(Path.of(out + ".schema"), List.of(table.schema().json()));
        write(out, rows);
        System.out.println(args[i] + ": " + rows.size() + " rows -> " + out);
      }
    } finally {
      spark.stop();
    }
  }

  private static void write(Path target, List<String> lines) throws IOException {
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.createDirectories(target.toAbsolutePath().getParent());
    Files.write(tmp, lines, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
