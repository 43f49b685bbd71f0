package org.medvqa.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.EpochMetrics;

/**
 * The report's HTML: one page, its style inline, no script, images by relative links into {@code
 * report/}. Every text that comes from data (run names, questions, answers, categories, paths,
 * messages) goes through {@link Html#escape}.
 */
final class ReportPage {
  private static final String STYLE =
      """
      body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 24px 32px;
             color: #222; background: #fff; max-width: 1400px; }
      h1 { font-size: 26px; margin: 0 0 8px 0; }
      h2 { font-size: 20px; margin: 28px 0 10px 0; border-bottom: 2px solid #0072b2;
           padding-bottom: 4px; }
      dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 16px;
                margin: 8px 0; font-size: 14px; }
      dl.meta dt { color: #555; } dl.meta dd { margin: 0; }
      table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
      th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
      th { background: #eef3f8; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr.overall td { font-weight: bold; }
      tr.this td { background: #fde9c4; font-weight: bold; }
      .notes { background: #fff4e5; border-left: 4px solid #e69f00; padding: 8px 16px; }
      .notes ul { margin: 4px 0; }
      .missing { color: #8a5a00; font-style: italic; }
      .charts { display: flex; flex-wrap: wrap; gap: 16px; }
      .charts img { border: 1px solid #ddd; }
      .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
                 gap: 14px; }
      figure.card { margin: 0; border: 1px solid #ccc; border-radius: 4px; padding: 8px;
                    background: #fafafa; font-size: 13px; }
      figure.card .frame { height: 200px; display: flex; align-items: center;
                           justify-content: center; background: #111; margin-bottom: 6px; }
      figure.card .noimg { height: 200px; display: flex; align-items: center;
                           justify-content: center; text-align: center; padding: 0 10px;
                           background: #eee; color: #8a5a00; margin-bottom: 6px;
                           overflow-wrap: anywhere; }
      figcaption div { margin: 3px 0; overflow-wrap: anywhere; }
      figcaption .id { color: #666; font-size: 12px; }
      figcaption ol { margin: 2px 0 2px 18px; padding: 0; }
      .label { font-weight: bold; color: #444; }
      .ok { color: #00734f; font-weight: bold; } .bad { color: #b00020; font-weight: bold; }
      footer { margin-top: 32px; font-size: 12px; color: #666; }
      """;

  private final Path run;
  private final String task;
  private final JsonNode runProv;
  private final JsonNode predProv;
  private final RunMetrics metrics;
  private final List<EpochMetrics> epochs;
  private final Leaderboard board;
  private final boolean boardIsSiblings;
  private final List<String> charts;
  private final ReportWriter.Shown gallery;
  private final long seed;
  private final List<String> notes;
  private final StringBuilder b = new StringBuilder(32_768);

  ReportPage(
      Path run,
      String task,
      JsonNode runProv,
      JsonNode predProv,
      RunMetrics metrics,
      List<EpochMetrics> epochs,
      Leaderboard board,
      boolean boardIsSiblings,
      List<String> charts,
      ReportWriter.Shown gallery,
      long seed,
      List<String> notes) {
    this.run = run;
    this.task = task;
    this.runProv = runProv;
    this.predProv = predProv;
    this.metrics = metrics;
    this.epochs = epochs;
    this.board = board;
    this.boardIsSiblings = boardIsSiblings;
    this.charts = charts;
    this.gallery = gallery;
    this.seed = seed;
    this.notes = notes;
  }

