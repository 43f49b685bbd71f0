package org.medvqa.core.ingest;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.medvqa.core.Category;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.VqaRadJson;

/**
 * The {@code medvqa.ingest} settings (defaults and comments in the jobs' {@code reference.conf}),
 * parsed and checked here, in one place.
 *
 * @param release the release folder (local path, hdfs:// or s3a://)
 * @param out the output folder; must not exist
 * @param releaseName the release's name, or "" to take the year from the paths
 * @param splits the splits to read; empty for all found
 * @param files the text files named in the config instead of detected; empty to detect
 * @param imageCheck how each image is checked
 * @param maxImageSide a side longer than this is refused
 * @param maxRejectedFraction above this part of the records rejected, the stage fails
 * @param holdout the held-out split drawn from the images of one split
 * @param vqaRadCategory what a VQA-RAD record's category is taken from
 */
public record IngestSettings(
    String release,
    String out,
    String releaseName,
    List<String> splits,
    List<NamedFile> files,
    ImageCheckMode imageCheck,
    int maxImageSide,
    double maxRejectedFraction,
    Holdout holdout,
    VqaRadJson.CategoryBy vqaRadCategory) {

  /** The path under which the settings live. */
  public static final String PATH = "medvqa.ingest";

  /** The key the reject limit is read from, as messages name it. */
  public static final String MAX_REJECTED = PATH + ".max-rejected-fraction";

  /** How ingest looks at each image of the release. */
  public enum ImageCheckMode {
    /** Open and decode every image (finds corrupt files). */
    DECODE,
    /** Open each image only. */
    EXISTS,
    /** Do not look: a text-only set; the manifest gets no image paths. */
    NONE;

    /** The name in the config ({@code decode}, {@code exists}, {@code none}). */
    public String configName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The held-out split: a part of the images of split {@code from}, chosen by a hash of (seed,
   * image id), moved to split {@code to}.
   *
   * @param fraction the part of the images moved (0 = none)
   */
  public record Holdout(double fraction, String from, String to, long seed) {
    /** Whether a held-out split is drawn at all. */
    public boolean drawn() {
      return fraction > 0;
    }
  }

  /**
   * A text file named in the config ({@code medvqa.ingest.files[i]}).
   *
   * @param path the file, relative to the release or absolute
   * @param format its line format
   * @param split the split its records belong to
   * @param task vqa or vqg
   * @param category the category of every line (category files), or null
   * @param images its image folder, relative to the release or absolute; null for none
   */
  public record NamedFile(
      String path,
      TextFormat format,
      String split,
      String task,
      Category category,
      String images) {}

  /** Reads and checks {@code medvqa.ingest} from a resolved config. */
  public static IngestSettings from(Config root) {
    Config c = root.getConfig(PATH);
    String release = ConfigCheck.requireString(root, PATH + ".release");
    String out = ConfigCheck.requireString(root, PATH + ".out");
    double maxRejected = ConfigCheck.requireRange(root, MAX_REJECTED, 0, 1);
    double fraction = ConfigCheck.requireRange(root, PATH + ".holdout.fraction", 0, 1);
    String imageCheck =
        ConfigCheck.requireOneOf(root, PATH + ".image-check", List.of("decode", "exists", "none"));
    String vqaRadCategory =
        ConfigCheck.requireOneOf(
            root,
            PATH + ".vqa-rad-category",
            Arrays.stream(VqaRadJson.CategoryBy.values())
                .map(VqaRadJson.CategoryBy::configName)
                .toList());
    return new IngestSettings(
        release,
        out,
        c.getString("release-name"),
        List.copyOf(c.getStringList("splits")),
        namedFiles(c.getConfigList("files")),
        ImageCheckMode.valueOf(imageCheck.toUpperCase(java.util.Locale.ROOT)),
        (int) ConfigCheck.requireRange(root, "medvqa.images.max-side", 1, 1e6),
        maxRejected,
        new Holdout(
            fraction,
            c.getString("holdout.from"),
            c.getString("holdout.to"),
            c.getLong("holdout.seed")),
        VqaRadJson.CategoryBy.fromConfigName(vqaRadCategory));
  }

  private static List<NamedFile> namedFiles(List<? extends Config> named) {
    List<NamedFile> files = new ArrayList<>();
    for (int i = 0; i < named.size(); i++) {
      Config f = named.get(i);
      String where = PATH + ".files[" + i + "]";
      for (String k : List.of("path", "format", "split")) {
        if (!f.hasPath(k)) {
          throw new ConfigProblem("missing required config key '" + where + "." + k + "'");
        }
      }
      TextFormat format;
      try {
        format = TextFormat.fromConfigName(f.getString("format"));
      } catch (IllegalArgumentException e) {
        throw new ConfigProblem(where + ".format: " + e.getMessage());
      }
      Category category = f.hasPath("category") ? Category.fromName(f.getString("category")) : null;
      if (format == TextFormat.CATEGORY_QA && category == null) {
        // Without it every line would be rejected as of an unknown category (LineParser).
        throw new ConfigProblem(
            "missing required config key '" + where + ".category' (format category-qa)");
      }
      files.add(
          new NamedFile(
              f.getString("path"),
              format,
              f.getString("split"),
              f.hasPath("task") ? f.getString("task") : "vqa",
              category,
              f.hasPath("images") ? f.getString("images") : null));
    }
    return List.copyOf(files);
  }
}
