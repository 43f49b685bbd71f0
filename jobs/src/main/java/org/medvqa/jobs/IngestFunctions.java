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
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.release.LineParser;
import org.medvqa.core.release.QaRecord;
import org.medvqa.core.release.StrictLines;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.TextSource;
import org.medvqa.core.release.VqaRadJson;

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
          .add("image_dir", DataTypes.StringType, true)
          .add("answer_type", DataTypes.StringType, true)
          .add("organ", DataTypes.StringType, true);

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
    if (s.format() == TextFormat.VQA_RAD) {
      return parseVqaRad(s, conf, linesRead);
    }
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
                  s.imageDir(),
                  null,
                  null));
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
        s.imageDir(),
        null,
        null);
  }

  /**
   * Every object of a VQA-RAD JSON file (VqaRadJson) as parsed rows, each counted as one line read.
   * The split comes from the object's phrase_type, not the file; the answer type (CLOSED/OPEN) is
   * the record's category, as the release states it, so that the models answer closed questions
   * from closed answers and evaluate scores both kinds apart, the way VQA-RAD results are
   * published. The file is read whole: the published one holds 2,248 questions.
   */
  static Iterator<Row> parseVqaRad(TextSource s, SerializableConf conf, LongAccumulator linesRead)
      throws IOException {
    Path path = new Path(s.path());
    List<Row> rows = new ArrayList<>();
    String format = s.format().configName();
    try (InputStream in = path.getFileSystem(conf.get()).open(path)) {
      VqaRadJson.read(
          in,
          e -> {
            linesRead.add(1);
            if (e.isRejected()) {
              rows.add(reject(s, format, e.line(), e.raw(), e.reason()));
              return;
            }
            QaRecord q = e.record();
            rows.add(
                RowFactory.create(
                    s.path(),
                    e.line(),
                    e.split(),
                    q.task(),
                    format,
                    e.raw(),
                    null,
                    q.imageId(),
                    q.question(),
                    q.answers().toArray(new String[0]),
                    e.answerType().toLowerCase(java.util.Locale.ROOT),
                    s.imageDir(),
                    e.answerType(),
                    e.organ()));
          });
    }
    return rows.iterator();
  }

  /**
   * The hex SHA-256 of a text column's UTF-8 bytes. Not Spark's {@code sha2}: its generated code
   * calls a commons-codec method that the older commons-codec in the shaded jar lacks, so Spark
   * logs a compile error and falls back to interpreting the whole stage.
   */
  static Column sha256Hex(Column text) {
    UserDefinedFunction hash =
        functions.udf(
            (UDF1<String, String>)
                t ->
                    t == null
                        ? null
                        : ContentHash.sha256Hex(
                            t.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            DataTypes.StringType);
    return hash.apply(text);
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
      throw new java.io.UncheckedIOException("cannot read image " + id + " in " + dir, e);
    }
  }

  /** The rejected-table columns of a frame that has the parsed columns and a reason. */
  static Dataset<Row> asRejected(Dataset<Row> df) {
    return df.select(col("source_file"), col("source_line"), col("raw"), col("reason"));
  }
}
