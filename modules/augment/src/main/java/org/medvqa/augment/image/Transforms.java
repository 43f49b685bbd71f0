package org.medvqa.augment.image;

/**
 * The four transforms of the paper as plain functions on {@link ByteImage}: flip, rotation, shift
 * and Gaussian blur. Flip, rotation and shift are one affine map, applied in a single pass: each
 * output pixel looks up its source position, bilinear between the four nearest pixels, and a
 * position outside the image takes the nearest edge pixel ("edge fill", no black borders or
 * corners). Without a rotation the map is a whole-pixel copy, exact and fast. The blur is a
 * separable Gaussian whose kernel reaches 3 sigma, with the same edge rule.
 *
 * <p>The results are bit-for-bit reproducible on any JVM: integer arithmetic where it can be,
 * Java's strict floating point elsewhere, and {@link StrictMath} for the trigonometry and the
 * exponential.
 */
public final class Transforms {
  private Transforms() {}

  /**
   * The composition described by {@code t}: flip, rotation, shift, then blur. May return {@code p}
   * itself when {@code t} is the identity.
   */
  public static ByteImage apply(ByteImage p, Transform t) {
    ByteImage g = p;
    if (t.flipHorizontal()
        || t.flipVertical()
        || t.rotation() != 0
        || t.shiftX() != 0
        || t.shiftY() != 0) {
      g =
          geometry(
              p,
              t.flipHorizontal(),
              t.flipVertical(),
              t.rotation(),
              t.shiftXPixels(p.width()),
              t.shiftYPixels(p.height()));
    }
    return t.blurSigma() > 0 ? gaussianBlur(g, t.blurSigma()) : g;
  }

  /** Mirrors left and right. */
  public static ByteImage flipHorizontal(ByteImage p) {
    return geometry(p, true, false, 0, 0, 0);
  }

  /** Mirrors top and bottom. */
  public static ByteImage flipVertical(ByteImage p) {
    return geometry(p, false, true, 0, 0, 0);
  }

  /** Moves the content {@code dx} pixels right and {@code dy} down; the edges fill the gap. */
  public static ByteImage shift(ByteImage p, int dx, int dy) {
    return geometry(p, false, false, 0, dx, dy);
  }

  /** Rotates about the centre, counter-clockwise as seen on screen for positive degrees. */
  public static ByteImage rotate(ByteImage p, double degrees) {
    return geometry(p, false, false, degrees, 0, 0);
  }

  /**
   * Flip(s), then rotation about the centre, then shift by whole pixels, as one pass; the output
   * has the input's size.
   */
  public static ByteImage geometry(
      ByteImage p, boolean flipH, boolean flipV, double degrees, int dx, int dy) {
    int w = p.width();
    int h = p.height();
    double cx = (w - 1) / 2.0;
    double cy = (h - 1) / 2.0;
    double rad = Math.toRadians(degrees);
    double cos = degrees == 0 ? 1 : StrictMath.cos(rad);
    double sin = degrees == 0 ? 0 : StrictMath.sin(rad);
    // Inverse map, output (xo, yo) -> source (xs, ys): undo the shift, the rotation, the flips.
    double a = cos;
    double b = -sin;
    double c = cx - (dx + cx) * cos + (dy + cy) * sin;
    double d = sin;
    double e = cos;
    double f = cy - (dx + cx) * sin - (dy + cy) * cos;
    if (flipH) {
      a = -a;
      b = -b;
      c = (w - 1) - c;
    }
    if (flipV) {
      d = -d;
      e = -e;
      f = (h - 1) - f;
    }
    if (degrees == 0) {
      return wholePixels(p, flipH, flipV, dx, dy);
    }
    return bilinear(p, a, b, c, d, e, f);
  }

