package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;

/**
 * The report job on a run folder generated here, and its page as a browser renders it: headless
 * Chromium takes a screenshot, which must be a PNG of the window's size showing the charts (their
 * series colours over thousands of pixels) and not a blank page. Skipped where Chromium is not
 * installed ({@code make report-deps} installs Debian's).
 */
class ReportJobTest {
  private static final int WIDTH = 1280;
  private static final int HEIGHT = 2000;

  /** The charts' series colours (Okabe-Ito blue and orange; see the report's Charts). */
  private static final Color BLUE = new Color(0x00, 0x72, 0xB2);

  private static final Color ORANGE = new Color(0xE6, 0x9F, 0x00);

  private static final List<String> CATEGORIES =
      List.of("modality", "plane", "organ", "abnormality");

  @TempDir Path tmp;

  @Test
  void writesAReportThatChromiumRendersWithItsCharts() throws Exception {
    Path chromium = chromium();
    Requirements.require(
        chromium != null,
        "Chromium is not installed (no 'chromium' on PATH and no -Dmedvqa.chromium): "
            + "'make report-deps' or 'apt-get install -y chromium' installs it");
    Path run = fakeRuns(tmp.resolve("runs"));

    Result r = report(run.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("wrote "), r.toString());
    assertTrue(Files.isRegularFile(run.resolve("report.html")), r.toString());

    Path shot = tmp.resolve("screenshot.png");
    BufferedImage img = screenshot(chromium, run.resolve("report.html"), shot);
    assertEquals(WIDTH, img.getWidth());
    assertEquals(HEIGHT, img.getHeight());
    Set<Integer> colours = new HashSet<>();
    long nonWhite = 0;
    long blue = 0;
    long orange = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      long blueInRow = 0;
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        nonWhite += rgb != 0xFFFFFF ? 1 : 0;
        blueInRow += near(rgb, BLUE) ? 1 : 0;
        orange += near(rgb, ORANGE) ? 1 : 0;
      }
      // The page's section rules are blue too, but span the whole width: only chart rows count.
      blue += blueInRow < WIDTH / 2 ? blueInRow : 0;
    }
    String stats =
        String.format(
            Locale.ROOT,
            "%d colours, %.1f%% non-white, %d blue and %d orange pixels (screenshot %s)",
            colours.size(),
            100.0 * nonWhite / (WIDTH * HEIGHT),
            blue,
            orange,
            shot);
    assertTrue(colours.size() > 200, "too few colours for a page with charts: " + stats);
    assertTrue(nonWhite > 0.05 * WIDTH * HEIGHT, "the page is almost blank: " + stats);
    System.out.println("report screenshot: " + stats);
    // -Dmedvqa.report.screenshot=FILE keeps a copy to look at (the temporary folder is deleted).
    String keep = System.getProperty("medvqa.report.screenshot", "");
    if (!keep.isBlank()) {
      Files.copy(shot, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    // Bars, lines and legends of the charts. Without the charts the page has no orange at all and
    // no blue outside its full-width section rules (measured on a report with its charts deleted).
    assertTrue(blue > 2000, "the charts' blue series is not on the page: " + stats);
    assertTrue(orange > 2000, "the charts' orange series is not on the page: " + stats);
  }

  @Test
  void theRunFolderIsRequiredAndMustExist() throws Exception {
    assertThrows(ConfigProblem.class, () -> report(""));
    Result r = report(tmp.resolve("no-such-run").toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("does not exist (medvqa.report.run)"), r.toString());
  }

  @Test
  void aRunWithoutScoresIsReportedWithNotes() throws Exception {
    Path run = tmp.resolve("runs/unscored");
    Files.createDirectories(run.resolve("predictions"));
    Files.writeString(run.resolve("predictions/submission.txt"), "q1|axial\nq2|ct\n");
    Result r = report(run.toString());
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("note: No metrics.json"), r.toString());
    String html = Files.readString(run.resolve("report.html"));
    assertTrue(html.contains("No scores"), html);
  }

  // ---- running the job ----

  record Result(int code, String out, String err) {}

  /**
   * Runs the job as Main runs a registered one (config from the references plus --set, exit 1 on a
   * StageFailure), so that this test does not depend on the job's registration.
   */
  private static Result report(String run) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    int code;
    try (StageContext ctx =
        new StageContext(
            "report", Main.load(null, new String[] {"medvqa.report.run=" + run}), o, e)) {
      new ReportJob().run(ctx);
      code = Main.OK;
    } catch (StageFailure f) {
      e.println("medvqa report: failed: " + f.getMessage());
      code = Main.FAILED;
    }
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  // ---- Chromium ----

  /** {@code -Dmedvqa.chromium=PATH}, else {@code chromium} on the PATH, else null. */
  static Path chromium() {
    String explicit = System.getProperty("medvqa.chromium", "");
    if (!explicit.isBlank()) {
      Path p = Path.of(explicit);
      return Files.isExecutable(p) ? p : null;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  private BufferedImage screenshot(Path chromium, Path page, Path png) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(chromium.toString());
    cmd.add("--headless");
    cmd.add("--no-sandbox"); // tests run as root in CI containers, where the sandbox refuses
    cmd.add("--disable-gpu");
    cmd.add("--hide-scrollbars");
    cmd.add("--no-first-run");
    cmd.add("--user-data-dir=" + tmp.resolve("chromium-profile"));
    cmd.add("--screenshot=" + png);
    cmd.add("--window-size=" + WIDTH + "," + HEIGHT);
    cmd.add(page.toUri().toString());
    Path log = tmp.resolve("chromium.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("Chromium took more than 180 s: " + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), "Chromium failed: " + Files.readString(log));
    assertTrue(Files.isRegularFile(png), "no screenshot: " + Files.readString(log));
    BufferedImage img = ImageIO.read(png.toFile());
    assertNotNull(img, "the screenshot is not a PNG");
    return img;
  }

  private static boolean near(int rgb, Color c) {
    int r = (rgb >> 16) & 0xFF;
    int g = (rgb >> 8) & 0xFF;
    int b = rgb & 0xFF;
    return Math.abs(r - c.getRed()) <= 12
        && Math.abs(g - c.getGreen()) <= 12
        && Math.abs(b - c.getBlue()) <= 12;
  }

  // ---- a run folder, generated ----

  private static final MessageType MANIFEST =
      MessageTypeParser.parseMessageType(
          "message spark_schema { optional binary sample_id (STRING); optional binary image_id"
              + " (STRING); optional binary image_path (STRING); optional binary question (STRING);"
              + " optional binary category (STRING); }");

  /**
   * {@code runs/this-run} (VQA, 16 test items in four categories, 8 epochs, a manifest whose images
   * are generated PNGs, one missing and one corrupt) and two scored siblings.
   */
  static Path fakeRuns(Path runs) throws IOException {
    Path run = runs.resolve("this-run");
    Path images = run.resolve("ingest-train/images");
    Files.createDirectories(images);
    Files.createDirectories(run.resolve("model"));
    Files.createDirectories(run.resolve("predictions"));
    StringBuilder gt = new StringBuilder();
    StringBuilder sub = new StringBuilder();
    SimpleGroupFactory groups = new SimpleGroupFactory(MANIFEST);
    org.apache.hadoop.fs.Path part =
        new org.apache.hadoop.fs.Path(
            run.resolve("ingest-train/manifest/part-00000.parquet").toUri());
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(part)
            .withType(MANIFEST)
            .withConf(new Configuration())
            .build()) {
      for (int n = 1; n <= 16; n++) {
        String category = CATEGORIES.get((n - 1) % 4);
        String id = String.format(Locale.ROOT, "2019-train-%06d", n);
        String question = "what " + category + " does image " + n + " show?";
        String answer = category + " " + (n % 3);
        Path image = images.resolve("synpic" + n + ".png");
        if (n == 5) {
          Files.write(image, new byte[] {1, 2, 3});
        } else if (n != 6) {
          ImageIO.write(radiograph(400 + 10 * n, 320, n), "png", image.toFile());
        }
        Group g = groups.newGroup();
        g.add("sample_id", id);
        g.add("image_id", "synpic" + n);
        g.add("image_path", image.toUri().toString());
        g.add("question", question);
        g.add("category", category);
        w.write(g);
        gt.append(id).append('|').append(category).append('|').append(question).append('|');
        gt.append(answer).append('\n');
        sub.append(id).append('|').append(n % 2 == 0 ? answer : "other").append('\n');
      }
    }
    Files.writeString(run.resolve("predictions/ground-truth.txt"), gt);
    Files.writeString(run.resolve("predictions/submission.txt"), sub);
    Files.writeString(
        run.resolve("predictions/provenance.json"),
        "{\"inputs\":{\"manifest\":\"" + run.resolve("ingest-train").toUri() + "\"}}");
    StringBuilder epochs = new StringBuilder();
    for (int e = 1; e <= 8; e++) {
      epochs.append(
          String.format(
              Locale.ROOT,
              "{\"epoch\":%d,\"train_loss\":%.3f,\"validation_loss\":%.3f,"
                  + "\"validation_accuracy\":%.3f,\"metric\":\"accuracy\",\"seconds\":12.5,"
                  + "\"best\":%s}%n",
              e,
              4.0 / e + 1,
              4.5 / e + 1.2,
              e < 8 ? 0.6 - 0.4 / e : 0.5, // the last epoch is worse: epoch 7 is kept
              e < 8));
    }
    Files.writeString(run.resolve("model/metrics.jsonl"), epochs);
    Files.writeString(run.resolve("metrics.json"), metrics(0.5));
    for (String[] sibling : new String[][] {{"majority", "0.26"}, {"qaware", "0.56"}}) {
      Path s = runs.resolve(sibling[0]);
      Files.createDirectories(s);
      Files.writeString(s.resolve("metrics.json"), metrics(Double.parseDouble(sibling[1])));
    }
    return run;
  }

  private static String metrics(double accuracy) {
    StringBuilder per = new StringBuilder();
    for (int i = 0; i < CATEGORIES.size(); i++) {
      per.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "\"%s\":{\"accuracy\":%.4f,\"bleu\":%.4f,\"count\":4}",
                  CATEGORIES.get(i),
                  accuracy * (i + 1) / 4,
                  Math.min(1, accuracy * (i + 1) / 4 + 0.05)));
    }
    return String.format(
        Locale.ROOT,
        "{\"task\":\"vqa\",\"accuracy\":%.4f,\"bleu\":%.4f,\"count\":16,\"per_category\":{%s}}%n",
        accuracy,
        accuracy + 0.03,
        per);
  }

  /** A grey gradient with a bright disc: something a thumbnail visibly shows. */
  private static BufferedImage radiograph(int w, int h, int n) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = img.createGraphics();
    for (int x = 0; x < w; x++) {
      int v = 20 + 140 * x / w;
      g.setColor(new Color(v, v, v));
      g.drawLine(x, 0, x, h);
    }
    g.setColor(Color.WHITE);
    g.fillOval((n * 41) % (w / 2), (n * 29) % (h / 2), w / 3, h / 3);
    g.dispose();
    return img;
  }
}
