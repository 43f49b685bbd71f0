package org.medvqa.features;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageFailure;

/**
 * The feature table that {@link FeatureStage} writes and training and prediction read: its layout,
 * the signature that keeps one table to one model and preprocessing, and the incremental append of
 * {@code run=N} parts.
 *
 * <pre>
 * out/features/run=N/part-*.parquet   image_id, variant_id, image_path, features[, feature_map]
 * out/_rejected/run=N/part-*.parquet  image_id, variant_id, image_path, reason
 * out/provenance.json                 settings, inputs, counts of the last run and in total
 * </pre>
 *
 * Key: (image_id, variant_id), variant 0 = the original image, k = its k-th augmented variant. A
 * run's keys never occur in an earlier run, so a reader of {@link #read} never sees a key twice.
 */
public final class FeatureTable {
  /** The table folder under the output, read as one Parquet table with partition column run. */
  public static final String FEATURES = "features";

  /** The unreadable images, one folder per run like the table. */
  public static final String REJECTED = "_rejected";

  /** The partition column: {@code run=N} folders, N = 1, 2, ... */
  public static final String RUN = "run";

  public static final String IMAGE_ID = ManifestColumns.IMAGE_ID;

  /** 0 = the original image, k = its k-th augmented variant. */
  public static final String VARIANT_ID = "variant_id";

  public static final String IMAGE_PATH = ManifestColumns.IMAGE_PATH;

  /** The pooled vector (2048 floats for ResNet50). */
  public static final String FEATURE = "features";

  /** With keep-map: the last convolutional map, 7 x 7 x 2048 floats in h, w, c order. */
  public static final String FEATURE_MAP = "feature_map";

  public static final String REASON = ManifestColumns.REASON;

  private static final String PROVENANCE = "provenance.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FeatureTable() {}

