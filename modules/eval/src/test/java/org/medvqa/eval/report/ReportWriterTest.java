package org.medvqa.eval.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;

class ReportWriterTest {
  private static final HadoopFiles FILES = new HadoopFiles(new Configuration());

  @TempDir Path tmp;

  private static ReportSettings settings() {
    return ReportSettings.defaults();
  }

  private static ReportWriter.Report write(Path run, ReportSettings s) throws IOException {
    return new ReportWriter(FILES, s)
        .write(
            new org.apache.hadoop.fs.Path(run.toUri()),
            new Provenance("report", ConfigFactory.defaultReference()));
  }

  /** Four sibling runs, one of the other task, one broken, one without metrics. */
  private Path leaderboardFixture() throws IOException {
    Path runs = tmp.resolve("runs");
    FakeRun.vqa(runs.resolve("this-run"), 6)
        .metrics(0.5, 0.55)
        .epochs(6)
        .predictions()
        .manifest()
        .provenance("qaware");
    FakeRun.vqa(runs.resolve("better"), 1).metrics(0.7, 0.72).provenance("classifier");
    FakeRun.vqa(runs.resolve("worse"), 1).metrics(0.2, 0.25);
    FakeRun.vqa(runs.resolve("a-tie"), 1).metrics(0.2, 0.3);
    FakeRun.vqa(runs.resolve("no-metrics"), 1).submissionOnly();
    FakeRun.vqa(runs.resolve("broken"), 1).write("metrics.json", "{\"task\":\"vqa\", oops");
    FakeRun.vqa(runs.resolve("vqg-run"), 1)
        .write("metrics.json", "{\"task\":\"vqg\",\"bleu\":0.99,\"count\":3}\n");
    return runs.resolve("this-run");
  }

  @Test
  void writesThePageTheChartsAndTheThumbnails() throws IOException {
    Path run = leaderboardFixture();
    ReportWriter.Report r = write(run, settings());

    assertTrue(Files.isRegularFile(run.resolve("report.html")));
    for (String chart :
        List.of("loss.png", "validation.png", "categories.png", "leaderboard.png")) {
      BufferedImage img = ImageIO.read(run.resolve("report").resolve(chart).toFile());
      assertNotNull(img, chart + " is not a readable PNG");
      assertEquals(settings().chartWidth(), img.getWidth(), chart);
      assertEquals(settings().chartHeight(), img.getHeight(), chart);
      assertTrue(distinctColours(img) > 20, chart + " has too few colours to be a chart");
      assertTrue(nonWhiteFraction(img) > 0.03, chart + " is almost blank");
    }
    assertEquals(4, r.charts());
    // 24 items, gallery of 12; the fixture leaves out every 7th image and corrupts every 11th.
    assertEquals(12, r.galleryItems());
    List<Path> thumbs;
    try (Stream<Path> s = Files.list(run.resolve("report"))) {
      thumbs = s.filter(p -> p.getFileName().toString().startsWith("thumb-")).toList();
    }
    assertEquals(r.thumbnails(), thumbs.size());
    assertTrue(r.thumbnails() > 0);
    for (Path t : thumbs) {
      BufferedImage img = ImageIO.read(t.toFile());
      assertNotNull(img, t + " is not a PNG");
      assertEquals(
          settings().thumbnailSize(), Math.max(img.getWidth(), img.getHeight()), t.toString());
    }
    JsonNode prov = new ObjectMapper().readTree(run.resolve("report/provenance.json").toFile());
    assertEquals("report", prov.path("job").asText());
    assertEquals(r.thumbnails(), prov.path("counts").path("thumbnails").asInt());
    assertEquals(42, prov.path("seed").asInt());

    String html = html(run);
    for (String src : attributes(html, "src")) {
      assertTrue(src.startsWith("report/"), "not a relative asset link: " + src);
      assertTrue(Files.isRegularFile(run.resolve(src)), "link to a missing file: " + src);
    }
  }

