package org.medvqa.core.ingest;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.image.ImageCheck;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;

/**
 * The executors' work of ingest's image step: a partition of distinct (image folder, image id) rows
 * in, one row per image out ({@link #SCHEMA}): its path, size, hash, or the problem that refuses
 * it. {@code decode} opens and decodes each image, {@code exists} only opens it, {@code none}
 * trusts the release (text-only evaluation sets, whose images are not at hand: the manifest then
 * has no image path).
 */
final class CheckedImages implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  /**
   * One row per image; the {@code i_} prefix keeps the columns apart from the records' in joins.
   */
  static final StructType SCHEMA =
      new StructType()
          .add("i_dir", DataTypes.StringType, true)
          .add("i_id", DataTypes.StringType, false)
          .add("i_path", DataTypes.StringType, true)
          .add("i_width", DataTypes.IntegerType, true)
          .add("i_height", DataTypes.IntegerType, true)
          .add("i_problem", DataTypes.StringType, true)
          .add("i_sha256", DataTypes.StringType, true);

  /** Extensions tried, in order, for an image id that has none. */
  private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".JPG", ".PNG");

  private final SerializableConf conf;
  private final IngestSettings.ImageCheckMode mode;
  private final int maxSide;
  private final LongAccumulator done;

  CheckedImages(
      SerializableConf conf,
      IngestSettings.ImageCheckMode mode,
      int maxSide,
      LongAccumulator done) {
    this.conf = conf;
    this.mode = mode;
    this.maxSide = maxSide;
    this.done = done;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    ImageCheck check = new ImageCheck(maxSide);
    // One image at a time, as Spark pulls rows: a partition's images are never all in memory.
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row r = rows.next();
        String dir = r.getString(0);
        String id = r.getString(1);
        Row out =
            mode == IngestSettings.ImageCheckMode.NONE
                ? RowFactory.create(dir, id, null, null, null, null, null)
                : checkOne(dir, id, mode == IngestSettings.ImageCheckMode.DECODE, check);
        done.add(1);
        return out;
      }
    };
  }

  private Row checkOne(String dir, String id, boolean decode, ImageCheck check) {
    if (dir == null) {
      return RowFactory.create(
          null, id, null, null, null, "no image folder for this file's split in the release", null);
    }
    List<String> names = new ArrayList<>();
    if (id.contains(".")) {
      names.add(id);
    }
    for (String e : EXTENSIONS) {
      names.add(id + e);
    }
    try {
      FileSystem fs = new Path(dir).getFileSystem(conf.get());
      for (String name : names) {
        Path p = new Path(dir, name);
        byte[] bytes;
        try (InputStream in = fs.open(p)) {
          bytes = decode ? in.readAllBytes() : new byte[0];
        } catch (FileNotFoundException e) {
          continue;
        }
        String uri = HadoopFiles.uri(p); // unescaped: new Path(uri) must find it again
        if (!decode) {
          return RowFactory.create(dir, id, uri, null, null, null, null);
        }
        ImageCheck.Result res = check.check(bytes);
        return RowFactory.create(
            dir,
            id,
            uri,
            res.ok() ? res.width() : null,
            res.ok() ? res.height() : null,
            res.problem(),
            ContentHash.sha256Hex(bytes));
      }
      return RowFactory.create(
          dir,
          id,
          null,
          null,
          null,
          "missing image file " + dir + "/" + id + ".jpg (or .jpeg, .png)",
          null);
    } catch (IOException e) {
      // A missing file is a property of the release (above); any other I/O failure (a lost
      // connection, a throttled read) is not: it fails the task, which Spark retries, so that a
      // transient fault never becomes a rejected record and a rerun never gives another manifest.
      throw new UncheckedIOException("cannot read image " + id + " in " + dir, e);
    }
  }
}
