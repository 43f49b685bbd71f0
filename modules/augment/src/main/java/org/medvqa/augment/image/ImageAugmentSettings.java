package org.medvqa.augment.image;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.Serializable;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.config.ConfigProblem;

/**
 * The {@code medvqa.augment.images} settings (see {@code reference.conf}, where each default is
 * explained). Serializable, so that Spark tasks receive them with the function that uses them.
 *
 * @param manifest the input manifest ("" when only the library is used)
 * @param out the output folder ("" when only the library is used)
 * @param splits splits whose images get variants; empty for every split
 * @param keepOriginals whether every accepted input row is copied as variant 0
 * @param variants K, variants per image
 * @param seed with the image id and the variant index, decides every parameter
 * @param atLeastOne apply one enabled transform when none was drawn
 * @param shiftProbability probability of a shift
 * @param shiftMaxFraction largest shift, as a fraction of each side
 * @param rotateProbability probability of a rotation
 * @param rotateMaxDegrees largest rotation either way, in degrees
 * @param blurProbability probability of a Gaussian blur
 * @param blurMinSigma smallest blur sigma, pixels
 * @param blurMaxSigma largest blur sigma, pixels
 * @param flipHorizontal probability of a left-right mirror
 * @param flipVertical probability of an upside-down mirror
 * @param lateralitySkipFlips whether images whose questions mention laterality are never flipped
 * @param lateralityWords the words that mention laterality (lower case)
 * @param lateralityAnswers whether answers are looked at too
 * @param collapseGrey process and write an RGB image with equal channels as grey
 * @param format how variants are written
 * @param jpegQuality JPEG quality, 0-1
 * @param shards sub-folders of {@code images/}
 * @param imagesPerTask source images per Spark task
 * @param maxImageSide a longer side is refused
 * @param maxRejectedFraction the job fails when more rows than this are rejected
 * @param failOnHashMismatch {@code medvqa.images.hash-mismatch = fail}: an image whose bytes no
 *     longer have their recorded SHA-256 fails the stage instead of rejecting its rows
 */
public record ImageAugmentSettings(
    String manifest,
    String out,
    List<String> splits,
    boolean keepOriginals,
    int variants,
    long seed,
    boolean atLeastOne,
    double shiftProbability,
    double shiftMaxFraction,
    double rotateProbability,
    double rotateMaxDegrees,
    double blurProbability,
    double blurMinSigma,
    double blurMaxSigma,
    double flipHorizontal,
    double flipVertical,
    boolean lateralitySkipFlips,
    Set<String> lateralityWords,
    boolean lateralityAnswers,
    boolean collapseGrey,
    ImageFormat format,
    float jpegQuality,
    int shards,
    int imagesPerTask,
    int maxImageSide,
    double maxRejectedFraction,
    boolean failOnHashMismatch)
    implements Serializable {

  /** Where the settings live in the configuration. */
  public static final String PATH = "medvqa.augment.images";

  /** Where the reject limit lives (named in the message of a stage that exceeds it). */
  public static final String MAX_REJECTED = PATH + ".max-rejected-fraction";

  /**
   * What a stage that reads an image again does when its bytes changed since ingest (shared with
   * extract-features; declared in the jobs' {@code reference.conf}).
   */
  public static final String HASH_MISMATCH = "medvqa.images.hash-mismatch";

  /** The longest image side accepted, shared by every stage that reads images. */
  public static final String MAX_SIDE = "medvqa.images.max-side";

  /**
   * The settings of a stage run: {@link #from}, and the input manifest and output folder must be
   * set (they may be "" for the library alone).
   *
   * @throws ConfigProblem naming the key of a missing or wrong value
   */
  public static ImageAugmentSettings forRun(Config root) {
    ImageAugmentSettings s = from(root);
    ConfigCheck.requireString(root, PATH + ".manifest");
    ConfigCheck.requireString(root, PATH + ".out");
    return s;
  }

  /**
   * Reads and checks {@code medvqa.augment.images} of a resolved configuration (missing keys come
   * from the reference defaults).
   *
   * @throws ConfigProblem naming the key of any wrong value
   */
  public static ImageAugmentSettings from(Config root) {
    Config resolved = root.withFallback(ConfigFactory.defaultReference()).resolve();
    resolved.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = resolved.getConfig(PATH);
    ImageFormat format;
    try {
      format = ImageFormat.fromName(c.getString("format"));
    } catch (IllegalArgumentException e) {
      throw new ConfigProblem("config key '" + PATH + ".format' is " + e.getMessage());
    }
    double minSigma = range(resolved, "blur.min-sigma", 0, 100);
    double maxSigma = range(resolved, "blur.max-sigma", 0, 100);
    if (maxSigma < minSigma) {
      throw new ConfigProblem(
          "config key '"
              + PATH
              + ".blur.max-sigma' ("
              + maxSigma
              + ") must be at least "
              + PATH
              + ".blur.min-sigma ("
              + minSigma
              + ")");
    }
    double blurProbability = range(resolved, "blur.probability", 0, 1);
    if (blurProbability > 0 && maxSigma <= 0) {
      throw new ConfigProblem(
          "config key '" + PATH + ".blur.max-sigma' is 0 while blur.probability is above 0");
    }
    Set<String> words = new LinkedHashSet<>();
    for (String w : c.getStringList("laterality.words")) {
      if (!w.isBlank()) {
        words.add(w.trim().toLowerCase(Locale.ROOT));
      }
    }
    return new ImageAugmentSettings(
        c.getString("manifest"),
        c.getString("out"),
        List.copyOf(c.getStringList("splits")),
        c.getBoolean("keep-originals"),
        (int) range(resolved, "variants", 1, 1000),
        c.getLong("seed"),
        c.getBoolean("at-least-one"),
        range(resolved, "shift.probability", 0, 1),
        range(resolved, "shift.max-fraction", 0, 0.5),
        range(resolved, "rotate.probability", 0, 1),
        range(resolved, "rotate.max-degrees", 0, 180),
        blurProbability,
        minSigma,
        maxSigma,
        range(resolved, "flip.horizontal", 0, 1),
        range(resolved, "flip.vertical", 0, 1),
        c.getBoolean("laterality.skip-flips"),
        Set.copyOf(words),
        c.getBoolean("laterality.answers"),
        c.getBoolean("collapse-grey"),
        format,
        (float) range(resolved, "jpeg-quality", 0, 1),
        (int) range(resolved, "shards", 1, 65536),
        (int) range(resolved, "images-per-task", 1, 1e7),
        (int) ConfigCheck.requireRange(resolved, MAX_SIDE, 1, 1e6),
        range(resolved, "max-rejected-fraction", 0, 1),
        failOnHashMismatch(resolved));
  }

  /** "fail" or "reject" (the default, also when only this module's defaults are loaded). */
  private static boolean failOnHashMismatch(Config resolved) {
    return resolved.hasPath(HASH_MISMATCH)
        && ConfigCheck.requireOneOf(resolved, HASH_MISMATCH, List.of("reject", "fail"))
            .equals("fail");
  }

  /** The settings of the reference configuration alone: the documented defaults. */
  public static ImageAugmentSettings defaults() {
    return from(ConfigFactory.empty());
  }

  private static double range(Config resolved, String key, double min, double max) {
    return ConfigCheck.requireRange(resolved, PATH + "." + key, min, max);
  }
}
