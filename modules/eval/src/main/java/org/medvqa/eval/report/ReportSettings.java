package org.medvqa.eval.report;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

/**
 * The {@code medvqa.report} settings (see {@code reference.conf}).
 *
 * @param run the run folder (required by the report job; the writer takes it as an argument)
 * @param gallerySize how many example test items the gallery shows
 * @param seed the seed of the gallery's choice
 * @param thumbnailSize the longest side of a thumbnail, in pixels
 * @param maxImageSide images with a longer side are not decoded
 * @param leaderboardRoot the folder whose run folders the leaderboard ranks; empty for the run's
 *     parent
 * @param chartWidth width of each chart, in pixels
 * @param chartHeight height of each chart, in pixels
 */
public record ReportSettings(
    String run,
    int gallerySize,
    long seed,
    int thumbnailSize,
    int maxImageSide,
    String leaderboardRoot,
    int chartWidth,
    int chartHeight) {

  /** The path under which the settings live. */
  public static final String PATH = "medvqa.report";

  /** Checks the ranges. */
  public ReportSettings {
    check(gallerySize >= 0 && gallerySize <= 1000, "gallery-size", gallerySize, "0 to 1000");
    check(thumbnailSize >= 16 && thumbnailSize <= 2048, "thumbnail-size", thumbnailSize, "16-2048");
    if (maxImageSide < 1) {
      throw new ConfigException.BadValue(
          "medvqa.images.max-side", "is " + maxImageSide + ", expected at least 1");
    }
    check(chartWidth >= 100 && chartWidth <= 4000, "chart-width", chartWidth, "100 to 4000");
    check(chartHeight >= 100 && chartHeight <= 4000, "chart-height", chartHeight, "100 to 4000");
    run = run == null ? "" : run.trim();
    leaderboardRoot = leaderboardRoot == null ? "" : leaderboardRoot.trim();
  }

  /** The defaults of {@code reference.conf}. */
  public static ReportSettings defaults() {
    return from(ConfigFactory.defaultReference());
  }

  /** Reads {@code medvqa.report} from a resolved config, checked against the reference. */
  public static ReportSettings from(Config root) {
    root.checkValid(ConfigFactory.defaultReference(), PATH);
    Config c = root.getConfig(PATH);
    return new ReportSettings(
        c.getString("run"),
        c.getInt("gallery-size"),
        c.getLong("seed"),
        c.getInt("thumbnail-size"),
        root.getInt("medvqa.images.max-side"),
        c.getString("leaderboard-root"),
        c.getInt("chart-width"),
        c.getInt("chart-height"));
  }

  /** A copy with another gallery size (tests and quick looks). */
  public ReportSettings withGallerySize(int n) {
    return new ReportSettings(
        run, n, seed, thumbnailSize, maxImageSide, leaderboardRoot, chartWidth, chartHeight);
  }

  /** A copy with another leaderboard root. */
  public ReportSettings withLeaderboardRoot(String root) {
    return new ReportSettings(
        run, gallerySize, seed, thumbnailSize, maxImageSide, root, chartWidth, chartHeight);
  }

  private static void check(boolean ok, String key, long value, String expected) {
    if (!ok) {
      throw new ConfigException.BadValue(
          PATH + "." + key, "is " + value + ", expected " + expected);
    }
  }
}
