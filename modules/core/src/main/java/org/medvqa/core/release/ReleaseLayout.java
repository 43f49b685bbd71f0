package org.medvqa.core.release;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.medvqa.core.Category;

/**
 * Detects how a VQA-Med release folder is laid out: which text files hold which records in which
 * split, and which image folder each one refers to. Works from a listing (so it is a pure function
 * a test can call) and from the first line of each text file, which tells apart formats that file
 * names alone do not (a 2019 test file with or without answers, VQG references); a file whose first
 * line has no '|' is read on until one has, since a file with none is a listing of image ids.
 *
 * <p>Known layouts: 2019 ({@code All_QA_Pairs_train.txt}, {@code QAPairsByCategory/C1_Modality_
 * train.txt}…, {@code Train_images/}, the test file {@code image|category|question|answer}); 2020
 * ({@code VQAnswering_2020_Train_QA_pairs.txt} + images, VQG {@code image|question} files); 2021
 * (VQA validation/test files, VQG test {@code image|q1|q2|…} and its id listing {@code
 * Task2-VQGeneration2021-TestSet.txt}). A file that fits none of them is listed as ignored with the
 * reason, never read silently as something else.
 */
public final class ReleaseLayout {
  private static final Pattern CATEGORY_FILE =
      Pattern.compile("c[1-4]_(modality|plane|organ|abnormality)", Pattern.CASE_INSENSITIVE);

  /**
   * The 2019 name of a category file whatever its category ("C5_Colour_train.txt"), so that a
   * category other than the four is told apart from a file of uncategorised pairs.
   */
  private static final Pattern CATEGORY_FILE_NAME =
      Pattern.compile("^c[0-9]+_([a-z]+)_", Pattern.CASE_INSENSITIVE);

  /** "…ReferenceAnswers.txt", "ref_answers": but not "VQAnswering_…", where a letter precedes. */
  private static final Pattern ANSWER_FILE =
      Pattern.compile("(^|[^a-z])(reference)?answers?([^a-z]|$)");

  private static final Pattern YEAR = Pattern.compile("(?<![0-9])(2019|2020|2021|2022)(?![0-9])");

  /** A text file that detection did not use, and why. */
  public record Ignored(String path, String reason) {}

  /** What detection found. */
  public record Plan(String release, List<TextSource> sources, List<Ignored> ignored) {}

  private ReleaseLayout() {}

  /**
   * Detects the layout.
   *
   * @param textFiles full URIs of the release's .txt files
   * @param imageDirs full URIs of the folders that hold images
   * @param lines the non-blank lines of a text file, read lazily: detection takes the first, and
   *     more only while they have no '|' ({@link #formatLine}); it closes the stream
   * @param release release name, or null to take the year from the paths ("custom" if none)
   */
  public static Plan detect(
      List<String> textFiles,
      List<String> imageDirs,
      Function<String, Stream<String>> lines,
      String release) {
    List<TextSource> sources = new ArrayList<>();
    List<Ignored> ignored = new ArrayList<>();
    String year = release;
    for (String path : textFiles.stream().sorted().toList()) {
      String name = fileName(path).toLowerCase(Locale.ROOT);
      String lower = path.toLowerCase(Locale.ROOT);
      if (!name.endsWith(".txt")) {
        ignored.add(new Ignored(path, "not a .txt file"));
        continue;
      }
      if (name.contains("readme")) {
        ignored.add(new Ignored(path, "documentation"));
        continue;
      }
      if (year == null) {
        Matcher m = YEAR.matcher(path);
        if (m.find()) {
          year = m.group(1);
        }
      }
      String split = split(path);
      if (split == null) {
        ignored.add(new Ignored(path, "no split (train, val or test) in its name or folders"));
        continue;
      }
      String task = lower.contains("vqg") || lower.contains("generation") ? "vqg" : "vqa";
      String imageDir = imageDirFor(path, split, task, imageDirs);
      Matcher cat = CATEGORY_FILE.matcher(name);
      if (cat.find()) {
        sources.add(
            new TextSource(
                path,
                TextFormat.CATEGORY_QA,
                split,
                task,
                Category.fromName(cat.group(1)),
                imageDir));
        continue;
      }
      if (CATEGORY_FILE_NAME.matcher(name).find()) {
        // Named as a category file, of a category that is not one of the four: read as one
        // without its category, so that every line is rejected naming it (LineParser) rather than
        // read as uncategorised pairs.
        sources.add(new TextSource(path, TextFormat.CATEGORY_QA, split, task, null, imageDir));
        continue;
      }
      if (name.contains("imageid")) {
        ignored.add(new Ignored(path, "image id listing (the QA files name the images)"));
        continue;
      }
      sources.add(fromLines(path, name, split, task, imageDir, lines));
    }
    return new Plan(year == null ? "custom" : year, supersede(sources, ignored), ignored);
  }

