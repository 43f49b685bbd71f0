package org.medvqa.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.image.ImageDecoder;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.eval.BleuMode;
import org.medvqa.eval.BleuTokenizer;
import org.medvqa.eval.GroundTruth;
import org.medvqa.eval.GroundTruthFormat;
import org.medvqa.eval.Submission;
import org.medvqa.eval.Task;
import org.medvqa.eval.VqaEvaluator;
import org.medvqa.eval.VqaItemResult;
import org.medvqa.eval.VqgEvaluator;

/**
 * Writes a run folder's report: {@code <run>/report.html}, one self-contained page (relative links
 * only, no script, nothing from the network), and its PNG charts and thumbnails in {@code
 * <run>/report/}, with the report's {@code provenance.json}.
 *
 * <p>What the run folder lacks is said on the page, not thrown: a run without {@code metrics.json}
 * (test answers unknown), without {@code model/metrics.jsonl} (a baseline trains no network),
 * without a manifest or with missing or unreadable images still gets a report. Only a run folder
 * that does not exist is an error.
 *
 * <p>The page and the folder are first written beside the run under temporary names and then
 * renamed into place, replacing an earlier report, so a reader never sees half a report.
 */
public final class ReportWriter {
  /** The page, in the run folder. */
  public static final String PAGE = "report.html";

  /** The folder of the page's charts and thumbnails, in the run folder. */
  public static final String ASSETS = "report";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What was written.
   *
   * @param page the page
   * @param assets the folder of charts and thumbnails
   * @param task vqa or vqg
   * @param charts how many charts were drawn
   * @param galleryItems how many example items the gallery shows
   * @param thumbnails how many of them have a thumbnail
   * @param leaderboardRuns how many runs the leaderboard ranks
   * @param notes what the run lacked or what could not be read, one sentence each
   */
  public record Report(
      Path page,
      Path assets,
      String task,
      int charts,
      int galleryItems,
      int thumbnails,
      int leaderboardRuns,
      List<String> notes) {
    public Report {
      notes = List.copyOf(notes);
    }
  }

  /**
   * The gallery: the items shown, how many there were to choose from, and whether the choice was
   * balanced over categories (false when the items have none, as VQG images).
   */
  record Shown(List<Example> examples, int pool, boolean byCategory) {}

  /** One gallery cell. */
  record Example(
      String id,
      String category,
      String question,
      List<String> references,
      List<String> predicted,
      String verdict,
      String thumbnail,
      int thumbWidth,
      int thumbHeight,
      String imageNote) {}

  private final HadoopFiles files;
  private final ReportSettings settings;

  public ReportWriter(HadoopFiles files, ReportSettings settings) {
    this.files = files;
    this.settings = settings;
  }

