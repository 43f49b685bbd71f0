package org.medvqa.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decides whether an image file is usable by decoding it whole. A JPEG cut short still decodes into
 * a grey-filled picture with only a warning, so warnings count as failures: a model trained on half
 * an image learns from pixels that are not there. Decoders come from ImageIO's registry, which
 * includes the TwelveMonkeys JPEG plugin (CMYK and YCCK JPEGs, broken ICC profiles).
 */
public final class ImageCheck {
  /** Width and height of a good image, or the reason a bad one cannot be used. */
  public record Result(int width, int height, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /** Largest side we accept; a bigger image is most likely corrupt or not a radiograph. */
  private final int maxSide;

  public ImageCheck(int maxSide) {
    this.maxSide = maxSide;
  }

  static {
    // Plugins on the classpath (TwelveMonkeys) register only after a scan; do it once per JVM.
    ImageIO.scanForPlugins();
  }

  /** Decodes {@code bytes} and returns its size or the problem. Never throws. */
  public Result check(byte[] bytes) {
    if (bytes.length == 0) {
      return new Result(0, 0, "empty image file");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return new Result(0, 0, "not a readable image format");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      IIOReadWarningListener listener = (source, warning) -> warnings.add(warning);
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener(listener);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          return new Result(w, h, "image has no pixels (" + w + "x" + h + ")");
        }
        if (w > maxSide || h > maxSide) {
          return new Result(
              w, h, "image is " + w + "x" + h + ", larger than the limit of " + maxSide + " px");
        }
        BufferedImage img = reader.read(0);
        if (!warnings.isEmpty()) {
          return new Result(w, h, "corrupt image: " + String.join("; ", warnings));
        }
        return new Result(img.getWidth(), img.getHeight(), null);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new Result(0, 0, "unreadable image: " + msg);
    }
  }
}
