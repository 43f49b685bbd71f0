package org.medvqa.core.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.release.LineParser;
import org.medvqa.core.release.QaRecord;
import org.medvqa.core.release.StrictLines;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.TextSource;
import org.medvqa.core.release.VqaRadJson;

/**
 * The executors' work of ingest's first step: one text (or VQA-RAD JSON) file in, its parsed rows
 * out ({@link #SCHEMA}), a bad line as a row with a reason. Run one task per file, so that line
 * numbers and the raw text are kept.
 */
final class ParsedRows implements FlatMapFunction<TextSource, Row> {
  private static final long serialVersionUID = 1L;

  /** The parsed rows: where each came from, and either the record or the reason it is refused. */
  static final StructType SCHEMA =
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
          .add("organ", DataTypes.StringType, true)
          .add("question_type", DataTypes.StringType, true);

  private final SerializableConf conf;
  private final LongAccumulator linesRead;
  private final VqaRadJson.CategoryBy vqaRadCategory;

  ParsedRows(
      SerializableConf conf, LongAccumulator linesRead, VqaRadJson.CategoryBy vqaRadCategory) {
    this.conf = conf;
    this.linesRead = linesRead;
    this.vqaRadCategory = vqaRadCategory;
  }

  @Override
  public Iterator<Row> call(TextSource s) throws IOException {
    if (s.format() == TextFormat.VQA_RAD) {
      return vqaRad(s);
    }
    Path path = new Path(s.path());
    return new TextRows(s, path.getFileSystem(conf.get()).open(path), linesRead);
  }

  /**
   * Every line of one text file as parsed rows. Lazy: the file is read as Spark pulls rows, so a
   * file of millions of lines never sits in memory, and it is closed when the last row has been
   * taken.
   */
  private static final class TextRows implements Iterator<Row> {
    private final TextSource s;
    private final InputStream in;
    private final StrictLines lines;
    private final String format;
    private final LongAccumulator linesRead;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private boolean any;
    private boolean done;

    TextRows(TextSource s, InputStream in, LongAccumulator linesRead) {
      this.s = s;
      this.in = in;
      this.lines = new StrictLines(in);
      this.format = s.format().configName();
      this.linesRead = linesRead;
    }

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
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void fill() {
      if (!lines.hasNext()) {
        done = true;
        try {
          in.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
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
                null,
                null));
      }
    }
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
        null,
        null);
  }

  /**
   * Every object of a VQA-RAD JSON file (VqaRadJson) as parsed rows, each counted as one line read.
   * The split comes from the object's phrase_type, not the file. The category is the answer type
   * (closed or open), so that the models answer closed questions from closed answers, or, as
   * configured, the 2019 category the question type asks where it asks one ({@link
   * VqaRadJson.Entry#category}); the answer type is kept as its own column, which predict writes as
   * the reference's category, so that evaluate scores closed and open questions apart, the way
   * VQA-RAD results are published. The file is read whole: the published one holds 2,248 questions.
   */
  private Iterator<Row> vqaRad(TextSource s) throws IOException {
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
                    e.category(vqaRadCategory),
                    s.imageDir(),
                    e.answerType(),
                    e.organ(),
                    e.questionType()));
          });
    }
    return rows.iterator();
  }
}
