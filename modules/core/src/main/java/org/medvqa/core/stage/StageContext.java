package org.medvqa.core.stage;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.io.PrintStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;

/**
 * What a running job gets: its resolved config, where to print, and (on first use) a Spark session
 * and Hadoop file access. Only the session this context created is stopped at the end, so that a
 * test's shared session survives the jobs it runs.
 */
public final class StageContext implements AutoCloseable {
  private final String job;
  private final Config config;
  private final PrintStream out;
  private final PrintStream err;
  private SparkSession spark;
  private boolean ownsSpark;
  private HadoopFiles files;
  private final Map<String, Object> stamp = new java.util.LinkedHashMap<>();

  public StageContext(String job, Config config, PrintStream out, PrintStream err) {
    this.job = job;
    this.config = config;
    this.out = out;
    this.err = err;
  }

  /**
   * A context for a stage that a composite job (run, pipeline) starts: its own name and config,
   * this context's Spark session, file access and output. The stage never stops the session.
   */
  public StageContext derive(String stage, Config stageConfig) {
    StageContext c = new StageContext(stage, stageConfig, out, err);
    c.spark = spark;
    c.ownsSpark = false;
    c.files = files;
    return c;
  }

  /**
   * This context with a typed section that every provenance it writes carries: a composite job
   * stamps its stages with their fingerprint (see the jobs' StageRunner).
   */
  public StageContext stamped(String section, Object value) {
    stamp.put(section, value);
    return this;
  }

  public Config config() {
    return config;
  }

  public PrintStream out() {
    return out;
  }

  public PrintStream err() {
    return err;
  }

  /** Prints a progress or status line prefixed with the job name. */
  public void say(String line) {
    out.println(job + ": " + line);
  }

  /**
   * The Spark session. The master is not set here: spark-submit sets it, and bin/medvqa passes
   * {@code -Dspark.master=local[*]}. Extra settings come from {@code medvqa.spark.conf}.
   */
  public SparkSession spark() {
    if (spark == null) {
      ownsSpark =
          SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
      SparkSession.Builder b =
          withSparkSettings(SparkSession.builder().appName("medvqa " + job), config);
      try {
        spark = b.getOrCreate();
      } catch (RuntimeException e) {
        // Scala throws SparkException without declaring it; "A master URL must be set" is the
        // usual one when a main is started without spark-submit or bin/medvqa.
        throw new StageFailure(
            "cannot start Spark: "
                + e.getMessage()
                + " (use bin/medvqa for a local run, or spark-submit --master ...)");
      }
      applyHadoop(spark.sparkContext().hadoopConfiguration());
    }
    return spark;
  }

  /**
   * {@code b} with the Spark settings of {@code config}'s {@code medvqa.spark.conf}, as a job's
   * session gets them (tests that start the session before the job use it too).
   */
  public static SparkSession.Builder withSparkSettings(SparkSession.Builder b, Config config) {
    for (Map.Entry<String, ConfigValue> e : config.getConfig("medvqa.spark.conf").entrySet()) {
      b.config(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped()));
    }
    return b;
  }

  /** Hadoop file access: Spark's Hadoop configuration when Spark runs, else a fresh one. */
  public HadoopFiles files() {
    if (files == null) {
      Configuration conf;
      if (spark != null) {
        conf = spark.sparkContext().hadoopConfiguration();
      } else {
        conf = new Configuration();
        applyHadoop(conf);
      }
      files = new HadoopFiles(conf);
    }
    return files;
  }

  private void applyHadoop(Configuration conf) {
    for (Map.Entry<String, ConfigValue> e : config.getConfig("medvqa.hadoop.conf").entrySet()) {
      conf.set(stripQuotes(e.getKey()), String.valueOf(e.getValue().unwrapped()));
    }
  }

  /**
   * HOCON quotes keys that contain dots ("spark.sql.shuffle.partitions"); Spark wants them bare.
   */
  private static String stripQuotes(String key) {
    return key.replace("\"", "");
  }

  /**
   * The qualified path of a new output: refused when something is already there, because outputs
   * are never overwritten in part. What a killed earlier run of the same output left beside it (its
   * hidden temporary folder) is removed, and said.
   */
  public Path newOutput(String path) throws java.io.IOException {
    Path out = files().qualify(path);
    if (files().exists(out)) {
      throw new StageFailure("output " + out + " already exists; remove it or choose another");
    }
    removeLeftovers(out);
    return out;
  }

  /** Removes the temporary outputs an interrupted earlier run of {@code out} left, saying so. */
  public void removeLeftovers(Path out) throws java.io.IOException {
    for (Path p : files().removeLeftovers(out)) {
      say("removed the temporary output of an interrupted earlier run: " + p);
    }
  }

  /** A provenance record for this job's output, with its config. */
  public Provenance provenance() {
    Provenance p = new Provenance(job, config);
    stamp.forEach(p::section);
    return p;
  }

  /**
   * Writes {@code provenance.json} into {@code dir}. Written last, so its presence marks a complete
   * output.
   */
  public void writeProvenance(Path dir, Provenance p) throws java.io.IOException {
    files().write(new Path(dir, "provenance.json"), p.toJson());
  }

  @Override
  public void close() {
    if (spark != null && ownsSpark) {
      spark.stop();
    }
  }
}
