package org.medvqa.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.features.FeatureTable;
import org.medvqa.models.Example;

/**
 * Manifest rows joined with their cached image features, as the models' {@link Example}s.
 *
 * <p>The feature table (extract-features) is keyed by its {@code image_id} and {@code variant_id};
 * {@code key} names the manifest column that matches its {@code image_id}: {@code image_id} for a
 * table extracted with the default key, {@code image_sha256} for the shared content-keyed cache.
 */
public final class Examples {
  /** The image column of an example row: a cached feature, preprocessed pixels or null. */
  public static final String FEATURE = "f_features";

  private Examples() {}

  /** Left join: rows without features keep a null {@value #FEATURE}. */
  public static Dataset<Row> withFeatures(
      Dataset<Row> manifest, Dataset<Row> features, String key) {
    List<String> cols = Arrays.asList(manifest.columns());
    if (!cols.contains(key)) {
      throw new StageFailure(
          "manifest has no column '"
              + key
              + "' to find its features by"
              + (key.equals(ManifestColumns.IMAGE_SHA256)
                  ? " (ingest writes it when image-check = decode; re-ingest the release)"
                  : ""));
    }
    Column variant =
        cols.contains(FeatureTable.VARIANT_ID) ? col(FeatureTable.VARIANT_ID).cast("int") : lit(0);
    Dataset<Row> m = manifest.withColumn("m_key", col(key)).withColumn("m_variant", variant);
    Dataset<Row> f =
        features.select(
            col(FeatureTable.IMAGE_ID).as("f_key"),
            col(FeatureTable.VARIANT_ID).as("f_variant"),
            col(FeatureTable.FEATURE).as(FEATURE));
    return m.join(
            f,
            m.col("m_key")
                .equalTo(f.col("f_key"))
                .and(m.col("m_variant").equalTo(f.col("f_variant"))),
            "left")
        .drop("m_key", "m_variant", "f_key", "f_variant");
  }

  /** The columns {@link #of} reads, in its order. */
  public static Column[] columns() {
    return new Column[] {
      col(ManifestColumns.SAMPLE_ID),
      col(ManifestColumns.IMAGE_ID),
      col(ManifestColumns.CATEGORY),
      col(FEATURE),
      col(ManifestColumns.QUESTION),
      col(ManifestColumns.ANSWERS)
    };
  }

  /** A row of {@link #columns} as an example; a missing feature stays null. */
  public static Example of(Row r) {
    float[] f = null;
    if (!r.isNullAt(3)) {
      List<Float> l = r.getList(3);
      f = new float[l.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = l.get(i);
      }
    }
    List<String> answers = r.isNullAt(5) ? List.of() : new ArrayList<>(r.<String>getList(5));
    return new Example(r.getString(0), r.getString(1), r.getString(2), f, r.getString(4), answers);
  }
}
