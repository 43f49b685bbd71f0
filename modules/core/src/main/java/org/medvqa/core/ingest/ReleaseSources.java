package org.medvqa.core.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.release.ReleaseLayout;
import org.medvqa.core.release.StrictLines;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.TextSource;
import org.medvqa.core.stage.StageFailure;

/**
 * Which files of a release ingest reads: those named in the settings, or those {@link
 * ReleaseLayout} detects from the folder's listing and the files' first lines. Driver-side file
 * access only; no Spark.
 */
final class ReleaseSources {
  private ReleaseSources() {}

  /** The release plan: files named in the settings, or detected from the folder. */
  static ReleaseLayout.Plan plan(HadoopFiles files, Path root, IngestSettings settings)
      throws IOException {
    String release = settings.releaseName();
    if (!settings.files().isEmpty()) {
      List<TextSource> sources = new ArrayList<>();
      for (IngestSettings.NamedFile f : settings.files()) {
        String images =
            f.images() == null ? null : HadoopFiles.uri(resolve(files, root, f.images()));
        sources.add(
            new TextSource(
                HadoopFiles.uri(resolve(files, root, f.path())),
                f.format(),
                f.split(),
                f.task(),
                f.category(),
                images));
      }
      return new ReleaseLayout.Plan(release.isEmpty() ? "custom" : release, sources, List.of());
    }
    List<String> texts = uris(files.listFiles(root, ".txt"));
    List<String> dirs = uris(files.imageDirs(root));
    List<String> jsons = uris(files.listFiles(root, ".json"));
    ReleaseLayout.Plan plan =
        ReleaseLayout.detect(
            texts, dirs, path -> lines(files, path), release.isEmpty() ? null : release);
    return ReleaseLayout.withVqaRad(plan, jsons, dirs, path -> head(files, path), "train");
  }

  /** The plan's sources of the wanted splits (all when {@code splits} is empty). */
  static List<TextSource> wanted(ReleaseLayout.Plan plan, List<String> splits) {
    List<TextSource> sources = new ArrayList<>();
    for (TextSource s : plan.sources()) {
      // A VQA-RAD file holds both splits; its records are chosen by split once parsed.
      if (splits.isEmpty() || splits.contains(s.split()) || s.format() == TextFormat.VQA_RAD) {
        sources.add(s);
      }
    }
    return sources;
  }

  private static List<String> uris(List<Path> paths) {
    List<String> out = new ArrayList<>();
    for (Path p : paths) {
      out.add(HadoopFiles.uri(p));
    }
    return out;
  }

  /** The first 4 KiB of a file as text (for telling JSON layouts apart). */
  private static String head(HadoopFiles files, String path) {
    try (InputStream in = files.open(new Path(path))) {
      return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StageFailure("cannot read " + path + ": " + e.getMessage());
    }
  }

  private static Path resolve(HadoopFiles files, Path root, String p) {
    Path path = new Path(p);
    return path.isAbsolute() || path.toUri().getScheme() != null
        ? files.qualify(p)
        : new Path(root, p);
  }

  /**
   * The non-blank lines of a text file that decode as UTF-8 (a line that does not is reported when
   * the file is parsed), read as the stream is consumed; closing the stream closes the file.
   */
  private static Stream<String> lines(HadoopFiles files, String path) {
    InputStream in;
    try {
      in = files.open(new Path(path));
    } catch (IOException e) {
      throw new StageFailure("cannot read " + path + ": " + e.getMessage());
    }
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(new StrictLines(in), Spliterator.ORDERED), false)
        .map(StrictLines.Line::text)
        .filter(t -> t != null && !t.isBlank())
        .onClose(
            () -> {
              try {
                in.close();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
  }
}
