package org.medvqa.eval.report;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * A run folder as {@code bin/medvqa run} lays it out, generated in code: metrics.json,
 * model/metrics.jsonl, predictions (ground truth, submission, provenance naming a manifest) and an
 * ingest folder whose Parquet manifest points at generated images. Each piece can be left out.
 */
final class FakeRun {
  /** The manifest as Spark writes it (strings as STRING binaries, answers as a LIST). */
  static final MessageType MANIFEST =
      MessageTypeParser.parseMessageType(
          """
          message spark_schema {
            optional binary sample_id (STRING);
            optional binary image_id (STRING);
            optional binary image_path (STRING);
            optional binary question (STRING);
            optional group answers (LIST) {
              repeated group list {
                optional binary element (STRING);
              }
            }
            optional binary category (STRING);
            optional binary split (STRING);
          }
          """);

  static final List<String> CATEGORIES = List.of("modality", "plane", "organ", "abnormality");

  /** A question with markup in it: the page must show it as text. */
  static final String NASTY_QUESTION = "is <script>alert(\"x\")</script> & 'this' <b>bold</b>?";

  /** One generated test item. */
  record Item(
      String sampleId,
      String imageId,
      String category,
      String question,
      String answer,
      String predicted,
      String imageKind) {}

  final Path dir;
  final List<Item> items = new ArrayList<>();

  private FakeRun(Path dir) {
    this.dir = dir;
  }

  /**
   * A VQA run with {@code perCategory} items in each of the four 2019 categories. Image kinds, by
   * item index: every 7th has no file, every 11th is a corrupt file, the others are real PNGs (grey
   * gradients with a bright square, as radiograph stand-ins).
   */
  static FakeRun vqa(Path dir, int perCategory) throws IOException {
    FakeRun run = new FakeRun(dir);
    int n = 0;
    for (String c : CATEGORIES) {
      for (int i = 0; i < perCategory; i++) {
        n++;
        String kind = n % 7 == 0 ? "missing" : n % 11 == 0 ? "corrupt" : "png";
        String answer = c + " answer " + i;
        String predicted = i % 2 == 0 ? answer : "something else";
        String question = n == 1 ? NASTY_QUESTION : "what is the " + c + " in image " + n + "?";
        run.items.add(
            new Item(
                String.format(Locale.ROOT, "2019-train-%06d", n),
                "synpic" + (1000 + n),
                c,
                question,
                answer,
                predicted,
                kind));
      }
    }
    Files.createDirectories(dir);
    return run;
  }

