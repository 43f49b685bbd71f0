package org.medvqa.core.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** One bilinear resampling step, shared by the features' resizing and the report's thumbnails. */
public final class Redraw {
  private Redraw() {}

  /**
   * {@code src} drawn into a new {@code w} × {@code h} image of {@code type} with bilinear
   * interpolation. Callers shrink in halving steps first: one bilinear step over a large factor
   * skips most pixels and aliases fine structure.
   */
  public static BufferedImage bilinear(BufferedImage src, int w, int h, int type) {
    BufferedImage out = new BufferedImage(w, h, type);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    return out;
  }
}