  /**
   * The source of a text file whose name does not give its format, which is told from its lines
   * ({@link #formatLine}, {@link #sniff}); {@code name} is its lower-case file name.
   */
  private static TextSource fromLines(
      String path,
      String name,
      String split,
      String task,
      String imageDir,
      Function<String, Stream<String>> lines) {
    String head;
    try (Stream<String> text = lines.apply(path)) {
      head = formatLine(text.iterator());
    }
    if (head == null) {
      // An empty file is kept as a source so that the job reports it as a rejected record.
      return new TextSource(path, TextFormat.QA, split, task, null, imageDir);
    }
    if (!head.contains("|")) {
      // No line has a '|': one image id per line, whatever the name says (the 2021 VQG test's
      // Task2-VQGeneration2021-TestSet.txt). Read as such, for no records, so that it is never
      // taken for answers and a line that is no valid id is still rejected naming it.
      return new TextSource(path, TextFormat.IMAGE_IDS, split, task, null, imageDir);
    }
    TextFormat format = sniff(head, task);
    if (format == TextFormat.QA && ANSWER_FILE.matcher(name).find() && !name.contains("question")) {
      // "image|answer|alternative" looks like a QA line; the file name says what it is.
      format = TextFormat.ANSWERS;
    }
    return new TextSource(path, format, split, task, null, imageDir);
  }

  /**
   * Adds the VQA-RAD JSON files among {@code jsonFiles} to {@code plan}: a file whose head (its
   * first few kilobytes, from {@code head}) has VQA-RAD's keys is a source of format {@link
   * TextFormat#VQA_RAD}, whose records carry their own split; any other JSON file is listed as
   * ignored. The image folder is the one nearest the file, whatever its name says of splits
   * (VQA-RAD keeps the images of both splits in one folder). A release with no year in its paths
   * and a VQA-RAD file is named {@code vqa-rad}.
   *
   * @param split the split the source is listed under (its records say their own)
   */
  public static Plan withVqaRad(
      Plan plan,
      List<String> jsonFiles,
      List<String> imageDirs,
      Function<String, String> head,
      String split) {
    List<TextSource> sources = new ArrayList<>(plan.sources());
    List<Ignored> ignored = new ArrayList<>(plan.ignored());
    boolean found = false;
    for (String path : jsonFiles.stream().sorted().toList()) {
      if (!VqaRadJson.looksLike(head.apply(path))) {
        ignored.add(
            new Ignored(
                path,
                "a JSON file without VQA-RAD's keys " + VqaRadJson.SIGNATURE + " at its head"));
        continue;
      }
      String imageDir =
          imageDirs.stream()
              .max(
                  Comparator.comparingInt((String d) -> commonPrefix(d, path))
                      .thenComparing(d -> d))
              .orElse(null);
      sources.add(new TextSource(path, TextFormat.VQA_RAD, split, "vqa", null, imageDir));
      found = true;
    }
    String release = found && "custom".equals(plan.release()) ? "vqa-rad" : plan.release();
    return new Plan(release, sources, ignored);
  }