  FakeRun metrics(double accuracy, double bleu) throws IOException {
    StringBuilder per = new StringBuilder();
    for (String c : CATEGORIES) {
      per.append(per.isEmpty() ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "\"%s\":{\"accuracy\":%.4f,\"bleu\":%.4f,\"count\":%d}",
                  c,
                  accuracy * (CATEGORIES.indexOf(c) + 1) / 4,
                  bleu * (CATEGORIES.indexOf(c) + 1) / 4,
                  items.size() / 4));
    }
    write(
        "metrics.json",
        String.format(
            Locale.ROOT,
            "{\"task\":\"vqa\",\"accuracy\":%.4f,\"bleu\":%.4f,\"count\":%d,\"per_category\":{%s}}%n",
            accuracy,
            bleu,
            items.size(),
            per));
    return this;
  }

  FakeRun epochs(int count) throws IOException {
    StringBuilder b = new StringBuilder();
    double best = -1;
    for (int e = 1; e <= count; e++) {
      double acc = 0.2 + 0.5 * (1 - Math.exp(-e / 3.0)) - (e == count ? 0.05 : 0);
      boolean isBest = acc > best;
      best = Math.max(best, acc);
      b.append(
          String.format(
              Locale.ROOT,
              "{\"epoch\":%d,\"train_loss\":%.4f,\"validation_loss\":%.4f,"
                  + "\"validation_accuracy\":%.4f,\"metric\":\"accuracy\",\"seconds\":%.2f,"
                  + "\"samples_per_second\":100.0,\"best\":%s}%n",
              e,
              3.0 / e + 0.5,
              3.2 / e + 0.7,
              acc,
              10.0 + e,
              isBest));
    }
    write("model/metrics.jsonl", b.toString());
    return this;
  }

  FakeRun predictions() throws IOException {
    StringBuilder gt = new StringBuilder();
    StringBuilder sub = new StringBuilder();
    for (Item i : items) {
      gt.append(i.sampleId())
          .append('|')
          .append(i.category())
          .append('|')
          .append(i.question())
          .append('|')
          .append(i.answer())
          .append('\n');
      sub.append(i.sampleId()).append('|').append(i.predicted()).append('\n');
    }
    write("predictions/ground-truth.txt", gt.toString());
    write("predictions/submission.txt", sub.toString());
    write("submission.txt", sub.toString());
    return this;
  }

  /** Only the submission (a test release without answers: no ground truth, no metrics). */
  FakeRun submissionOnly() throws IOException {
    StringBuilder sub = new StringBuilder();
    for (Item i : items) {
      sub.append(i.sampleId()).append('|').append(i.predicted()).append('\n');
    }
    write("predictions/submission.txt", sub.toString());
    return this;
  }

  /** The ingest output with its Parquet manifest, the images, and predict's provenance. */
  FakeRun manifest() throws IOException {
    Path ingest = dir.resolve("ingest-train");
    Path images = ingest.resolve("images");
    Files.createDirectories(images);
    Files.createDirectories(ingest.resolve("manifest"));
    org.apache.hadoop.fs.Path part =
        new org.apache.hadoop.fs.Path(ingest.resolve("manifest/part-00000.snappy.parquet").toUri());
    SimpleGroupFactory groups = new SimpleGroupFactory(MANIFEST);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(part)
            .withType(MANIFEST)
            .withConf(new Configuration())
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .build()) {
      int n = 0;
      for (Item i : items) {
        n++;
        Path image = images.resolve(i.imageId() + ".png");
        if (i.imageKind().equals("png")) {
          ImageIO.write(radiograph(300 + 7 * n, 240 + 5 * n, n), "png", image.toFile());
        } else if (i.imageKind().equals("corrupt")) {
          Files.write(image, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        }
        Group g = groups.newGroup();
        g.add("sample_id", i.sampleId());
        g.add("image_id", i.imageId());
        g.add("image_path", image.toUri().toString());
        g.add("question", i.question());
        g.addGroup("answers").addGroup("list").append("element", i.answer());
        g.add("category", i.category());
        g.add("split", "heldout");
        w.write(g);
      }
    }
    write(
        "predictions/provenance.json",
        "{\"job\":\"predict\",\"inputs\":{\"model\":\"x\",\"manifest\":\""
            + ingest.toUri()
            + "\"},\"notes\":{\"model_kind\":\"classifier\",\"split\":\"heldout\",\"task\":\"vqa\"}}\n");
    return this;
  }

  FakeRun provenance(String modelKind) throws IOException {
    write(
        "provenance.json",
        "{\"job\":\"run\",\"finished\":\"2026-01-01T00:00:00Z\",\"git_commit\":\"0123456789abcdef\","
            + "\"inputs\":{\"train_release\":\"/data/release\"},\"notes\":{\"model_kind\":\""
            + modelKind
            + "\",\"test_split\":\"heldout\"},\"config\":{\"run\":{\"name\":\"fake\"},"
            + "\"eval\":{\"task\":\"vqa\",\"bleu\":\"nltk-3.2.2\"}}}\n");
    return this;
  }

  void write(String relative, String text) throws IOException {
    Path p = dir.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  /** A grey gradient with a bright square whose place depends on {@code n}. */
  static BufferedImage radiograph(int w, int h, int n) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = img.createGraphics();
    for (int x = 0; x < w; x++) {
      int v = 30 + 150 * x / w;
      g.setColor(new Color(v, v, v));
      g.drawLine(x, 0, x, h);
    }
    g.setColor(Color.WHITE);
    g.fillOval((n * 37) % (w / 2), (n * 23) % (h / 2), w / 3, h / 3);
    g.dispose();
    return img;
  }
}
