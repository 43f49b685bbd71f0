package org.medvqa.core;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import org.apache.spark.sql.Column;

/**
 * The one seeded rule that splits data by image, so that all questions of an image fall on the same
 * side: an image is drawn when a hash of (seed, [purpose,] image id), read as a number in [0, 1),
 * falls below the fraction. Ingest's held-out split draws without a purpose; training's validation
 * part draws with one, because two draws with the same seed and no purpose pick the same images:
 * with both seeds at their default (42) the validation part would be exactly the held-out images,
 * which ingest has already taken out of the training split.
 */
public final class ImageSplit {
  /** The hash's low 24 bits, read as a number in [0, 1). */
  private static final long BITS = 0xFFFFFFL;

  private ImageSplit() {}

  /** True for the images of column {@code imageId} drawn at {@code fraction} with {@code seed}. */
  public static Column drawn(long seed, String imageId, double fraction) {
    return uniform(xxhash64(lit(seed), col(imageId))).lt(fraction);
  }

  /** The same rule for another {@code purpose}: a draw independent of the one without it. */
  public static Column drawn(long seed, String purpose, String imageId, double fraction) {
    return uniform(xxhash64(lit(seed), lit(purpose), col(imageId))).lt(fraction);
  }

  private static Column uniform(Column hash) {
    return hash.bitwiseAND(lit(BITS)).divide(lit((double) (BITS + 1)));
  }
}
