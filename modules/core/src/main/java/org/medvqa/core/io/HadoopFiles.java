package org.medvqa.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * File access through Hadoop's FileSystem, so that every stage reads and writes local folders, HDFS
 * and {@code s3a://} the same way. Paths without a scheme are local files.
 */
public final class HadoopFiles {
  /** "Train_images", "VQAMed2019_Test_Images": "image(s)" as a word, not "ImageClef_2019_…". */
  private static final java.util.regex.Pattern IMAGE_DIR =
      java.util.regex.Pattern.compile("(^|[^a-z])images?([^a-z]|$)");

  private final Configuration conf;

  public HadoopFiles(Configuration conf) {
    this.conf = conf;
  }

  /** The Hadoop configuration these helpers use. */
  public Configuration conf() {
    return conf;
  }

  /** A fully qualified path: a bare local path becomes {@code file:/…}. */
  public Path qualify(String path) {
    Path p = new Path(path);
    try {
      return p.getFileSystem(conf).makeQualified(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path + ": " + e.getMessage(), e);
    }
  }

  public FileSystem fs(Path p) throws IOException {
    return p.getFileSystem(conf);
  }

  public boolean exists(Path p) throws IOException {
    return fs(p).exists(p);
  }

  public InputStream open(Path p) throws IOException {
    return fs(p).open(p);
  }

  /** Reads a whole small file (configs, submissions, provenance). */
  public byte[] readAll(Path p) throws IOException {
    try (InputStream in = open(p)) {
      return in.readAllBytes();
    }
  }

  /** Writes a small file whole, replacing it. */
  public void write(Path p, String text) throws IOException {
    try (FSDataOutputStream out = fs(p).create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  public OutputStream create(Path p) throws IOException {
    return fs(p).create(p, true);
  }

  /** Every file below {@code root} (recursively) whose name ends with {@code suffix}. */
  public List<Path> listFiles(Path root, String suffix) throws IOException {
    List<Path> out = new ArrayList<>();
    var it = fs(root).listFiles(root, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (p.getName().toLowerCase(java.util.Locale.ROOT).endsWith(suffix)) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Folders below {@code root} whose name says they hold images ("Train_images", "…_Test_Images").
   * Their contents are not listed here: a folder of a million images would be a million entries on
   * the driver, and the images are opened by the executors anyway.
   */
  public List<Path> imageDirs(Path root) throws IOException {
    List<Path> out = new ArrayList<>();
    walkDirs(root, out);
    return out;
  }

  private void walkDirs(Path dir, List<Path> out) throws IOException {
    for (FileStatus s : fs(dir).listStatus(dir)) {
      if (s.isDirectory()) {
        if (IMAGE_DIR.matcher(s.getPath().getName().toLowerCase(java.util.Locale.ROOT)).find()) {
          out.add(s.getPath());
        } else {
          walkDirs(s.getPath(), out);
        }
      }
    }
  }

  /**
   * A fresh temporary path beside {@code target}, for writing an output that becomes visible only
   * when {@link #commit} renames it into place.
   */
  public Path temporaryFor(Path target) {
    return new Path(target.getParent(), "." + target.getName() + "._tmp-" + UUID.randomUUID());
  }

  /**
   * Removes what earlier runs of {@code target} left beside it: the temporary outputs ({@link
   * #temporaryFor}) of a run that was killed before it could commit or clean up. A run calls it
   * before it starts writing, so that hidden folders do not pile up beside an output that is made
   * again after each failure. One run per output at a time: a run that is still writing loses its
   * temporary output and fails.
   *
   * @return the removed paths, for the run to report
   */
  public List<Path> removeLeftovers(Path target) throws IOException {
    FileSystem fs = fs(target);
    FileStatus[] found = fs.globStatus(new Path(target.getParent(), leftoverPattern(target)));
    List<Path> removed = new ArrayList<>();
    for (FileStatus s : found == null ? new FileStatus[0] : found) {
      fs.delete(s.getPath(), true);
      removed.add(s.getPath());
    }
    return removed;
  }

  /** The names {@link #temporaryFor} gives {@code target}'s temporary outputs, as a glob. */
  private static String leftoverPattern(Path target) {
    // Glob characters in the output's own name are escaped: only the generated part varies.
    return "." + target.getName().replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1") + "._tmp-*";
  }

  /**
   * Renames a finished temporary output to its target. The target must not exist: outputs are never
   * overwritten in part. (On s3a a rename is a copy; it is still all-or-nothing for readers that
   * wait for provenance.json, which is written last.)
   */
  public void commit(Path tmp, Path target) throws IOException {
    FileSystem fs = fs(target);
    if (fs.exists(target)) {
      throw new IOException("output " + target + " already exists; remove it or choose another");
    }
    if (!fs.rename(tmp, target)) {
      throw new IOException("could not rename " + tmp + " to " + target);
    }
  }

  /** Deletes a path recursively if it exists; for cleaning up a failed temporary output. */
  public void deleteQuietly(Path p) {
    try {
      fs(p).delete(p, true);
    } catch (IOException e) {
      // Cleanup of a temporary path; its name says what it is, so a leftover harms nothing.
    }
  }

  /**
   * The path as a URI string, as stored in manifests, without percent-escapes, so that {@code new
   * Path(uri(p))} is {@code p} again: Hadoop's {@code Path(String)} escapes what it is given, and
   * an escaped name ("VQA_RAD%20Image%20Folder", as VQA-RAD names its folder) would be escaped
   * twice and not found. A name without characters to escape gives the same string as {@code
   * URI.toString()}.
   */
  public static String uri(Path p) {
    URI u = p.toUri();
    String s = u.getScheme() == null ? "" : u.getScheme() + ":";
    s += u.getSchemeSpecificPart();
    return u.getFragment() == null ? s : s + "#" + u.getFragment();
  }
}
