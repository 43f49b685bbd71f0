package org.medvqa.synth;

/**
 * A small SplitMix64 generator.
 *
 * <p>We carry our own instead of {@link java.util.Random} or {@link java.util.SplittableRandom}
 * because the output must be a documented pure function of (seed, split, image index) that no JDK
 * update can change: the whole point of the synthetic release is byte-identical files for the same
 * configuration. Gaussian draws use {@link StrictMath}, as does {@link Renderer}, for the same
 * reason: {@link Math} may differ in the last bit between platforms.
 */
final class Rng {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private long state;

  Rng(long seed) {
    this.state = seed;
  }

  /** An independent stream for one item, so that items can be drawn in any order. */
  static Rng forItem(long seed, int stream, long index) {
    long h = mix(seed + GOLDEN);
    h = mix(h ^ (stream * 0xD1B54A32D192ED03L));
    h = mix(h ^ (index * 0xAEF17502108EF2D9L + GOLDEN));
    return new Rng(h);
  }

  /**
   * A fresh generator seeded from this one, for draws whose count may change with the image size.
   */
  Rng fork() {
    return new Rng(nextLong());
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in [0, 1). */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  double uniform(double lo, double hi) {
    return lo + (hi - lo) * nextDouble();
  }

  /** Uniform in [0, n); the modulo bias is below 2^-40 for the small n used here. */
  int nextInt(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("n must be positive: " + n);
    }
    return (int) ((nextLong() >>> 1) % n);
  }

  boolean chance(double p) {
    return nextDouble() < p;
  }

  /** Standard normal by Box-Muller; one value per call keeps the stream easy to reason about. */
  double gaussian() {
    double u1 = 1.0 - nextDouble(); // (0, 1], so the log is finite
    double u2 = nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
  }
}