  String render() {
    String name = run.getName();
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    b.append("<title>medvqa run report: ").append(Html.escape(name)).append("</title>\n");
    b.append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
    b.append("<h1>Run report: ").append(Html.escape(name)).append("</h1>\n");
    header();
    if (!notes.isEmpty()) {
      b.append(
          "<section class=\"notes\" id=\"notes\">\n<strong>Missing or unreadable</strong>\n<ul>\n");
      for (String n : notes) {
        b.append("<li>").append(Html.escape(n)).append("</li>\n");
      }
      b.append("</ul>\n</section>\n");
    }
    metricsSection();
    trainingSection();
    leaderboardSection();
    gallerySection();
    b.append("<footer>Written by medvqa report at ")
        .append(Html.escape(ReportWriter.now()))
        .append(" from ")
        .append(Html.escape(run.toString()))
        .append(". Charts and thumbnails are in <a href=\"")
        .append(Html.relativeUrl(ReportWriter.ASSETS))
        .append("/\">report/</a>; how this page was made: <a href=\"")
        .append(Html.relativeUrl(ReportWriter.ASSETS, "provenance.json"))
        .append("\">report/provenance.json</a>.</footer>\n");
    b.append("</body>\n</html>\n");
    return b.toString();
  }

  private void header() {
    b.append("<dl class=\"meta\">\n");
    meta("task", task.toUpperCase(Locale.ROOT));
    meta(
        "model",
        firstText(
            at(runProv, "run", "model_kind"),
            at(runProv, "notes", "model_kind"), // a run made before the typed record
            at(predProv, "notes", "model_kind")));
    meta("run name", at(runProv, "config", "run", "name"));
    meta(
        "test split",
        firstText(
            at(runProv, "run", "test_split"),
            at(runProv, "notes", "test_split"),
            at(predProv, "notes", "split")));
    meta("training data", at(runProv, "inputs", "train_release"));
    meta("test data", at(runProv, "inputs", "test_release"));
    String commit = firstText(at(runProv, "git_commit"), at(predProv, "git_commit"));
    meta("commit", commit.length() > 12 ? commit.substring(0, 12) : commit);
    meta("run finished", at(runProv, "finished"));
    meta("folder", run.toString());
    b.append("</dl>\n");
  }

  private void meta(String label, String value) {
    if (value == null || value.isBlank()) {
      return;
    }
    b.append("<dt>").append(Html.escape(label)).append("</dt><dd>");
    b.append(Html.escape(value)).append("</dd>\n");
  }

  private void metricsSection() {
    b.append("<section id=\"metrics\">\n<h2>Metrics</h2>\n");
    if (metrics == null) {
      b.append("<p class=\"missing\">No scores: this run has no readable metrics.json.</p>\n");
      b.append("</section>\n");
      return;
    }
    boolean vqg = metrics.isVqg();
    b.append("<table>\n<tr><th>").append(vqg ? "" : "category").append("</th>");
    if (!vqg) {
      b.append("<th>accuracy</th>");
    }
    b.append("<th>BLEU</th><th>").append(vqg ? "images" : "questions").append("</th></tr>\n");
    b.append("<tr class=\"overall\"><td>overall</td>");
    if (!vqg) {
      b.append(num(Html.score(metrics.accuracy())));
    }
    b.append(num(Html.score(metrics.bleu()))).append(num(Long.toString(metrics.count())));
    b.append("</tr>\n");
    for (Map.Entry<String, RunMetrics.Score> e : metrics.perCategory().entrySet()) {
      b.append("<tr><td>").append(Html.escape(e.getKey())).append("</td>");
      if (!vqg) {
        b.append(num(Html.score(e.getValue().accuracy())));
      }
      b.append(num(Html.score(e.getValue().bleu())));
      b.append(num(Long.toString(e.getValue().count()))).append("</tr>\n");
    }
    b.append("</table>\n");
    if (charts.contains("categories.png")) {
      image("categories.png", "accuracy and BLEU per question category");
    } else if (!vqg) {
      b.append("<p class=\"missing\">metrics.json has no per-category scores.</p>\n");
    } else {
      b.append("<p>VQG is scored per image, without question categories.</p>\n");
    }
    b.append("</section>\n");
  }

