package org.medvqa.augment.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Small synthetic images and their encodings, made in code. */
final class TestImages {
  private TestImages() {}

  /** A grey image with a smooth pattern. */
  static ByteImage pattern(int w, int h, int channels) {
    ByteImage p = ByteImage.blank(w, h, channels);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < channels; c++) {
          p.set(x, y, c, (x * 7 + y * 3 + c * 50) & 0xff);
        }
      }
    }
    return p;
  }

  /** A black image with one bright pixel at (x, y). */
  static ByteImage marker(int w, int h, int x, int y) {
    ByteImage p = ByteImage.blank(w, h, 1);
    p.set(x, y, 0, 255);
    return p;
  }

  /** The position of the brightest pixel, {x, y}. */
  static int[] brightest(ByteImage p) {
    int best = -1;
    int[] at = null;
    for (int y = 0; y < p.height(); y++) {
      for (int x = 0; x < p.width(); x++) {
        if (p.get(x, y, 0) > best) {
          best = p.get(x, y, 0);
          at = new int[] {x, y};
        }
      }
    }
    return at;
  }

  /** The intensity-weighted centre of channel 0, {x, y}. */
  static double[] centroid(ByteImage p) {
    double sx = 0;
    double sy = 0;
    double s = 0;
    for (int y = 0; y < p.height(); y++) {
      for (int x = 0; x < p.width(); x++) {
        int v = p.get(x, y, 0);
        sx += v * x;
        sy += v * y;
        s += v;
      }
    }
    return new double[] {sx / s, sy / s};
  }

  static byte[] encode(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(img, format, out)) {
      throw new IOException("no writer for " + format);
    }
    return out.toByteArray();
  }

  /** A progressive JPEG, through the JDK writer. */
  static byte[] progressiveJpeg(BufferedImage img) throws IOException {
    Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter w = it.next();
    ImageWriteParam param = w.getDefaultWriteParam();
    param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      w.setOutput(ios);
      w.write(null, new IIOImage(img, null, null), param);
    } finally {
      w.dispose();
    }
    return out.toByteArray();
  }
}