  /**
   * Writes the report of {@code runFolder}.
   *
   * @param provenance the report's provenance (the job's); inputs and counts are added, and it is
   *     written last into the assets folder
   * @throws IOException when the run folder does not exist or the report cannot be written
   */
  public Report write(Path runFolder, Provenance provenance) throws IOException {
    Path run = files.qualify(runFolder.toString());
    FileSystem fs = files.fs(run);
    if (!fs.exists(run) || !fs.getFileStatus(run).isDirectory()) {
      throw new IOException("run folder " + run + " does not exist");
    }
    List<String> notes = new ArrayList<>();
    RunInputs in = read(run, notes);
    Path root = in.leaderboardRoot();
    Leaderboard board = in.board();

    Path page = new Path(run, PAGE);
    Path assets = new Path(run, ASSETS);
    Path tmpAssets = files.temporaryFor(assets);
    Path tmpPage = files.temporaryFor(page);
    try {
      fs.mkdirs(tmpAssets);
      List<String> charts = charts(tmpAssets, run, in);

      Shown shown = gallery(run, in.task(), in.runProv(), in.predProv(), tmpAssets, notes);
      List<Example> examples = shown.examples();
      int thumbs = (int) examples.stream().filter(e -> e.thumbnail() != null).count();

      String html =
          new ReportPage(
                  run,
                  in.task(),
                  in.runProv(),
                  in.predProv(),
                  in.metrics(),
                  in.epochs(),
                  board,
                  root.equals(run.getParent()),
                  charts,
                  shown,
                  settings.seed(),
                  notes)
              .render();
      provenance
          .input("run", run.toString())
          .input("leaderboard_root", root.toString())
          .seed(settings.seed())
          .count("charts", charts.size())
          .count("gallery_items", examples.size())
          .count("thumbnails", thumbs)
          .count("images_not_shown", examples.size() - thumbs)
          .count("leaderboard_runs", board.entries().size())
          .note("task", in.task());
      files.write(tmpPage, html);
      // Provenance last: its presence marks a complete assets folder.
      files.write(new Path(tmpAssets, "provenance.json"), provenance.toJson());

      // Replace an earlier report: the folder first, then the page that links into it.
      fs.delete(assets, true);
      files.commit(tmpAssets, assets);
      fs.delete(page, false);
      files.commit(tmpPage, page);
      return new Report(
          page,
          assets,
          in.task(),
          charts.size(),
          examples.size(),
          thumbs,
          board.entries().size(),
          notes);
    } finally {
      files.deleteQuietly(tmpAssets);
      files.deleteQuietly(tmpPage);
    }
  }

  /**
   * What the page shows besides the gallery, read from the run folder and the leaderboard root.
   *
   * @param runProv the run's provenance.json, or null
   * @param predProv predictions/provenance.json, or null
   * @param metrics metrics.json, or null
   */
  private record RunInputs(
      JsonNode runProv,
      JsonNode predProv,
      RunMetrics metrics,
      String task,
      List<EpochMetrics> epochs,
      Path leaderboardRoot,
      Leaderboard board) {}

  /** Reads what the run folder holds; what it lacks or cannot be read becomes a note. */
  private RunInputs read(Path run, List<String> notes) throws IOException {
    JsonNode runProv = json(new Path(run, "provenance.json"), notes);
    JsonNode predProv = json(new Path(run, "predictions/provenance.json"), notes);

    RunMetrics metrics = metrics(run, notes);
    String task = task(metrics, runProv, predProv, notes);
    List<EpochMetrics> epochs = epochs(run, notes);

    Path root =
        settings.leaderboardRoot().isEmpty()
            ? run.getParent()
            : files.qualify(settings.leaderboardRoot());
    Leaderboard board = Leaderboard.scan(files, root, task);
    notes.addAll(board.problems());
    return new RunInputs(runProv, predProv, metrics, task, epochs, root, board);
  }

  /** Draws the charts into {@code dir}; returns the names of those drawn, in the page's order. */
  private List<String> charts(Path dir, Path run, RunInputs in) throws IOException {
    List<EpochMetrics> epochs = in.epochs();
    List<String> charts = new ArrayList<>();
    chart(dir, "loss.png", charts, out -> Charts.losses(epochs, out, w(), h()));
    chart(dir, "validation.png", charts, out -> Charts.validationScore(epochs, out, w(), h()));
    if (in.metrics() != null) {
      Map<String, RunMetrics.Score> per = in.metrics().perCategory();
      chart(dir, "categories.png", charts, out -> Charts.categories(per, out, w(), h()));
    }
    Leaderboard board = in.board();
    chart(dir, "leaderboard.png", charts, out -> Charts.leaderboard(board, run, out, w(), h()));
    return charts;
  }