  private void trainingSection() {
    b.append("<section id=\"training\">\n<h2>Training</h2>\n");
    if (epochs.isEmpty()) {
      b.append("<p class=\"missing\">No training curves: there is no readable")
          .append(" model/metrics.jsonl.</p>\n</section>\n");
      return;
    }
    b.append("<div class=\"charts\">\n");
    if (charts.contains("loss.png")) {
      image("loss.png", "training and validation loss per epoch");
    }
    if (charts.contains("validation.png")) {
      image("validation.png", "validation score per epoch");
    }
    b.append("</div>\n");
    String metric = epochs.get(epochs.size() - 1).metric();
    int kept = Charts.keptEpoch(epochs);
    b.append("<table>\n<tr><th>epoch</th><th>training loss</th><th>validation loss</th><th>")
        .append(Html.escape("validation " + metric))
        .append("</th><th>seconds</th><th>best so far</th></tr>\n");
    for (EpochMetrics e : epochs) {
      b.append(e.epoch() == kept ? "<tr class=\"this\">" : "<tr>");
      b.append(num(Integer.toString(e.epoch())));
      b.append(num(Html.number(e.trainLoss(), 4)));
      b.append(num(Html.number(e.validationLoss(), 4)));
      b.append(num(Html.number(e.validationScore(), 4)));
      b.append(num(Html.number(e.seconds(), 1)));
      b.append("<td>").append(e.best() ? (e.epoch() == kept ? "yes (kept)" : "yes") : "");
      b.append("</td></tr>\n");
    }
    b.append("</table>\n</section>\n");
  }

  private void leaderboardSection() {
    String metricName = task.equals("vqg") ? "BLEU" : "accuracy";
    b.append("<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n<p>")
        .append(board.entries().size())
        .append(" ")
        .append(Html.escape(task.toUpperCase(Locale.ROOT)))
        .append(" run(s) with a metrics.json in ")
        .append(Html.escape(run.getParent() == null ? "" : rootLabel()))
        .append(", by ")
        .append(metricName)
        .append(".</p>\n");
    boolean ranked = board.entries().stream().anyMatch(e -> e.path().equals(run));
    if (!ranked) {
      b.append("<p class=\"missing\">This run is not ranked: it has no readable metrics.json")
          .append(boardIsSiblings ? "" : " under the leaderboard root")
          .append(".</p>\n");
    }
    if (!board.entries().isEmpty()) {
      b.append("<table>\n<tr><th>rank</th><th>run</th><th>model</th>");
      if (!task.equals("vqg")) {
        b.append("<th>accuracy</th>");
      }
      b.append("<th>BLEU</th><th>items</th></tr>\n");
      int rank = 0;
      for (Leaderboard.Entry e : board.entries()) {
        rank++;
        boolean self = e.path().equals(run);
        b.append(self ? "<tr class=\"this\">" : "<tr>").append(num(Integer.toString(rank)));
        b.append("<td>");
        if (!self && e.hasReport() && boardIsSiblings) {
          b.append("<a href=\"")
              .append(Html.relativeUrl("..", e.name(), ReportWriter.PAGE))
              .append("\">")
              .append(Html.escape(e.name()))
              .append("</a>");
        } else {
          b.append(Html.escape(e.name()));
        }
        b.append(self ? " (this run)" : "").append("</td>");
        b.append("<td>").append(Html.escape(e.modelKind())).append("</td>");
        if (!task.equals("vqg")) {
          b.append(num(Html.score(e.metrics().accuracy())));
        }
        b.append(num(Html.score(e.metrics().bleu())));
        b.append(num(Long.toString(e.metrics().count()))).append("</tr>\n");
      }
      b.append("</table>\n");
    }
    if (board.otherTask() > 0) {
      b.append("<p>")
          .append(board.otherTask())
          .append(" run(s) of the other task are there too; they are not ranked with these.</p>\n");
    }
    if (charts.contains("leaderboard.png")) {
      image("leaderboard.png", "leaderboard bars, this run highlighted");
    }
    b.append("</section>\n");
  }

  private String rootLabel() {
    return boardIsSiblings
        ? "this run's parent folder (" + run.getParent() + ")"
        : board.root().toString();
  }

