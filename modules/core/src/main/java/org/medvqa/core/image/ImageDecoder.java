package org.medvqa.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorConvertOp;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes an image file with ImageIO (and the TwelveMonkeys JPEG plugin: CMYK and YCCK JPEGs,
 * broken ICC profiles) and, on request, brings it into the one working representation of the
 * pixel-level stages: 8 bits per sample, either {@link BufferedImage#TYPE_BYTE_GRAY} or {@link
 * BufferedImage#TYPE_3BYTE_BGR}, each backed by one plain byte array.
 *
 * <p>A JPEG cut short still decodes into a grey-filled picture with only a warning, so warnings
 * count as failures: a model trained on half an image learns from pixels that are not there. The
 * exception are notes about colour management and metadata ({@link #BENIGN}: a CMYK JPEG without an
 * embedded ICC profile, a broken profile or thumbnail, an inconsistent Adobe marker), after which
 * every pixel is still decoded.
 *
 * <p>Greyscale stays greyscale and keeps its sample values: conversion works on the rasters, never
 * through {@code getRGB()}, which maps a grey image's linear-light colour space to sRGB and so
 * brightens it. 16-bit (and 1, 2 or 4-bit) samples are rescaled to 8 bits; CMYK, YCCK, palette and
 * other colour spaces become sRGB; an alpha channel is dropped.
 */
public final class ImageDecoder {
  /**
   * A decoded image, or the reason it is unusable. {@code width} and {@code height} are known as
   * soon as the header is read, so a refused image can still report them.
   *
   * @param image the pixels (null when {@code problem} is set)
   * @param format the decoder's format name, e.g. {@code jpeg} or {@code png}
   * @param width width in pixels (0 when the header could not be read)
   * @param height height in pixels (0 when the header could not be read)
   * @param problem why the image cannot be used, or null
   */
  public record Decoded(BufferedImage image, String format, int width, int height, String problem) {
    public boolean ok() {
      return problem == null;
    }

    static Decoded failed(int width, int height, String problem) {
      return new Decoded(null, null, width, height, problem);
    }
  }

  /**
   * Warnings that do not mean missing pixels: TwelveMonkeys' notes on ICC profiles (absent, broken,
   * incompatible), on an Adobe APP14 marker it ignores, and on thumbnails.
   */
  static final Pattern BENIGN =
      Pattern.compile("(?i).*(\\bICC\\b|colou?r profile|Adobe App14|thumbnail|JFXX).*");

  static {
    // Plugins on the classpath (TwelveMonkeys) register only after a scan; do it once per JVM.
    ImageIO.scanForPlugins();
  }

  /** Largest side accepted; a bigger image is most likely corrupt or not a radiograph. */
  private final int maxSide;

  public ImageDecoder(int maxSide) {
    this.maxSide = maxSide;
  }

  /**
   * Decodes {@code bytes} as the decoder returns it (any type). Never throws: an empty, unknown,
   * truncated, oversized or otherwise unreadable file is a {@link Decoded} with its problem.
   */
  public Decoded read(byte[] bytes) {
    if (bytes.length == 0) {
      return Decoded.failed(0, 0, "empty image file");
    }
    // In memory: ImageIO.createImageInputStream would cache the stream in a temporary file.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return Decoded.failed(0, 0, "not a readable image format");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      IIOReadWarningListener listener =
          (source, warning) -> {
            if (warning == null || !BENIGN.matcher(warning).matches()) {
              warnings.add(warning);
            }
          };
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener(listener);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          return Decoded.failed(w, h, "image has no pixels (" + w + "x" + h + ")");
        }
        if (w > maxSide || h > maxSide) {
          return Decoded.failed(
              w, h, "image is " + w + "x" + h + ", larger than the limit of " + maxSide + " px");
        }
        BufferedImage img = reader.read(0);
        if (!warnings.isEmpty()) {
          return Decoded.failed(w, h, "corrupt image: " + String.join("; ", warnings));
        }
        String format = reader.getFormatName();
        return new Decoded(img, format, img.getWidth(), img.getHeight(), null);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return Decoded.failed(0, 0, "unreadable image: " + msg);
    }
  }

  /**
   * Decodes {@code bytes} into the working representation ({@link #normalise}). Never throws; a
   * colour model that cannot be converted is a problem like any other.
   */
  public Decoded decode(byte[] bytes) {
    Decoded d = read(bytes);
    if (!d.ok()) {
      return d;
    }
    try {
      return new Decoded(normalise(d.image()), d.format(), d.width(), d.height(), null);
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return Decoded.failed(
          d.width(), d.height(), "cannot convert " + describe(d.image()) + ": " + msg);
    }
  }

  /**
   * The image as 8-bit {@code TYPE_BYTE_GRAY} (one grey channel, any bit depth) or {@code
   * TYPE_3BYTE_BGR} (everything else), with a compact raster (one byte array, no padding, no
   * offset). An image that already is so is returned as it is, without a copy: the JDK's JPEG
   * decoder returns those two types for grey and colour JPEGs.
   */
  public static BufferedImage normalise(BufferedImage img) {
    int type = img.getType();
    if ((type == BufferedImage.TYPE_BYTE_GRAY || type == BufferedImage.TYPE_3BYTE_BGR)
        && compact(img)) {
      return img;
    }
    ColorModel cm = img.getColorModel();
    ColorSpace cs = cm.getColorSpace();
    Raster r = img.getRaster();
    int w = img.getWidth();
    int h = img.getHeight();
    if (cm instanceof IndexColorModel icm) {
      return fromPalette(img, icm);
    }
    int colours = cm.getNumColorComponents();
    if (cs.getType() == ColorSpace.TYPE_GRAY && colours == 1) {
      BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
      copyScaled(r, new int[] {0}, out);
      return out;
    }
    if (cs.getType() == ColorSpace.TYPE_RGB && colours == 3) {
      BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
      // The raster's bands are R, G, B (then alpha); TYPE_3BYTE_BGR stores B, G, R.
      copyScaled(r, new int[] {2, 1, 0}, out);
      return out;
    }
    // CMYK, YCCK (when a plugin leaves it so), Lab and other colour spaces: convert to sRGB.
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    new ColorConvertOp(null).filter(img, out);
    return out;
  }

  /** A short description of an image's kind, for messages. */
  public static String describe(BufferedImage img) {
    ColorModel cm = img.getColorModel();
    return cm.getNumComponents()
        + "-channel "
        + cm.getComponentSize(0)
        + "-bit "
        + colourSpaceName(cm.getColorSpace().getType())
        + " image";
  }

  private static String colourSpaceName(int type) {
    return switch (type) {
      case ColorSpace.TYPE_GRAY -> "grey";
      case ColorSpace.TYPE_RGB -> "RGB";
      case ColorSpace.TYPE_CMYK -> "CMYK";
      case ColorSpace.TYPE_YCbCr -> "YCbCr";
      case ColorSpace.TYPE_Lab -> "Lab";
      default -> "colour space " + type;
    };
  }

  /** Whether an 8-bit image's raster is one byte array of exactly w * h * bands, from index 0. */
  private static boolean compact(BufferedImage img) {
    WritableRaster r = img.getRaster();
    if (!(r.getDataBuffer() instanceof DataBufferByte db)
        || db.getNumBanks() != 1
        || db.getOffset() != 0
        || r.getSampleModelTranslateX() != 0
        || r.getSampleModelTranslateY() != 0
        || !(r.getSampleModel() instanceof PixelInterleavedSampleModel sm)) {
      return false;
    }
    int bands = r.getNumBands();
    return sm.getPixelStride() == bands
        && sm.getScanlineStride() == img.getWidth() * bands
        && db.getData().length == img.getWidth() * img.getHeight() * bands;
  }

  /** Copies bands of {@code r} (in {@code order}) into the 8-bit {@code out}, rescaling depth. */
  private static void copyScaled(Raster r, int[] order, BufferedImage out) {
    int w = r.getWidth();
    int h = r.getHeight();
    int bands = order.length;
    byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
    int[] row = new int[w];
    for (int b = 0; b < bands; b++) {
      int src = order[b];
      long max = (1L << r.getSampleModel().getSampleSize(src)) - 1;
      for (int y = 0; y < h; y++) {
        r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, src, row);
        int at = y * w * bands + b;
        for (int x = 0; x < w; x++, at += bands) {
          long v = Math.min(max, Math.max(0, row[x]));
          dst[at] = (byte) (max == 255 ? v : (v * 255 + max / 2) / max);
        }
      }
    }
  }

  /** A palette image: greyscale when every palette entry is grey, else BGR. */
  private static BufferedImage fromPalette(BufferedImage img, IndexColorModel icm) {
    int n = icm.getMapSize();
    boolean grey = true;
    for (int i = 0; i < n && grey; i++) {
      grey = icm.getRed(i) == icm.getGreen(i) && icm.getGreen(i) == icm.getBlue(i);
    }
    int w = img.getWidth();
    int h = img.getHeight();
    BufferedImage out =
        new BufferedImage(w, h, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
    byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
    Raster r = img.getRaster();
    int[] row = new int[w];
    int at = 0;
    for (int y = 0; y < h; y++) {
      r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int i = row[x];
        if (grey) {
          dst[at++] = (byte) icm.getRed(i);
        } else {
          dst[at++] = (byte) icm.getBlue(i);
          dst[at++] = (byte) icm.getGreen(i);
          dst[at++] = (byte) icm.getRed(i);
        }
      }
    }
    return out;
  }
}