  /** metrics.json, or null and a note when it is absent or unreadable. */
  private RunMetrics metrics(Path run, List<String> notes) throws IOException {
    Path file = new Path(run, "metrics.json");
    if (!files.exists(file)) {
      notes.add(
          "No metrics.json: the test answers are unknown (or the run was not evaluated), so the"
              + " run has no scores and is not on the leaderboard.");
      return null;
    }
    try {
      return RunMetrics.parse(text(file), "metrics.json");
    } catch (IllegalArgumentException e) {
      notes.add("metrics.json cannot be read: " + e.getMessage());
      return null;
    }
  }

  /** model/metrics.jsonl, or no epochs and a note. */
  private List<EpochMetrics> epochs(Path run, List<String> notes) throws IOException {
    Path file = new Path(run, "model/metrics.jsonl");
    if (!files.exists(file)) {
      notes.add(
          "No model/metrics.jsonl: no training curves (a baseline trains no network, or training"
              + " did not finish).");
      return List.of();
    }
    List<EpochMetrics> epochs;
    try {
      epochs = EpochMetrics.parseAll(text(file), "model/metrics.jsonl");
    } catch (IllegalArgumentException e) {
      notes.add("model/metrics.jsonl cannot be read: " + e.getMessage());
      return List.of();
    }
    if (epochs.isEmpty()) {
      notes.add("model/metrics.jsonl has no epoch: no training curves.");
    }
    return epochs;
  }

  private int w() {
    return settings.chartWidth();
  }

  private int h() {
    return settings.chartHeight();
  }

  private interface Drawing {
    boolean draw(OutputStream out) throws IOException;
  }

  /** Draws one chart into the assets folder; a chart with nothing to show leaves no file. */
  private void chart(Path dir, String name, List<String> drawn, Drawing d) throws IOException {
    Path p = new Path(dir, name);
    boolean ok;
    try (OutputStream out = files.create(p)) {
      ok = d.draw(out);
    }
    if (ok) {
      drawn.add(name);
    } else {
      files.fs(p).delete(p, false);
    }
  }

  /** vqa or vqg: from metrics.json, else what predict or run recorded, else vqa (and a note). */
  private static String task(
      RunMetrics metrics, JsonNode runProv, JsonNode predProv, List<String> notes) {
    if (metrics != null) {
      return metrics.task();
    }
    for (JsonNode n :
        new JsonNode[] {
          predProv == null ? null : predProv.path("notes").path("task"),
          predProv == null ? null : predProv.path("config").path("eval").path("task"),
          runProv == null ? null : runProv.path("config").path("eval").path("task")
        }) {
      if (n != null && (n.asText("").equals("vqa") || n.asText("").equals("vqg"))) {
        return n.asText();
      }
    }
    notes.add("The run does not say its task (no metrics.json or provenance): taken as VQA.");
    return "vqa";
  }

  // ---- gallery ----

  private Shown gallery(
      Path run, String task, JsonNode runProv, JsonNode predProv, Path dir, List<String> notes)
      throws IOException {
    if (settings.gallerySize() == 0) {
      return new Shown(List.of(), 0, false);
    }
    boolean vqg = task.equals("vqg");
    Path predictions = new Path(run, "predictions");
    Submission submission = submission(run, predictions, vqg ? Task.VQG : Task.VQA, notes);
    GroundTruth gt = groundTruth(predictions, vqg, notes);

    List<GroundTruth.Item> candidates = candidates(gt, submission);
    List<GroundTruth.Item> chosen =
        Gallery.choose(
            candidates, GroundTruth.Item::category, settings.gallerySize(), settings.seed());
    if (chosen.isEmpty()) {
      return new Shown(List.of(), candidates.size(), false);
    }

    ManifestIndex manifest = manifest(predProv, chosen, notes);
    BleuTokenizer tokenizer = new BleuTokenizer(bleuMode(runProv));
    ImageDecoder decoder = new ImageDecoder(settings.maxImageSide());
    List<Example> out = new ArrayList<>();
    int k = 0;
    for (GroundTruth.Item item : chosen) {
      k++;
      List<String> predicted = submission == null ? List.of() : submission.texts(item.id());
      List<String> refs = gt == null ? List.of() : item.references();
      String verdict =
          gt != null && submission != null ? verdict(item, predicted, vqg, tokenizer) : "";
      ManifestIndex.Row row = manifest == null ? null : manifest.lookup(item.id());
      String question = item.question();
      String category = item.category();
      if (row != null) {
        question = question == null && !vqg ? row.question() : question;
        category = category == null && !vqg ? row.category() : category;
      }
      Thumb thumb = thumbnail(manifest, row, item.id(), k, dir, decoder);
      out.add(
          new Example(
              item.id(),
              category,
              question,
              refs,
              predicted,
              verdict,
              thumb.name(),
              thumb.width(),
              thumb.height(),
              thumb.note()));
    }
    return new Shown(
        out,
        candidates.size(),
        candidates.stream().anyMatch(i -> i.category() != null && !i.category().isBlank()));
  }