  private void gallerySection() {
    b.append("<section id=\"gallery\">\n<h2>Examples</h2>\n");
    List<ReportWriter.Example> examples = gallery.examples();
    if (examples.isEmpty()) {
      b.append("<p class=\"missing\">No examples: there are no test items to show.</p>\n")
          .append("</section>\n");
      return;
    }
    boolean vqg = task.equals("vqg");
    b.append("<p>")
        .append(examples.size())
        .append(" of ")
        .append(gallery.pool())
        .append(vqg ? " test images" : " test questions")
        .append(
            gallery.byCategory()
                ? ", chosen in turn from each question category with seed "
                : vqg
                    ? ", a random choice with seed "
                    : ", a random choice (the items have no category) with seed ")
        .append(seed)
        .append(".</p>\n<div class=\"gallery\">\n");
    for (ReportWriter.Example e : examples) {
      b.append("<figure class=\"card\">\n");
      if (e.thumbnail() != null) {
        b.append("<div class=\"frame\"><img src=\"")
            .append(Html.relativeUrl(ReportWriter.ASSETS, e.thumbnail()))
            .append("\" width=\"")
            .append(e.thumbWidth())
            .append("\" height=\"")
            .append(e.thumbHeight())
            .append("\" alt=\"image of ")
            .append(Html.escape(e.id()))
            .append("\"></div>\n");
      } else {
        b.append("<div class=\"noimg\">").append(Html.escape(e.imageNote())).append("</div>\n");
      }
      b.append("<figcaption>\n<div class=\"id\">").append(Html.escape(e.id()));
      if (e.category() != null && !e.category().isBlank()) {
        b.append(" \u00b7 ").append(Html.escape(e.category()));
      }
      b.append("</div>\n");
      if (vqg) {
        list("reference questions", e.references(), "none known");
        list("generated", e.predicted(), "none");
      } else {
        b.append("<div><span class=\"label\">Q:</span> ")
            .append(
                e.question() == null
                    ? "<span class=\"missing\">unknown</span>"
                    : Html.escape(e.question()))
            .append("</div>\n");
        b.append("<div><span class=\"label\">reference:</span> ")
            .append(
                e.references().isEmpty()
                    ? "<span class=\"missing\">unknown</span>"
                    : Html.escape(String.join(" # ", e.references())))
            .append("</div>\n");
        b.append("<div><span class=\"label\">predicted:</span> ")
            .append(
                e.predicted().isEmpty()
                    ? "<span class=\"missing\">none</span>"
                    : Html.escape(e.predicted().get(0)))
            .append("</div>\n");
      }
      if (!e.verdict().isEmpty()) {
        boolean ok = e.verdict().startsWith("correct");
        b.append("<div class=\"")
            .append(vqg ? "label" : ok ? "ok" : "bad")
            .append("\">")
            .append(Html.escape(e.verdict()))
            .append("</div>\n");
      }
      b.append("</figcaption>\n</figure>\n");
    }
    b.append("</div>\n</section>\n");
  }

  private void list(String label, List<String> texts, String none) {
    b.append("<div><span class=\"label\">").append(Html.escape(label)).append(":</span>");
    if (texts.isEmpty()) {
      b.append(" <span class=\"missing\">").append(Html.escape(none)).append("</span></div>\n");
      return;
    }
    b.append("<ol>");
    for (String t : texts) {
      b.append("<li>").append(Html.escape(t)).append("</li>");
    }
    b.append("</ol></div>\n");
  }

  private void image(String file, String alt) {
    b.append("<img src=\"")
        .append(Html.relativeUrl(ReportWriter.ASSETS, file))
        .append("\" alt=\"")
        .append(Html.escape(alt))
        .append("\">\n");
  }

  private static String num(String text) {
    return "<td class=\"num\">" + text + "</td>";
  }

  private static String at(JsonNode node, String... path) {
    if (node == null) {
      return "";
    }
    JsonNode n = node;
    for (String p : path) {
      n = n.path(p);
    }
    return n.isValueNode() ? n.asText("") : "";
  }

  private static String firstText(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return "";
  }
}
