package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.Category;
import org.medvqa.core.image.ImageCheck;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.release.LineParser;
import org.medvqa.core.release.QaRecord;
import org.medvqa.core.release.StrictLines;
import org.medvqa.core.release.TextSource;

/** The functions ingest runs on executors: file parsing and image checks, row in, row out. */
final class IngestFunctions {
  static final StructType PARSED_SCHEMA =
      new StructType()
          .add("source_file", DataTypes.StringType, false)
          .add("source_line", DataTypes.IntegerType, false)
          .add("split", DataTypes.StringType, false)
          .add("task", DataTypes.StringType, false)
          .add("format", DataTypes.StringType, false)
          .add("raw", DataTypes.StringType, true)
          .add("reason", DataTypes.StringType, true)
          .add("image_id", DataTypes.StringType, true)
          .add("question", DataTypes.StringType, true)
          .add("answers", DataTypes.createArrayType(DataTypes.StringType, false), true)
          .add("category", DataTypes.StringType, true)
          .add("image_dir", DataTypes.StringType, true);

  static final StructType IMAGE_SCHEMA =
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

  private IngestFunctions() {}

  /**
   * Every line of one text file as parsed rows, bad lines as rows with a reason. Lazy: the file is
   * read as Spark pulls rows, so a file of millions of lines never sits in memory, and it is closed
   * when the last row has been taken.
   */
  static Iterator<Row> parseFile(TextSource s, SerializableConf conf, LongAccumulator linesRead)
      throws IOException {
    Path path = new Path(s.path());
    InputStream in = path.getFileSystem(conf.get()).open(path);
    StrictLines lines = new StrictLines(in);
    String format = s.format().configName();
    return new Iterator<>() {
      private final java.util.ArrayDeque<Row> ready = new java.util.ArrayDeque<>();
      private boolean any;
      private boolean done;

      @Override
      public boolean hasNext() {
        while (ready.isEmpty() && !done) {
          fill();
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return ready.poll();
      }

      private void fill() {
        if (!lines.hasNext()) {
          done = true;
          try {
            in.close();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          if (!any) {
            ready.add(reject(s, format, 0, "", "empty file: no records"));
          }
          return;
        }
        StrictLines.Line l = lines.next();
        linesRead.add(1);
        if (l.error() != null) {
          any = true;
          ready.add(reject(s, format, l.number(), l.raw(), l.error()));
          return;
        }
        if (l.text().isBlank()) {
          // A blank line holds no record; skipping it loses nothing.
          return;
        }
        any = true;
        LineParser.Result r = LineParser.parse(l.text(), s);
        if (r.isRejected()) {
          ready.add(reject(s, format, l.number(), l.text(), r.reason()));
          return;
        }
        for (QaRecord q : r.records()) {
          ready.add(
              RowFactory.create(
                  s.path(),
                  l.number(),
                  s.split(),
                  q.task(),
                  format,
                  l.text(),
                  null,
                  q.imageId(),
                  q.question(),
                  q.answers().toArray(new String[0]),
                  q.category() == null ? null : q.category().label(),
                  s.imageDir()));
        }
      }
    };
  }

  private static Row reject(TextSource s, String format, int line, String raw, String reason) {
    return RowFactory.create(
        s.path(),
        line,
        s.split(),
        s.task(),
        format,
        raw,
        reason,
        null,
        null,
        null,
        null,
        s.imageDir());
  }

  /** The category inferred from a question, as a Spark column. */
  static Column inferCategory(SparkSession spark, Column question) {
    UserDefinedFunction infer =
        functions.udf(
            (UDF1<String, String>) q -> q == null ? null : Category.infer(q).label(),
            DataTypes.StringType);
    return infer.apply(question);
  }

  /**
   * Checks each image of a partition: {@code decode} opens and decodes it, {@code exists} only
   * opens it, {@code none} trusts the release (text-only evaluation sets, whose images are not at
   * hand: the manifest then has no image path).
   */
  static Iterator<Row> checkImages(
      Iterator<Row> rows, SerializableConf conf, String mode, int maxSide, LongAccumulator done) {
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
            "none".equals(mode)
                ? RowFactory.create(dir, id, null, null, null, null, null)
                : checkOne(dir, id, conf, "decode".equals(mode), check);
        done.add(1);
        return out;
      }
    };
  }

  private static Row checkOne(
      String dir, String id, SerializableConf conf, boolean decode, ImageCheck check) {
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
        String uri = p.toUri().toString();
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
            sha256(bytes));
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
      throw new java.io.UncheckedIOException("cannot read image " + id + " in " + dir, e);
    }
  }

  /** Hex SHA-256 of an image file's bytes: the key of the shared feature cache. */
  static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /** The rejected-table columns of a frame that has the parsed columns and a reason. */
  static Dataset<Row> asRejected(Dataset<Row> df) {
    return df.select(col("source_file"), col("source_line"), col("raw"), col("reason"));
  }
}