  /** Flips and a whole-pixel shift: a copy with edge fill, no interpolation. */
  private static ByteImage wholePixels(ByteImage p, boolean flipH, boolean flipV, int dx, int dy) {
    int w = p.width();
    int h = p.height();
    int ch = p.channels();
    int row = w * ch;
    byte[] src = p.data();
    byte[] out = new byte[src.length];
    int[] xs = new int[w];
    for (int xo = 0; xo < w; xo++) {
      int x = flipH ? (w - 1) - (xo - dx) : xo - dx;
      xs[xo] = Math.max(0, Math.min(w - 1, x));
    }
    // Without a horizontal flip, the inside of each row is one contiguous block.
    int from = Math.max(0, Math.min(w, dx));
    int to = Math.max(from, Math.min(w, w + dx));
    for (int yo = 0; yo < h; yo++) {
      int y = flipV ? (h - 1) - (yo - dy) : yo - dy;
      int srcRow = Math.max(0, Math.min(h - 1, y)) * row;
      int o = yo * row;
      if (!flipH) {
        for (int xo = 0; xo < from; xo++) {
          System.arraycopy(src, srcRow, out, o + xo * ch, ch);
        }
        if (to > from) {
          System.arraycopy(src, srcRow + (from - dx) * ch, out, o + from * ch, (to - from) * ch);
        }
        for (int xo = to; xo < w; xo++) {
          System.arraycopy(src, srcRow + (w - 1) * ch, out, o + xo * ch, ch);
        }
      } else if (ch == 1) {
        for (int xo = 0; xo < w; xo++) {
          out[o + xo] = src[srcRow + xs[xo]];
        }
      } else {
        for (int xo = 0; xo < w; xo++) {
          int s = srcRow + xs[xo] * ch;
          for (int k = 0; k < ch; k++) {
            out[o + xo * ch + k] = src[s + k];
          }
        }
      }
    }
    return new ByteImage(w, h, ch, out);
  }

  /** One pixel in the 32.32 fixed-point positions of {@link #bilinear}. */
  private static final long ONE = 1L << 32;

  /**
   * Bilinear resampling through the inverse affine map xs = a xo + b yo + c, ys = d xo + e yo + f,
   * positions clamped to the image (edge fill). Positions step along each row in 32.32 fixed point
   * (the drift over a row of 20,000 pixels stays below 1e-5 pixel); weights are in 1/256 pixel, so
   * that a position within 1/512 of a pixel centre copies that pixel exactly. The part of a row
   * whose sources lie inside the image runs without the clamps; both paths give the same values.
   */
  private static ByteImage bilinear(
      ByteImage p, double a, double b, double c, double d, double e, double f) {
    int w = p.width();
    int h = p.height();
    int ch = p.channels();
    byte[] src = p.data();
    byte[] out = new byte[src.length];
    long maxX = (w - 1) * ONE;
    long maxY = (h - 1) * ONE;
    long stepX = Math.round(a * ONE);
    long stepY = Math.round(d * ONE);
    int row = w * ch;
    for (int yo = 0; yo < h; yo++) {
      long x0 = Math.round((b * yo + c) * ONE);
      long y0 = Math.round((e * yo + f) * ONE);
      // [lo, hi): output pixels whose source and its right and lower neighbours are inside.
      int lo = 0;
      int hi = w;
      double[] ix = inside(x0, stepX, maxX);
      double[] iy = inside(y0, stepY, maxY);
      lo = (int) Math.max(lo, Math.ceil(Math.max(ix[0], iy[0])));
      hi = (int) Math.min(hi, Math.floor(Math.min(ix[1], iy[1])) + 1);
      if (lo >= hi) {
        lo = 0;
        hi = 0;
      } else {
        while (lo < hi && !inside(x0, y0, stepX, stepY, lo, maxX, maxY)) {
          lo++;
        }
        while (hi > lo && !inside(x0, y0, stepX, stepY, hi - 1, maxX, maxY)) {
          hi--;
        }
        while (lo > 0 && inside(x0, y0, stepX, stepY, lo - 1, maxX, maxY)) {
          lo--;
        }
        while (hi > lo && hi < w && inside(x0, y0, stepX, stepY, hi, maxX, maxY)) {
          hi++;
        }
      }
      int o = yo * row;
      clamped(src, w, h, ch, x0, y0, stepX, stepY, 0, lo == hi ? w : lo, out, o);
      if (lo < hi) {
        if (ch == 1) {
          inner1(src, w, x0, y0, stepX, stepY, lo, hi, out, o);
        } else {
          innerN(src, w, ch, x0, y0, stepX, stepY, lo, hi, out, o);
        }
        clamped(src, w, h, ch, x0, y0, stepX, stepY, hi, w, out, o);
      }
    }
    return new ByteImage(w, h, ch, out);
  }