  /**
   * The category word of a 2019 category file's name ("Colour" in "C5_Colour_train.txt"), or null.
   */
  public static String categoryInFileName(String fileName) {
    Matcher m = CATEGORY_FILE_NAME.matcher(fileName);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The line a file's format is told from, among its non-blank {@code lines}: the first, or, when
   * that has no '|', the first that has one (a file of pairs whose first line lost its separators
   * is read as pairs, that line rejected for its field count); the first again when none has, which
   * makes the file a listing of image ids. Null for no lines. Reads no further than the line it
   * returns, so a listing is read whole and any other file up to its first '|'.
   */
  static String formatLine(Iterator<String> lines) {
    String first = lines.hasNext() ? lines.next() : null;
    String line = first;
    while (line != null && !line.contains("|") && lines.hasNext()) {
      line = lines.next();
    }
    return line != null && line.contains("|") ? line : first;
  }

  /** The format of a file from a line of it with a '|' ({@link #formatLine}). */
  static TextFormat sniff(String line, String task) {
    String[] f = line.split("\\|", -1);
    boolean secondIsCategory = f.length >= 2 && Category.fromNameOrNull(f[1]) != null;
    if (f.length == 4 && secondIsCategory) {
      return TextFormat.TEST_2019;
    }
    if (f.length == 3 && secondIsCategory) {
      return TextFormat.TEST_2019_QUESTIONS;
    }
    boolean allQuestions = f.length >= 2;
    for (int i = 1; i < f.length; i++) {
      allQuestions &= f[i].trim().endsWith("?");
    }
    if (f.length == 3 && f[1].trim().endsWith("?") && !f[2].trim().endsWith("?")) {
      return TextFormat.QA;
    }
    if (f.length == 2 && allQuestions) {
      return TextFormat.QUESTIONS;
    }
    if (allQuestions && "vqg".equals(task)) {
      return TextFormat.VQG_REFS;
    }
    if (f.length == 3) {
      return TextFormat.QA;
    }
    return TextFormat.ANSWERS;
  }

  /**
   * Within one split and task, a file with answers makes the question-only file of the same
   * questions redundant (2019 ships its test questions both with and without answers).
   */
  private static List<TextSource> supersede(List<TextSource> sources, List<Ignored> ignored) {
    List<TextSource> out = new ArrayList<>();
    for (TextSource s : sources) {
      if (s.format() == TextFormat.TEST_2019_QUESTIONS) {
        TextSource better =
            sources.stream()
                .filter(o -> o.format() == TextFormat.TEST_2019 && o.split().equals(s.split()))
                .findFirst()
                .orElse(null);
        if (better != null) {
          ignored.add(
              new Ignored(
                  s.path(), "same questions as " + better.fileName() + ", which has answers"));
          continue;
        }
      }
      out.add(s);
    }
    return out;
  }

  /** train, val or test from the file name, else from its folders; null if none. */
  static String split(String path) {
    String[] parts = path.toLowerCase(Locale.ROOT).split("/");
    for (int i = parts.length - 1; i >= 0; i--) {
      String p = parts[i];
      if (p.contains("train")) {
        return "train";
      }
      if (p.contains("valid") || p.matches(".*(^|[^a-z])val([^a-z]|$).*")) {
        return "val";
      }
      if (p.contains("test")) {
        return "test";
      }
    }
    return null;
  }

  /**
   * The image folder of a text file: among the folders of the same split (and of the same task
   * where folders say so), the one sharing the longest path prefix with the file.
   */
  static String imageDirFor(String textFile, String split, String task, List<String> imageDirs) {
    return imageDirs.stream()
        .filter(d -> split.equals(split(d)))
        .filter(
            d -> {
              String l = d.toLowerCase(Locale.ROOT);
              boolean vqgDir = l.contains("vqg") || l.contains("generation");
              boolean anyVqgDir =
                  imageDirs.stream()
                      .map(x -> x.toLowerCase(Locale.ROOT))
                      .anyMatch(x -> x.contains("vqg") || x.contains("generation"));
              return !anyVqgDir || vqgDir == "vqg".equals(task);
            })
        .max(Comparator.comparingInt((String d) -> commonPrefix(d, textFile)).thenComparing(d -> d))
        .orElse(null);
  }

  private static int commonPrefix(String a, String b) {
    int n = Math.min(a.length(), b.length());
    int i = 0;
    while (i < n && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    return i;
  }

  private static String fileName(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }
}