  /** predictions/submission.txt, else the run's submission.txt, else null and a note. */
  private Submission submission(Path run, Path predictions, Task t, List<String> notes)
      throws IOException {
    Path subFile = new Path(predictions, "submission.txt");
    if (!files.exists(subFile)) {
      subFile = new Path(run, "submission.txt");
    }
    if (!files.exists(subFile)) {
      notes.add("No submission.txt: the gallery shows no predictions.");
      return null;
    }
    try (Reader r = reader(subFile)) {
      return Submission.read(r, subFile.getName(), t);
    }
  }

  /** predictions/ground-truth.txt, or null and a note when it is absent or unreadable. */
  private GroundTruth groundTruth(Path predictions, boolean vqg, List<String> notes)
      throws IOException {
    Path gtFile = new Path(predictions, "ground-truth.txt");
    if (!files.exists(gtFile)) {
      notes.add("No predictions/ground-truth.txt: the gallery shows no reference answers.");
      return null;
    }
    try (Reader r = reader(gtFile)) {
      return GroundTruth.read(
          r, "predictions/ground-truth.txt", vqg ? GroundTruthFormat.VQG : GroundTruthFormat.AUTO);
    } catch (IllegalArgumentException e) {
      notes.add("predictions/ground-truth.txt cannot be read: " + e.getMessage());
      return null;
    }
  }

  /** The candidates: the ground-truth items, or without them the submission's ids. */
  private static List<GroundTruth.Item> candidates(GroundTruth gt, Submission submission) {
    List<GroundTruth.Item> candidates = new ArrayList<>();
    if (gt != null) {
      candidates.addAll(gt.items());
    } else if (submission != null) {
      for (Submission.Entry e : submission.entries()) {
        if (!e.fields().isEmpty() && !e.id().isBlank() && !e.texts().isEmpty()) {
          candidates.add(new GroundTruth.Item(e.id(), null, null, List.of("?"), e.line()));
        }
      }
    }
    return candidates;
  }

  /** How the prediction scores against the references, as the evaluator scores it. */
  private static String verdict(
      GroundTruth.Item item, List<String> predicted, boolean vqg, BleuTokenizer tokenizer) {
    if (vqg) {
      return "best BLEU " + Html.score(VqgEvaluator.scoreImage(item, predicted, tokenizer).bleu());
    }
    VqaItemResult r =
        VqaEvaluator.scoreItem(item, predicted.isEmpty() ? "" : predicted.get(0), tokenizer);
    return (r.matched() ? "correct" : "wrong") + ", BLEU " + Html.score(r.bleu());
  }

  /**
   * A gallery cell's thumbnail: its file in the assets folder and size, or (name null) the note
   * saying why the image is not shown.
   */
  private record Thumb(String name, int width, int height, String note) {
    static Thumb notShown(String note) {
      return new Thumb(null, 0, 0, note);
    }
  }