  @Test
  void everyTextFromDataIsEscapedAndThePageIsSelfContained() throws IOException {
    Path run = leaderboardFixture();
    // A gallery holding every item, so the question with markup is among them.
    write(run, settings().withGallerySize(100));
    String html = html(run);
    assertFalse(html.contains("<script"), "a script element in the page");
    assertFalse(html.contains("<b>bold</b>"), "markup from data rendered as markup");
    assertTrue(
        html.contains(
            "is &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;this&#39;"
                + " &lt;b&gt;bold&lt;/b&gt;?"),
        "the question is not shown escaped");
    assertFalse(html.matches("(?s).*(src|href)=\"(https?:|//|/|file:).*"), "an absolute link");
    assertFalse(html.contains("<link"), "an external stylesheet");
    for (String href : attributes(html, "href")) {
      assertFalse(href.contains(":"), "a link with a scheme: " + href);
    }
  }

  @Test
  void leaderboardRanksRunsOfTheSameTaskByTheMainMetric() throws IOException {
    Path run = leaderboardFixture();
    Leaderboard board =
        Leaderboard.scan(FILES, new org.apache.hadoop.fs.Path(run.getParent().toUri()), "vqa");
    assertEquals(
        List.of("better", "this-run", "a-tie", "worse"),
        board.entries().stream().map(Leaderboard.Entry::name).toList());
    assertEquals(1, board.otherTask());
    assertEquals(1, board.problems().size());
    assertTrue(board.problems().get(0).startsWith("left out broken: "), board.problems().get(0));
    assertEquals("classifier", board.entries().get(0).modelKind());

    write(run, settings());
    String html = html(run);
    String table = html.substring(html.indexOf("id=\"leaderboard\""));
    table = table.substring(0, table.indexOf("</table>"));
    List<String> order = new ArrayList<>();
    Matcher m =
        Pattern.compile(
                "<tr( class=\"this\")?><td class=\"num\">(\\d+)</td><td>(?:<a[^>]*>)?([^<( ]+)")
            .matcher(table);
    String highlighted = null;
    while (m.find()) {
      order.add(m.group(3));
      if (m.group(1) != null) {
        highlighted = m.group(3);
      }
    }
    assertEquals(List.of("better", "this-run", "a-tie", "worse"), order);
    assertEquals("this-run", highlighted);
    assertTrue(html.contains("left out broken"), "the unreadable sibling is not named");
  }

  @Test
  void aRunWithoutMetricsOrTrainingCurvesStillGetsAReportThatSaysSo() throws IOException {
    Path run = tmp.resolve("runs/test-release");
    FakeRun.vqa(run, 3).submissionOnly();
    ReportWriter.Report r = write(run, settings());

    String html = html(run);
    assertTrue(html.contains("No metrics.json"), "missing metrics.json not said");
    assertTrue(html.contains("No model/metrics.jsonl"), "missing metrics.jsonl not said");
    assertTrue(html.contains("This run is not ranked"), "leaderboard does not say so");
    assertTrue(html.contains("image not shown: no manifest"), "gallery does not say why");
    assertTrue(html.contains("a random choice (the items have no category)"), "gallery wording");
    assertEquals(0, r.thumbnails());
    assertEquals(12, r.galleryItems());
    // Predictions are still shown, references as unknown.
    assertTrue(html.contains("something else"), "the predictions are not shown");
    assertFalse(Files.exists(run.resolve("report/loss.png")), "a chart drawn from nothing");
    assertTrue(Files.isRegularFile(run.resolve("report/provenance.json")));
  }

  @Test
  void missingAndUnreadableImagesAreNamedInTheirCell() throws IOException {
    Path run = leaderboardFixture();
    ReportWriter.Report r = write(run, settings().withGallerySize(100));
    String html = html(run);
    assertEquals(24, r.galleryItems());
    // Items 7, 14, 21 have no file; 11 and 22 are corrupt.
    assertEquals(19, r.thumbnails());
    assertEquals(3, count(html, "<div class=\"noimg\">image missing: "));
    assertEquals(2, count(html, "<div class=\"noimg\">image unreadable ("));
  }

