package org.medvqa.eval.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.io.HadoopFiles;

/**
 * The manifest rows a report needs, read from the Parquet files of an ingest output without Spark:
 * only the columns {@link #COLUMNS} and only the rows whose sample id or image id is asked for, so
 * a large manifest costs one pass over five columns and little memory.
 */
public final class ManifestIndex {
  /** The columns read; the others (answers, sources, sizes) are not needed by a report. */
  static final List<String> COLUMNS =
      List.of(
          ManifestColumns.SAMPLE_ID,
          ManifestColumns.IMAGE_ID,
          ManifestColumns.IMAGE_PATH,
          ManifestColumns.QUESTION,
          ManifestColumns.CATEGORY);

  /**
   * One manifest row.
   *
   * @param sampleId the QA pair's id
   * @param imageId the image id
   * @param imagePath the image's URI, or "" when the row has none
   * @param question the question, or null
   * @param category the question category, or null
   */
  public record Row(
      String sampleId, String imageId, String imagePath, String question, String category) {}

  private final Map<String, Row> bySample = new HashMap<>();
  private final Map<String, Row> byImage = new HashMap<>();

  private ManifestIndex() {}

  /**
   * Reads the rows of {@code manifest} (a folder of Parquet files) whose sample id or image id is
   * in {@code ids}. For an image id the first row met is kept (any of its questions names the same
   * image path).
   *
   * @throws IOException when the folder holds no Parquet file or a file cannot be read
   */
  public static ManifestIndex read(HadoopFiles files, Path manifest, Collection<String> ids)
      throws IOException {
    Set<String> wanted = Set.copyOf(ids);
    ManifestIndex index = new ManifestIndex();
    List<Path> parts = files.listFiles(manifest, ".parquet");
    // Spark's part files: the order only decides which row of an image is kept, so fix it.
    parts.sort(null);
    if (parts.isEmpty()) {
      throw new IOException("no Parquet file in " + manifest);
    }
    for (Path part : parts) {
      index.readPart(files.conf(), part, wanted);
    }
    return index;
  }

  private void readPart(Configuration conf, Path part, Set<String> wanted) throws IOException {
    MessageType schema;
    try (ParquetFileReader footer = ParquetFileReader.open(HadoopInputFile.fromPath(part, conf))) {
      schema = footer.getFileMetaData().getSchema();
    }
    List<Type> fields = new ArrayList<>();
    for (String c : COLUMNS) {
      if (schema.containsField(c)) {
        fields.add(schema.getType(c));
      }
    }
    if (!schema.containsField(ManifestColumns.SAMPLE_ID)
        && !schema.containsField(ManifestColumns.IMAGE_ID)) {
      throw new IOException(
          part
              + " is not a manifest: it has neither "
              + ManifestColumns.SAMPLE_ID
              + " nor "
              + ManifestColumns.IMAGE_ID);
    }
    MessageType projection = new MessageType(schema.getName(), fields);
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), part)
            .withConf(new Configuration(conf))
            .set(ReadSupport.PARQUET_READ_SCHEMA, projection.toString())
            .build()) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        String sample = string(g, ManifestColumns.SAMPLE_ID);
        String image = string(g, ManifestColumns.IMAGE_ID);
        boolean bySampleId = sample != null && wanted.contains(sample);
        boolean byImageId = image != null && wanted.contains(image);
        if (!bySampleId && !byImageId) {
          continue;
        }
        String path = string(g, ManifestColumns.IMAGE_PATH);
        Row row =
            new Row(
                sample,
                image,
                path == null ? "" : path,
                string(g, ManifestColumns.QUESTION),
                string(g, ManifestColumns.CATEGORY));
        if (bySampleId) {
          bySample.putIfAbsent(sample, row);
        }
        if (byImageId) {
          byImage.putIfAbsent(image, row);
        }
      }
    }
  }

  private static String string(Group g, String column) {
    if (!g.getType().containsField(column) || g.getFieldRepetitionCount(column) == 0) {
      return null;
    }
    return g.getString(column, 0);
  }

  /** The row of a sample id, or null. */
  public Row bySample(String sampleId) {
    return bySample.get(sampleId);
  }

  /** A row of an image id, or null. */
  public Row byImage(String imageId) {
    return byImage.get(imageId);
  }

  /** The row for a ground-truth id: a sample id (our own splits) or an image id (official sets). */
  public Row lookup(String id) {
    Row r = bySample.get(id);
    return r != null ? r : byImage.get(id);
  }
}
