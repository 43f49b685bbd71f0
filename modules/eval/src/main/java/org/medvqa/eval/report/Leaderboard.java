package org.medvqa.eval.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;

/**
 * The runs of one task below a root folder, best first by the task's main metric (accuracy for VQA,
 * BLEU for VQG; ties by name). A run is a folder right below the root with a {@code metrics.json};
 * one whose file cannot be read is left out and named in {@link #problems()}.
 *
 * @param task the task ranked
 * @param root the folder scanned
 * @param entries the ranked runs
 * @param otherTask how many runs of the other task were found (not ranked against this one)
 * @param problems one line per run left out, naming it and the reason
 */
public record Leaderboard(
    String task, Path root, List<Entry> entries, int otherTask, List<String> problems) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One ranked run.
   *
   * @param name the run folder's name
   * @param path its qualified path
   * @param metrics its metrics.json
   * @param modelKind the model kind its provenance names, or "" when unknown
   * @param hasReport whether it has a report.html (the page links to it)
   */
  public record Entry(
      String name, Path path, RunMetrics metrics, String modelKind, boolean hasReport) {}

  public Leaderboard {
    entries = List.copyOf(entries);
    problems = List.copyOf(problems);
  }

  /** The ordering: main metric descending (a NaN last), then name. */
  static final Comparator<Entry> ORDER =
      Comparator.comparing((Entry e) -> Double.isNaN(e.metrics().main()))
          .thenComparing(Comparator.comparingDouble((Entry e) -> e.metrics().main()).reversed())
          .thenComparing(Entry::name);

  /** Scans the folders right below {@code root} for runs of {@code task}. */
  public static Leaderboard scan(HadoopFiles files, Path root, String task) throws IOException {
    List<Entry> entries = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    int other = 0;
    if (!files.exists(root)) {
      problems.add("leaderboard root " + root + " does not exist");
      return new Leaderboard(task, root, entries, 0, problems);
    }
    FileStatus[] children = files.fs(root).listStatus(root);
    Arrays.sort(children, Comparator.comparing(s -> s.getPath().getName()));
    for (FileStatus s : children) {
      String name = s.getPath().getName();
      // Hidden and temporary folders (".x._tmp-…", "_rejected") are not runs.
      if (!s.isDirectory() || name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      Path metricsFile = new Path(s.getPath(), "metrics.json");
      if (!files.exists(metricsFile)) {
        continue;
      }
      RunMetrics m;
      try {
        m =
            RunMetrics.parse(
                new String(files.readAll(metricsFile), StandardCharsets.UTF_8),
                name + "/metrics.json");
      } catch (IllegalArgumentException | IOException e) {
        problems.add("left out " + name + ": " + e.getMessage());
        continue;
      }
      if (!m.task().equals(task)) {
        other++;
        continue;
      }
      entries.add(
          new Entry(
              name,
              s.getPath(),
              m,
              modelKind(files, s.getPath()),
              files.exists(new Path(s.getPath(), "report.html"))));
    }
    entries.sort(ORDER);
    return new Leaderboard(task, root, entries, other, problems);
  }

  /**
   * The model kind a run's provenance records (its typed {@code run} record, or the notes of a run
   * made before it), or "" when it has none or cannot be read.
   */
  static String modelKind(HadoopFiles files, Path run) {
    Path p = new Path(run, "provenance.json");
    try {
      if (!files.exists(p)) {
        return "";
      }
      JsonNode root = JSON.readTree(files.readAll(p));
      String kind = root.path("run").path("model_kind").asText("");
      return kind.isEmpty() ? root.path("notes").path("model_kind").asText("") : kind;
    } catch (IOException e) {
      // Only a label in a table: a run with a broken provenance is still ranked by its metrics.
      return "";
    }
  }
}