  /** The table's columns (without the partition column). */
  public static StructType schema(boolean keepMap) {
    StructType s =
        new StructType()
            .add(IMAGE_ID, DataTypes.StringType, false)
            .add(VARIANT_ID, DataTypes.IntegerType, false)
            .add(IMAGE_PATH, DataTypes.StringType, false)
            .add(FEATURE, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    if (keepMap) {
      s = s.add(FEATURE_MAP, DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }
    return s;
  }

  /** Rows the extraction tasks return: the table's columns and the reason there are no features. */
  static StructType resultSchema(boolean keepMap) {
    return schema(keepMap).add(REASON, DataTypes.StringType, true);
  }

  /** The table folder of output {@code out}. */
  public static Path table(Path out) {
    return new Path(out, FEATURES);
  }

  /** The table of output {@code out}, every run. */
  public static Dataset<Row> read(SparkSession spark, Path out) {
    return spark.read().parquet(table(out).toString());
  }

  /** The name of run {@code n}'s folder. */
  static String runFolder(int n) {
    return RUN + "=" + n;
  }

  /**
   * {@code s} with its model file as a full URI (the form the signature records and executors
   * open), refused when the file is missing.
   */
  public static FeatureSettings withModelFile(FeatureSettings s, HadoopFiles files)
      throws IOException {
    if (!s.modelSource().equals("file")) {
      return s;
    }
    Path model = files.qualify(s.modelFile());
    if (!files.exists(model)) {
      throw new StageFailure(
          "model file "
              + model
              + " does not exist (make weights writes models/resnet50-keras-imagenet.zip;"
              + " set medvqa.features.model.file)");
    }
    return s.withModelFile(HadoopFiles.uri(model));
  }

  /**
   * What must not change between the runs of one output: the model, the preprocessing and the
   * precision. Its SHA-256 names the shared cache of run/pipeline, so the text must stay as it is
   * for the fp32 engines (gemm, onednn and dl4j give the same features within float tolerance, and
   * caches made before the precision existed stay valid); bf16 features are close but not equal, so
   * they add {@code precision=bf16} and never share a table with fp32 ones. A pooling other than
   * the default adds {@code pooling=...}: its vectors have another width and meaning.
   */
  public static String signature(FeatureSettings s) {
    String fp32 =
        String.join(
            " ",
            "model=" + (s.modelSource().equals("zoo") ? "zoo" : localForm(s.modelFile())),
            "size=" + s.imageSize(),
            "resize=" + s.resize(),
            "preprocessing=" + s.preprocessing(),
            "map=" + s.keepMap());
    if (!s.pooling().isDefault()) {
      fp32 += " pooling=" + s.pooling();
    }
    return s.precision().equals("fp32") ? fp32 : fp32 + " precision=" + s.precision();
  }

  /**
   * One spelling of a local file's URI: {@code file:///x} (an absolute path set by the user, as
   * java.nio writes it) and {@code file:/x} (a relative one, as Hadoop qualifies it) are one file,
   * and before this they gave two signatures, so one model had two shared caches and an output was
   * refused as "made with different settings".
   */
  static String localForm(String uri) {
    return uri.startsWith("file:///") ? "file:/" + uri.substring("file:///".length()) : uri;
  }

  /** Whether two signatures name the same features (the model's URI in either local spelling). */
  static boolean sameSignature(String a, String b) {
    return a.replace("model=file:///", "model=file:/")
        .equals(b.replace("model=file:///", "model=file:/"));
  }

  /** The provenance note naming the engine of run N: this prefix, then N. */
  static final String ENGINE_NOTE = "engine_run_";

  /**
   * Checks that an existing output is complete and was made with the same model and preprocessing,
   * and returns its highest run number; adds the engine notes of its provenance (by run, none for
   * outputs written before they were recorded) to {@code engines}.
   */
  static int lastRun(HadoopFiles files, Path out, String signature, Map<String, String> engines)
      throws IOException {
    Path prov = new Path(out, PROVENANCE);
    if (!files.exists(prov) || !files.exists(table(out))) {
      throw new StageFailure(
          "output "
              + out
              + " exists but is not a complete extract-features output (no provenance.json or features/); remove it");
    }
    JsonNode p = JSON.readTree(files.readAll(prov));
    p.path("notes")
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().startsWith(ENGINE_NOTE)) {
                engines.put(e.getKey(), e.getValue().asText());
              }
            });
    String before = p.path("notes").path("signature").asText("");
    if (!sameSignature(before, signature)) {
      throw new StageFailure(
          "output "
              + out
              + " was made with different settings ("
              + before
              + ", now "
              + signature
              + "); features of one table must come from one model and preprocessing: choose another output");
    }
    int max = 0;
    FileSystem fs = files.fs(out);
    for (FileStatus s : fs.listStatus(table(out))) {
      String n = s.getPath().getName();
      if (s.isDirectory() && n.startsWith(RUN + "=")) {
        try {
          max = Math.max(max, Integer.parseInt(n.substring(RUN.length() + 1)));
        } catch (NumberFormatException e) {
          throw new StageFailure("unexpected folder " + s.getPath() + " in the feature table");
        }
      }
    }
    return max;
  }

  /** The keys {@code keys} holds that the table of {@code out} (with {@code already}) lacks. */
  static Dataset<Row> without(Dataset<Row> keys, Dataset<Row> already) {
    Dataset<Row> d = already.select(IMAGE_ID, VARIANT_ID).toDF("d_image_id", "d_variant_id");
    return keys.join(
        d,
        col(IMAGE_ID).equalTo(col("d_image_id")).and(col(VARIANT_ID).equalTo(col("d_variant_id"))),
        "left_anti");
  }

  /**
   * Moves run {@code run}'s folders (table and rejects) from the temporary output {@code tmp} into
   * the existing output {@code out}: one rename each, refused when the run appeared there meanwhile
   * (a concurrent run of the same output).
   */
  static void append(HadoopFiles files, Path tmp, Path out, String run) throws IOException {
    moveRun(files, new Path(tmp, FEATURES), new Path(out, FEATURES), run);
    moveRun(files, new Path(tmp, REJECTED), new Path(out, REJECTED), run);
  }

  /** Renames one run folder into the table; refuses to overwrite (a concurrent run). */
  private static void moveRun(HadoopFiles files, Path fromTable, Path toTable, String run)
      throws IOException {
    Path from = new Path(fromTable, run);
    if (!files.exists(from)) {
      // Written by this run a moment ago: removed since, by another run of the same output.
      throw new StageFailure(
          from
              + " vanished while this run was working: another extract-features run on the same"
              + " output removed it?");
    }
    FileSystem fs = files.fs(toTable);
    fs.mkdirs(toTable);
    Path to = new Path(toTable, run);
    if (fs.exists(to)) {
      throw new StageFailure(
          to
              + " appeared while this run was working: another extract-features run on the same output?");
    }
    if (!fs.rename(from, to)) {
      throw new IOException("could not rename " + from + " to " + to);
    }
  }
}
