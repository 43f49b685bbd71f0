package org.medvqa.eval.report;

import java.awt.image.BufferedImage;
import org.medvqa.core.image.Redraw;

/** Downscaled copies of images for the gallery. */
final class Thumbnails {
  private Thumbnails() {}

  /**
   * The image scaled to fit a {@code size} × {@code size} box (never enlarged), as RGB. Halved step
   * by step with bilinear filtering first, because one bilinear step from a 2000-pixel radiograph
   * to 200 pixels skips most pixels and aliases fine structure.
   */
  static BufferedImage fit(BufferedImage img, int size) {
    int w = img.getWidth();
    int h = img.getHeight();
    double scale = Math.min(1.0, size / (double) Math.max(w, h));
    int tw = Math.max(1, (int) Math.round(w * scale));
    int th = Math.max(1, (int) Math.round(h * scale));
    BufferedImage current = rgb(img, w, h);
    while (current.getWidth() / 2 >= tw && current.getHeight() / 2 >= th) {
      current = rgb(current, current.getWidth() / 2, current.getHeight() / 2);
    }
    if (current.getWidth() != tw || current.getHeight() != th) {
      current = rgb(current, tw, th);
    }
    return current;
  }

  private static BufferedImage rgb(BufferedImage src, int w, int h) {
    return Redraw.bilinear(src, w, h, BufferedImage.TYPE_INT_RGB);
  }
}
