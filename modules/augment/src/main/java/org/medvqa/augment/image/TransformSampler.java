package org.medvqa.augment.image;

import java.nio.charset.StandardCharsets;

/**
 * The parameters of a variant as a pure function of (seed, image id, variant index): no state, no
 * shared random generator, so a rerun, a retried task or another executor draws the same
 * parameters. The generator is SplitMix64 seeded from a 64-bit hash of the three; every variant
 * draws the same ten numbers in the same order whichever transforms are enabled, so that turning
 * one transform off leaves the others' parameters as they were.
 */
public final class TransformSampler {
  private final ImageAugmentSettings s;

  public TransformSampler(ImageAugmentSettings settings) {
    this.s = settings;
  }

  /**
   * The transform of variant {@code variant} of image {@code imageId}.
   *
   * @param flipsAllowed false for an image whose questions mention laterality: no flip is drawn
   */
  public Transform sample(String imageId, int variant, boolean flipsAllowed) {
    Random r = new Random(s.seed(), imageId, variant);
    double uShift = r.nextDouble();
    double dx = (2 * r.nextDouble() - 1) * s.shiftMaxFraction();
    double dy = (2 * r.nextDouble() - 1) * s.shiftMaxFraction();
    double uRotate = r.nextDouble();
    double degrees = (2 * r.nextDouble() - 1) * s.rotateMaxDegrees();
    double uBlur = r.nextDouble();
    double sigma = s.blurMinSigma() + r.nextDouble() * (s.blurMaxSigma() - s.blurMinSigma());
    double uFlipH = r.nextDouble();
    double uFlipV = r.nextDouble();
    double uChoice = r.nextDouble();

    double pFlipH = flipsAllowed ? s.flipHorizontal() : 0;
    double pFlipV = flipsAllowed ? s.flipVertical() : 0;
    boolean shift = uShift < s.shiftProbability() && s.shiftMaxFraction() > 0;
    boolean rotate = uRotate < s.rotateProbability() && s.rotateMaxDegrees() > 0;
    boolean blur = uBlur < s.blurProbability() && sigma > 0;
    boolean flipH = uFlipH < pFlipH;
    boolean flipV = uFlipV < pFlipV;
    if (s.atLeastOne() && !(shift || rotate || blur || flipH || flipV)) {
      // Enabled transforms in a fixed order; the extra draw picks one of them.
      boolean[] enabled = {
        s.shiftProbability() > 0 && s.shiftMaxFraction() > 0,
        s.rotateProbability() > 0 && s.rotateMaxDegrees() > 0,
        s.blurProbability() > 0 && sigma > 0,
        pFlipH > 0,
        pFlipV > 0
      };
      int n = 0;
      for (boolean e : enabled) {
        n += e ? 1 : 0;
      }
      if (n > 0) {
        int pick = Math.min(n - 1, (int) (uChoice * n));
        for (int i = 0; i < enabled.length; i++) {
          if (enabled[i] && pick-- == 0) {
            switch (i) {
              case 0 -> shift = true;
              case 1 -> rotate = true;
              case 2 -> blur = true;
              case 3 -> flipH = true;
              default -> flipV = true;
            }
            break;
          }
        }
      }
    }
    return new Transform(
        variant,
        flipH,
        flipV,
        rotate ? degrees : 0,
        shift ? dx : 0,
        shift ? dy : 0,
        blur ? sigma : 0);
  }

  /** SplitMix64 (Steele, Lea and Flood 2014) from a hash of (seed, id, variant). */
  static final class Random {
    private long state;

    Random(long seed, String id, int variant) {
      state = mix(mix(mix(seed) ^ fnv1a(id)) + variant);
    }

    long nextLong() {
      state += 0x9e3779b97f4a7c15L;
      return mix(state);
    }

    /** Uniform in [0, 1), 53 bits. */
    double nextDouble() {
      return (nextLong() >>> 11) * 0x1.0p-53;
    }

    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }
  }

  /** A stable 64-bit hash of an image id (FNV-1a), e.g. for choosing its output sub-folder. */
  public static long hash(String id) {
    return Random.mix(fnv1a(id));
  }

  /** FNV-1a, 64 bits, over the UTF-8 bytes of {@code s}. */
  private static long fnv1a(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