  /** Writes the thumbnail of the {@code k}th cell into {@code dir} as thumb-NNN.png. */
  private Thumb thumbnail(
      ManifestIndex manifest,
      ManifestIndex.Row row,
      String id,
      int k,
      Path dir,
      ImageDecoder decoder)
      throws IOException {
    if (manifest == null) {
      return Thumb.notShown("image not shown: no manifest");
    } else if (row == null) {
      return Thumb.notShown("image not shown: id " + id + " is not in the manifest");
    } else if (row.imagePath().isBlank()) {
      return Thumb.notShown("image not shown: the manifest names no image for it");
    }
    String name = String.format(Locale.ROOT, "thumb-%03d.png", k);
    BufferedImage img = null;
    String problem;
    try {
      Path src = new Path(row.imagePath());
      if (!files.exists(src)) {
        problem = "image missing: " + row.imagePath();
      } else {
        ImageDecoder.Decoded d = decoder.decode(files.readAll(src));
        problem = d.ok() ? null : "image unreadable (" + d.problem() + "): " + row.imagePath();
        img = d.ok() ? Thumbnails.fit(d.image(), settings.thumbnailSize()) : null;
      }
    } catch (IOException | RuntimeException e) {
      // One bad image (a path Hadoop cannot parse, a read error) costs its cell, not the page.
      problem = "image unreadable (" + e.getMessage() + "): " + row.imagePath();
    }
    if (img == null) {
      return Thumb.notShown(problem);
    }
    try (OutputStream o = files.create(new Path(dir, name))) {
      ImageIO.write(img, "png", o);
    }
    return new Thumb(name, img.getWidth(), img.getHeight(), null);
  }

  /** The manifest predict read (its provenance names the ingest output), or null and a note. */
  private ManifestIndex manifest(
      JsonNode predProv, List<GroundTruth.Item> chosen, List<String> notes) {
    String ingest = predProv == null ? "" : predProv.path("inputs").path("manifest").asText("");
    if (ingest.isBlank()) {
      notes.add(
          "predictions/provenance.json names no manifest: the gallery shows no images"
              + (predProv == null ? " (there is no predictions/provenance.json)." : "."));
      return null;
    }
    Path folder = new Path(files.qualify(ingest), "manifest");
    try {
      if (!files.exists(folder)) {
        notes.add("The manifest " + folder + " does not exist: the gallery shows no images.");
        return null;
      }
      return ManifestIndex.read(files, folder, chosen.stream().map(GroundTruth.Item::id).toList());
    } catch (IOException | RuntimeException e) {
      notes.add(
          "The manifest "
              + folder
              + " cannot be read ("
              + e.getMessage()
              + "): the gallery shows no images.");
      return null;
    }
  }

  /** The BLEU variant the run was evaluated with (its config), else the 2019 evaluator's. */
  private static BleuMode bleuMode(JsonNode runProv) {
    String name =
        runProv == null ? "" : runProv.path("config").path("eval").path("bleu").asText("");
    try {
      return name.isEmpty() ? BleuMode.NLTK_3_2_2 : BleuMode.fromName(name);
    } catch (IllegalArgumentException e) {
      return BleuMode.NLTK_3_2_2;
    }
  }

  // ---- reading ----

  private String text(Path p) throws IOException {
    return new String(files.readAll(p), StandardCharsets.UTF_8);
  }

  private Reader reader(Path p) throws IOException {
    return new InputStreamReader(files.open(p), StandardCharsets.UTF_8);
  }

  /** A small JSON file, or null when it is absent (and a note when it is unreadable). */
  private JsonNode json(Path p, List<String> notes) throws IOException {
    if (!files.exists(p)) {
      return null;
    }
    try {
      return JSON.readTree(files.readAll(p));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      notes.add(
          p.getName()
              + " in "
              + p.getParent().getName()
              + " is not JSON: "
              + e.getOriginalMessage());
      return null;
    }
  }

  /** When the report was made, to the second (for the page's header). */
  static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
