package org.medvqa.synth;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hand-made features of a decoded image, simple enough to read at a glance, used to show that the
 * pixels alone predict the answers. They know nothing of the generator's internals: only what a
 * person would measure looking at the images (background level, texture, orientation and shape of
 * the bright structure, bright and dark spots on it).
 */
final class PixelFeatures {
  private final int w;
  private final int h;
  private final double[] grey;
  private final double[] smooth3;
  private final double[] smooth5;
  private final boolean[] mask;
  private final double bodyLevel;
  private final double structureLevel;

  PixelFeatures(BufferedImage image) {
    w = image.getWidth();
    h = image.getHeight();
    grey = new double[w * h];
    // The raster, not getRGB: getRGB converts a grey JPEG's linear grey to sRGB and brightens it.
    Raster raster = image.getRaster();
    int bands = raster.getNumBands();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double s = 0;
        for (int b = 0; b < bands; b++) {
          s += raster.getSample(x, y, b);
        }
        grey[y * w + x] = s / bands;
      }
    }
    smooth3 = box(grey, 1);
    smooth5 = box(grey, 2);
    // The main structure is the large bright part of the image: threshold 30% of the way from
    // the tissue level up to the brightest few percent, after smoothing away noise and speckle,
    // then open the mask to drop thin bright things (a CT bone ring, a cyst rim, tiny dots) and
    // keep
    // only pieces big enough to be part of an organ.
    bodyLevel = percentile(smooth5, 0.70);
    double top = percentile(smooth5, 0.98);
    double threshold = bodyLevel + 0.3 * (top - bodyLevel);
    boolean[] raw = new boolean[w * h];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = smooth5[i] > threshold;
    }
    mask = keepLarge(dilate(erode(raw, 2), 2), 60);
    double[] inside = new double[w * h];
    int count = 0;
    for (int i = 0; i < mask.length; i++) {
      if (mask[i]) {
        inside[count++] = smooth3[i];
      }
    }
    structureLevel = count == 0 ? top : median(Arrays.copyOf(inside, count));
  }

  /** Background, texture and body level: what tells CT, MR, ultrasound and plain film apart. */
  double[] modality() {
    double corners =
        (mean(0, 0, 10, 10)
                + mean(w - 10, 0, w, 10)
                + mean(0, h - 10, 10, h)
                + mean(w - 10, h - 10, w, h))
            / 4;
    double texture = 0;
    int n = 0;
    double dark = 0;
    for (int y = h / 4; y < 3 * h / 4; y++) {
      for (int x = w / 4; x < 3 * w / 4; x++) {
        texture += Math.abs(grey[y * w + x + 1] - grey[y * w + x]);
        n++;
      }
    }
    for (double v : grey) {
      dark += v < 12 ? 1 : 0;
    }
    // Grain on the bright structure relative to its level: speckle is coarse and multiplicative.
    double grain = 0;
    int ng = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x + 1 < w; x++) {
        if (mask[y * w + x] && mask[y * w + x + 1]) {
          grain += Math.abs(grey[y * w + x + 1] - grey[y * w + x]);
          ng++;
        }
      }
    }
    return new double[] {
      corners,
      texture / n,
      dark / grey.length,
      bodyLevel,
      percentile(grey, 0.99),
      grain / Math.max(1, ng) / Math.max(1, structureLevel) * 100
    };
  }

  /** Orientation of the bright structure's long axis as (cos 2t, |sin 2t|). */
  double[] plane() {
    double[] m = moments(mask);
    double t = 0.5 * Math.atan2(2 * m[4], m[2] - m[3]);
    return new double[] {Math.cos(2 * t), Math.abs(Math.sin(2 * t))};
  }

  /** Shape of the bright structure: elongation, fill, pieces and whether its centre is solid. */
  double[] organ() {
    double[] m = moments(mask);
    double common = Math.sqrt((m[2] - m[3]) * (m[2] - m[3]) + 4 * m[4] * m[4]);
    double l1 = Math.max(1e-9, (m[2] + m[3] + common) / 2);
    double l2 = Math.max(1e-9, (m[2] + m[3] - common) / 2);
    double elongation = Math.sqrt(l1 / l2);
    // Area over that of the ellipse with the same second moments: 1 for a solid oval.
    double fill = m[5] / (Math.PI * 4 * Math.sqrt(l1 * l2));
    // Pieces on the less smoothed image, so the gaps between blocks or lobes survive.
    double threshold = (bodyLevel + structureLevel) / 2;
    boolean[] sharp = new boolean[w * h];
    for (int i = 0; i < sharp.length; i++) {
      sharp[i] = smooth3[i] > threshold;
    }
    int pieces = components(sharp, 12);
    int cx = (int) Math.round(m[0]);
    int cy = (int) Math.round(m[1]);
    double centre = 0;
    int n = 0;
    for (int y = cy - 2; y <= cy + 2; y++) {
      for (int x = cx - 2; x <= cx + 2; x++) {
        if (x >= 0 && y >= 0 && x < w && y < h) {
          centre += mask[y * w + x] ? 1 : 0;
          n++;
        }
      }
    }
    return new double[] {Math.log(elongation), fill, Math.min(pieces, 8), centre / Math.max(1, n)};
  }

  /**
   * Bright and dark spots on the structure, measured against the structure's own level and the
   * tissue right around it: how much is brighter than the structure and in how many pieces, how
   * much is darker than the tissue, and how elongated the dark part is (a crack or a hole).
   */
  double[] lesion() {
    boolean[] region = fillHoles(dilate(mask, 2));
    boolean[] around = dilate(mask, 6);
    double[] structure = new double[w * h];
    double[] tissue = new double[w * h];
    int ns = 0;
    int nt = 0;
    for (int i = 0; i < grey.length; i++) {
      if (mask[i]) {
        structure[ns++] = smooth3[i];
      } else if (around[i] && !region[i]) {
        tissue[nt++] = smooth5[i];
      }
    }
    double level = ns == 0 ? structureLevel : percentile(Arrays.copyOf(structure, ns), 0.5);
    double local = nt == 0 ? bodyLevel : median(Arrays.copyOf(tissue, nt));
    double brightCut = level + 0.35 * (255 - level);
    boolean[] bright = new boolean[w * h];
    boolean[] dark = new boolean[w * h];
    boolean[] crack = new boolean[w * h];
    double brightArea = 0;
    double darkArea = 0;
    double crackArea = 0;
    for (int i = 0; i < grey.length; i++) {
      if (!region[i]) {
        continue;
      }
      bright[i] = smooth5[i] > brightCut;
      dark[i] = smooth3[i] < 0.5 * local;
      crack[i] = grey[i] < 0.45 * local;
      brightArea += bright[i] ? 1 : 0;
      darkArea += dark[i] ? 1 : 0;
      crackArea += crack[i] ? 1 : 0;
    }
    List<List<Integer>> brightPieces = pieces(bright, 2);
    int largestBright = brightPieces.stream().mapToInt(List::size).max().orElse(0);
    List<List<Integer>> crackPieces = pieces(crack, 4);
    List<Integer> largestCrack =
        crackPieces.stream().max((a, b) -> Integer.compare(a.size(), b.size())).orElse(List.of());
    boolean[] crackMask = new boolean[w * h];
    for (int i : largestCrack) {
      crackMask[i] = true;
    }
    double crackShape = largestCrack.isEmpty() ? 0 : Math.log(elongation(moments(crackMask)));
    double area = Math.max(1, ns);
    return new double[] {
      Math.log1p(1000 * brightArea / area),
      Math.min(brightPieces.size(), 8),
      Math.log1p(largestBright),
      Math.log1p(1000 * darkArea / area),
      Math.log1p(1000 * crackArea / area),
      crackShape
    };
  }

  // ---- helpers -------------------------------------------------------------------------------

  private double mean(int x0, int y0, int x1, int y1) {
    double s = 0;
    int n = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        s += grey[y * w + x];
        n++;
      }
    }
    return s / n;
  }

  /** Centroid x, y; central second moments xx, yy, xy; area. */
  private double[] moments(boolean[] m) {
    double n = 0;
    double sx = 0;
    double sy = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (m[y * w + x]) {
          n++;
          sx += x;
          sy += y;
        }
      }
    }
    if (n == 0) {
      return new double[] {w / 2.0, h / 2.0, 1, 1, 0, 0};
    }
    double mx = sx / n;
    double my = sy / n;
    double xx = 0;
    double yy = 0;
    double xy = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (m[y * w + x]) {
          xx += (x - mx) * (x - mx);
          yy += (y - my) * (y - my);
          xy += (x - mx) * (y - my);
        }
      }
    }
    return new double[] {mx, my, xx / n, yy / n, xy / n, n};
  }

  private int components(boolean[] m, int minSize) {
    return pieces(m, minSize).size();
  }

  /** The 4-connected pieces of the mask with at least minSize pixels, as lists of pixel indices. */
  private List<List<Integer>> pieces(boolean[] m, int minSize) {
    boolean[] seen = new boolean[m.length];
    List<List<Integer>> out = new ArrayList<>();
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int start = 0; start < m.length; start++) {
      if (!m[start] || seen[start]) {
        continue;
      }
      List<Integer> piece = new ArrayList<>();
      seen[start] = true;
      queue.add(start);
      while (!queue.isEmpty()) {
        int i = queue.poll();
        piece.add(i);
        for (int j : neighbours(i)) {
          if (j >= 0 && m[j] && !seen[j]) {
            seen[j] = true;
            queue.add(j);
          }
        }
      }
      if (piece.size() >= minSize) {
        out.add(piece);
      }
    }
    return out;
  }

  /** The mask without its connected pieces smaller than minSize pixels. */
  private boolean[] keepLarge(boolean[] m, int minSize) {
    boolean[] out = new boolean[m.length];
    for (List<Integer> piece : pieces(m, minSize)) {
      for (int i : piece) {
        out[i] = true;
      }
    }
    return out;
  }

  private int[] neighbours(int i) {
    int x = i % w;
    int y = i / w;
    return new int[] {
      x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1
    };
  }

  /** Adds to the region every pixel it encloses (not reachable from the border outside it). */
  private boolean[] fillHoles(boolean[] m) {
    boolean[] outside = new boolean[m.length];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    for (int i = 0; i < m.length; i++) {
      int x = i % w;
      int y = i / w;
      if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && !m[i]) {
        outside[i] = true;
        queue.add(i);
      }
    }
    while (!queue.isEmpty()) {
      int i = queue.poll();
      int x = i % w;
      int y = i / w;
      int[] next = {
        x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1
      };
      for (int j : next) {
        if (j >= 0 && !m[j] && !outside[j]) {
          outside[j] = true;
          queue.add(j);
        }
      }
    }
    boolean[] out = new boolean[m.length];
    for (int i = 0; i < m.length; i++) {
      out[i] = !outside[i];
    }
    return out;
  }

  private static double elongation(double[] m) {
    double common = Math.sqrt((m[2] - m[3]) * (m[2] - m[3]) + 4 * m[4] * m[4]);
    double l1 = Math.max(1e-9, (m[2] + m[3] + common) / 2);
    double l2 = Math.max(1e-9, (m[2] + m[3] - common) / 2);
    return Math.sqrt(l1 / l2);
  }

  private static double median(double[] values) {
    return percentile(values, 0.5);
  }

  /** Keeps the pixels whose whole (2r+1)-square lies in the mask; outside the image is not. */
  private boolean[] erode(boolean[] m, int r) {
    boolean[] out = new boolean[m.length];
    for (int y = r; y < h - r; y++) {
      for (int x = r; x < w - r; x++) {
        boolean all = true;
        for (int dy = -r; dy <= r && all; dy++) {
          for (int dx = -r; dx <= r && all; dx++) {
            all = m[(y + dy) * w + x + dx];
          }
        }
        out[y * w + x] = all;
      }
    }
    return out;
  }

  private boolean[] dilate(boolean[] m, int r) {
    boolean[] out = new boolean[m.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (!m[y * w + x]) {
          continue;
        }
        for (int dy = -r; dy <= r; dy++) {
          for (int dx = -r; dx <= r; dx++) {
            int xx = x + dx;
            int yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
              out[yy * w + xx] = true;
            }
          }
        }
      }
    }
    return out;
  }

  private double[] box(double[] src, int r) {
    double[] out = new double[src.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double s = 0;
        int n = 0;
        for (int dy = -r; dy <= r; dy++) {
          for (int dx = -r; dx <= r; dx++) {
            int xx = x + dx;
            int yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
              s += src[yy * w + xx];
              n++;
            }
          }
        }
        out[y * w + x] = s / n;
      }
    }
    return out;
  }

  private static double percentile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}
