package org.medvqa.jobs;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.medvqa.core.stage.StageContext;

/**
 * One local[2] Spark session per test class, named after it, stopped afterwards. Jobs run by the
 * tests find it with getOrCreate and leave it running.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        withJobSettings(SparkSession.builder())
            .master("local[2]")
            .appName("medvqa-test")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
  }

  /**
   * The jobs' own Spark settings ({@code medvqa.spark.conf} of reference.conf, e.g. the Kryo
   * serializer), which a job's session would get; tests start the session before the job does.
   */
  public static SparkSession.Builder withJobSettings(SparkSession.Builder b) {
    return StageContext.withSparkSettings(b, ConfigFactory.load());
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
  }

  /** The result of running a job through the command line. */
  public record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- out\n" + out + "\n--- err\n" + err;
    }
  }

  /** Runs {@code medvqa args...} in this JVM, capturing what it prints. */
  public static Run medvqa(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = new Main(o, e).run(args);
    }
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  protected static String set(String key, Path value) {
    return key + "=" + value.toAbsolutePath();
  }

  /** Where real-data tests find ../shared/data. */
  protected static Path sharedData() {
    return Path.of(System.getProperty("medvqa.shared.data", "../../shared/data"))
        .toAbsolutePath()
        .normalize();
  }
}