  /** The real interval of xo where 0 <= start + xo * step < max (approximately). */
  private static double[] inside(long start, long step, long max) {
    if (step == 0) {
      boolean in = start >= 0 && start < max;
      return in
          ? new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY}
          : new double[] {1, 0};
    }
    double t1 = -(double) start / step;
    double t2 = ((double) max - start) / step;
    return new double[] {Math.min(t1, t2), Math.max(t1, t2)};
  }

  /** Whether output pixel xo reads inside the image, without clamping, exactly. */
  private static boolean inside(
      long x0, long y0, long stepX, long stepY, int xo, long maxX, long maxY) {
    long x = x0 + xo * stepX;
    long y = y0 + xo * stepY;
    return x >= 0 && x < maxX && y >= 0 && y < maxY;
  }

  /** Output pixels [from, to) of a row, positions clamped to the image. */
  private static void clamped(
      byte[] src,
      int w,
      int h,
      int ch,
      long x0,
      long y0,
      long stepX,
      long stepY,
      int from,
      int to,
      byte[] out,
      int o) {
    long maxX = (w - 1) * ONE;
    long maxY = (h - 1) * ONE;
    int row = w * ch;
    for (int xo = from; xo < to; xo++) {
      long fx = x0 + xo * stepX;
      long fy = y0 + xo * stepY;
      long x = fx < 0 ? 0 : (fx > maxX ? maxX : fx);
      long y = fy < 0 ? 0 : (fy > maxY ? maxY : fy);
      int xi = (int) (x >>> 32);
      int yi = (int) (y >>> 32);
      int ax = (int) (((x & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      int ay = (int) (((y & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      // At the last column or row the weight of the next one is 0: read the same pixel.
      int nx = xi < w - 1 ? ch : 0;
      int ny = yi < h - 1 ? row : 0;
      int i00 = yi * row + xi * ch;
      for (int k = 0; k < ch; k++) {
        int i = i00 + k;
        int top = (src[i] & 0xff) * (256 - ax) + (src[i + nx] & 0xff) * ax;
        int bottom = (src[i + ny] & 0xff) * (256 - ax) + (src[i + ny + nx] & 0xff) * ax;
        out[o + xo * ch + k] = (byte) ((top * (256 - ay) + bottom * ay + 32768) >> 16);
      }
    }
  }

  /** Output pixels [from, to) of a grey row whose sources are all inside. */
  private static void inner1(
      byte[] src,
      int w,
      long x0,
      long y0,
      long stepX,
      long stepY,
      int from,
      int to,
      byte[] out,
      int o) {
    long fx = x0 + from * stepX;
    long fy = y0 + from * stepY;
    for (int xo = from; xo < to; xo++, fx += stepX, fy += stepY) {
      int i = (int) (fy >>> 32) * w + (int) (fx >>> 32);
      int ax = (int) (((fx & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      int ay = (int) (((fy & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      int top = (src[i] & 0xff) * (256 - ax) + (src[i + 1] & 0xff) * ax;
      int bottom = (src[i + w] & 0xff) * (256 - ax) + (src[i + w + 1] & 0xff) * ax;
      out[o + xo] = (byte) ((top * (256 - ay) + bottom * ay + 32768) >> 16);
    }
  }

  /** Output pixels [from, to) of a colour row whose sources are all inside. */
  private static void innerN(
      byte[] src,
      int w,
      int ch,
      long x0,
      long y0,
      long stepX,
      long stepY,
      int from,
      int to,
      byte[] out,
      int o) {
    int row = w * ch;
    long fx = x0 + from * stepX;
    long fy = y0 + from * stepY;
    for (int xo = from; xo < to; xo++, fx += stepX, fy += stepY) {
      int i00 = (int) (fy >>> 32) * row + (int) (fx >>> 32) * ch;
      int ax = (int) (((fx & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      int ay = (int) (((fy & 0xFFFFFFFFL) + (1L << 23)) >>> 24);
      int bx = 256 - ax;
      int by = 256 - ay;
      for (int k = 0; k < ch; k++) {
        int i = i00 + k;
        int top = (src[i] & 0xff) * bx + (src[i + ch] & 0xff) * ax;
        int bottom = (src[i + row] & 0xff) * bx + (src[i + row + ch] & 0xff) * ax;
        out[o + xo * ch + k] = (byte) ((top * by + bottom * ay + 32768) >> 16);
      }
    }
  }

  /**
   * Gaussian blur with standard deviation {@code sigma} pixels (a copy when {@code sigma} is 0):
   * separable, kernel radius ceil(3 sigma), normalised to sum 1, so that the mean intensity is kept
   * (exactly, up to rounding, where the image does not change near its edges).
   */
  public static ByteImage gaussianBlur(ByteImage p, double sigma) {
    if (sigma <= 0) {
      return p.copy();
    }
    float[] k = kernel(sigma);
    int taps = k.length;
    int r = taps / 2;
    int w = p.width();
    int h = p.height();
    int ch = p.channels();
    int row = w * ch;
    byte[] src = p.data();
    byte[] out = new byte[src.length];
    // Rows blurred horizontally, kept in a ring of 2r + 1 (the rows one output row needs), so
    // that the column pass reads from cache rather than from a whole float copy of the image.
    float[][] ring = new float[taps][row];
    int[] held = new int[taps];
    java.util.Arrays.fill(held, -1);
    // Scratch for the rows: one shifted copy per tap, then the padded row itself.
    float[][] shifted = new float[taps + 1][];
    for (int t = 0; t < taps; t++) {
      shifted[t] = new float[row];
    }
    shifted[taps] = new float[(w + 2 * r) * ch];
    float[] acc = new float[row];
    float[][] lines = new float[taps][];
    for (int y = 0; y < h; y++) {
      for (int t = 0; t < taps; t++) {
        int sy = Math.max(0, Math.min(h - 1, y + t - r));
        int slot = sy % taps;
        if (held[slot] != sy) {
          blurRow(src, sy * row, w, ch, r, k, shifted, ring[slot]);
          held[slot] = sy;
        }
        lines[t] = ring[slot];
      }
      // The kernel is symmetric: rows at the same distance above and below share a weight.
      float kc = k[r];
      float[] centre = lines[r];
      for (int i = 0; i < row; i++) {
        acc[i] = kc * centre[i];
      }
      for (int t = 0; t < r; t++) {
        float kt = k[t];
        float[] above = lines[t];
        float[] below = lines[taps - 1 - t];
        for (int i = 0; i < row; i++) {
          acc[i] += kt * (above[i] + below[i]);
        }
      }
      int base = y * row;
      for (int i = 0; i < row; i++) {
        int v = (int) (acc[i] + 0.5f);
        out[base + i] = (byte) (v > 255 ? 255 : Math.max(v, 0));
      }
    }
    return new ByteImage(w, h, ch, out);
  }

  /**
   * One row blurred horizontally into {@code dst}: padded with copies of its end pixels, then each
   * tap's shifted view copied to its own array, so that the multiply-adds run on arrays at the same
   * index (the JIT vectorises that form, not reads at two offsets into one array).
   */
  private static void blurRow(
      byte[] src, int base, int w, int ch, int r, float[] k, float[][] shifted, float[] dst) {
    int row = w * ch;
    float[] pad = shifted[k.length];
    for (int i = 0; i < row; i++) {
      pad[r * ch + i] = src[base + i] & 0xff;
    }
    for (int j = 0; j < r; j++) {
      for (int q = 0; q < ch; q++) {
        pad[j * ch + q] = src[base + q] & 0xff;
        pad[(r + w + j) * ch + q] = src[base + row - ch + q] & 0xff;
      }
    }
    for (int t = 0; t < k.length; t++) {
      System.arraycopy(pad, t * ch, shifted[t], 0, row);
    }
    int r2 = k.length - 1;
    float kc = k[r];
    float[] centre = shifted[r];
    for (int i = 0; i < row; i++) {
      dst[i] = kc * centre[i];
    }
    for (int t = 0; t < r; t++) {
      float kt = k[t];
      float[] left = shifted[t];
      float[] right = shifted[r2 - t];
      for (int i = 0; i < row; i++) {
        dst[i] += kt * (left[i] + right[i]);
      }
    }
  }

  /** The normalised 1-D Gaussian kernel of radius ceil(3 sigma). */
  static float[] kernel(double sigma) {
    int r = Math.max(1, (int) Math.ceil(3 * sigma));
    double[] k = new double[2 * r + 1];
    double sum = 0;
    for (int i = -r; i <= r; i++) {
      k[i + r] = StrictMath.exp(-(i * (double) i) / (2 * sigma * sigma));
      sum += k[i + r];
    }
    float[] out = new float[k.length];
    for (int i = 0; i < k.length; i++) {
      out[i] = (float) (k[i] / sum);
    }
    return out;
  }
}