  @Test
  void aSecondReportReplacesTheFirstAndLeavesNoTemporaryFiles() throws IOException {
    Path run = leaderboardFixture();
    write(run, settings().withGallerySize(100));
    ReportWriter.Report second = write(run, settings().withGallerySize(2));
    try (Stream<Path> s = Files.list(run.resolve("report"))) {
      assertEquals(
          second.thumbnails(),
          s.filter(p -> p.getFileName().toString().startsWith("thumb-")).count());
    }
    try (Stream<Path> s = Files.list(run)) {
      List<String> leftovers =
          s.map(p -> p.getFileName().toString()).filter(n -> n.contains("_tmp-")).toList();
      assertEquals(List.of(), leftovers);
    }
    assertEquals(2, count(html(run), "<figure class=\"card\">"));
  }

  @Test
  void aRunFolderThatDoesNotExistIsAnError() {
    IOException e =
        assertThrows(IOException.class, () -> write(tmp.resolve("nowhere"), settings()));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
  }

  @Test
  void theGalleryIsBalancedOverCategoriesAndSeeded() {
    List<String[]> items = new ArrayList<>();
    Map<String, Integer> sizes = Map.of("a", 100, "b", 5, "c", 5, "d", 1);
    sizes.forEach(
        (c, n) -> {
          for (int i = 0; i < n; i++) {
            items.add(new String[] {c, c + i});
          }
        });
    List<String[]> chosen = Gallery.choose(items, x -> x[0], 8, 7);
    Map<String, Integer> perCategory = new TreeMap<>();
    chosen.forEach(x -> perCategory.merge(x[0], 1, Integer::sum));
    // Round 1: one of each (4); round 2: a, b, c (3); round 3: a (1).
    assertEquals(Map.of("a", 3, "b", 2, "c", 2, "d", 1), perCategory);
    assertEquals(
        ids(chosen), ids(Gallery.choose(items, x -> x[0], 8, 7)), "same seed, other choice");
    assertFalse(
        ids(chosen).equals(ids(Gallery.choose(items, x -> x[0], 8, 8))),
        "another seed chose the same items");
    assertEquals(111, Gallery.choose(items, x -> x[0], 500, 1).size());
  }

  @Test
  void settingsAreCheckedAndNameTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ReportSettings.from(
                    ConfigFactory.defaultReference()
                        .withValue(
                            "medvqa.report.thumbnail-size", ConfigValueFactory.fromAnyRef(4))));
    assertTrue(e.getMessage().contains("medvqa.report.thumbnail-size"), e.getMessage());
    assertEquals(12, settings().gallerySize());
  }

  @Test
  void htmlEscapesMarkupQuotesAndControlCharacters() {
    assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", Html.escape("a <b> & \"c\" 'd'"));
    assertEquals("x\uFFFDy", Html.escape("x\u0000y"));
    assertEquals("../a%20b%23c/report.html", Html.relativeUrl("..", "a b#c", "report.html"));
  }

  // ---- helpers ----

  private static String html(Path run) throws IOException {
    return Files.readString(run.resolve("report.html"), StandardCharsets.UTF_8);
  }

  private static List<String> attributes(String html, String name) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\\b" + name + "=\"([^\"]*)\"").matcher(html);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  private static List<String> ids(List<String[]> items) {
    return items.stream().map(x -> x[1]).toList();
  }

  static int distinctColours(BufferedImage img) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        colours.add(img.getRGB(x, y) & 0xFFFFFF);
      }
    }
    return colours.size();
  }

  static double nonWhiteFraction(BufferedImage img) {
    long n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
          n++;
        }
      }
    }
    return n / (double) (img.getWidth() * img.getHeight());
  }
}
