package org.medvqa.training;

import static org.apache.spark.sql.functions.col;

import com.typesafe.config.Config;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.features.ImagePreprocessor;

/**
 * The preprocessed pixels of each row's image, as the {@link Examples#FEATURE} column of a kind
 * that learns from images rather than cached features ({@code ModelKind.Input.PIXELS}: the
 * fine-tuned classifier). Read and decoded on the executors; an unreadable image, and one whose
 * bytes no longer have the SHA-256 recorded for them (image_sha256, when the manifest has it),
 * gives null, which train refuses by name and predict answers from a blank image, counted: changed
 * bytes are never learnt from.
 *
 * @param size the network's input side ({@code medvqa.models.<kind>.image-size})
 * @param caffe Keras ResNet50 preprocessing ({@code preprocessing = caffe}) rather than raw RGB
 * @param maxSide a longer image side is refused ({@code medvqa.images.max-side})
 */
public record PixelColumn(int size, boolean caffe, int maxSide) {

  /** The settings of {@code kind}'s pixels. */
  public static PixelColumn from(Config cfg, String kind) {
    Config c = cfg.getConfig("medvqa.models." + kind);
    return new PixelColumn(
        c.getInt("image-size"),
        c.getString("preprocessing").equals("caffe"),
        cfg.getInt("medvqa.images.max-side"));
  }

  /** The pixels column of a manifest with {@code manifestColumns}. */
  public Column of(HadoopFiles files, String[] manifestColumns) {
    int size = this.size;
    boolean caffe = this.caffe;
    int maxSide = this.maxSide;
    SerializableConf conf = new SerializableConf(files.conf());
    UserDefinedFunction read =
        functions.udf(
            (UDF2<String, String, float[]>)
                (path, recorded) -> {
                  if (path == null || path.isEmpty()) {
                    return null;
                  }
                  ImagePreprocessor p = new ImagePreprocessor(size, false, caffe, false, maxSide);
                  Path file = new Path(path);
                  byte[] bytes;
                  try (InputStream in = file.getFileSystem(conf.get()).open(file)) {
                    bytes = in.readAllBytes();
                  }
                  if (ContentHash.mismatch(recorded, bytes) != null) {
                    return null;
                  }
                  float[] px = new float[p.imageLength()];
                  try {
                    p.prepare(bytes, px, 0);
                  } catch (ImagePreprocessor.BadImage e) {
                    return null;
                  }
                  return px;
                },
            DataTypes.createArrayType(DataTypes.FloatType, false));
    Column recorded =
        Arrays.asList(manifestColumns).contains(ManifestColumns.IMAGE_SHA256)
            ? col(ManifestColumns.IMAGE_SHA256)
            : functions.lit(null).cast(DataTypes.StringType);
    return read.apply(col(ManifestColumns.IMAGE_PATH), recorded);
  }
}
