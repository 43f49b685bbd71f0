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
 * <p>An image that the common decoders would not all decode the same way is refused with the
 * reason, beginning {@link #DOUBTFUL}: a JPEG whose colour space they guess differently ({@link
 * #doubtfulLayout}), and an image with transparent pixels.
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
  public static final Pattern BENIGN =
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
    String doubt = doubtfulLayout(bytes);
    if (doubt != null) {
      return Decoded.failed(0, 0, DOUBTFUL + doubt);
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
        String transparent = transparency(img);
        if (transparent != null) {
          return Decoded.failed(w, h, DOUBTFUL + transparent);
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

  /** How the reason for an image whose decoding is doubtful begins. */
  public static final String DOUBTFUL = "doubtful decoding: ";

  /**
   * Why the common decoders (libjpeg and what is built on it: PIL, OpenCV, browsers; the JDK's own
   * ImageIO decoder; TwelveMonkeys, which this class uses) would not all make the same pixels of a
   * JPEG, or null when they would (and for any other format). JPEG does not say which colour space
   * its components are in; each decoder guesses from the JFIF and Adobe markers and the component
   * ids, and for some layouts the guesses differ: decoded the other way, a four-channel CMYK image
   * read as YCbCr with alpha comes out nearly blank. Such an image is refused with this reason
   * rather than used the way one decoder happens to read it. Only the header is read.
   *
   * <p>Agreed on, and so accepted: one component (grey); three with a JFIF marker (YCbCr), with an
   * Adobe marker of transform 0 (RGB) or 1 (YCbCr), with component ids R, G, B (RGB), or with ids
   * 1, 2, 3 and subsampled chroma (YCbCr); four with an Adobe marker of transform 0 (CMYK) or 2
   * (YCCK).
   */
  public static String doubtfulLayout(byte[] b) {
    if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
      return null; // not a JPEG
    }
    boolean jfif = false;
    int adobe = -1;
    int[] ids = null;
    int[] sampling = null;
    int i = 2;
    while (i + 3 < b.length && (b[i] & 0xff) == 0xFF) {
      int marker = b[i + 1] & 0xff;
      if (marker == 0xFF) {
        i++; // fill byte
        continue;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
        i += 2; // no length
        continue;
      }
      if (marker == 0xDA || marker == 0xD9) {
        break; // start of scan: every header marker has been seen
      }
      int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
      int d = i + 4; // the segment's data
      int end = Math.min(b.length, i + 2 + len);
      if (marker == 0xE0 && startsWith(b, d, end, "JFIF\0")) {
        jfif = true;
      } else if (marker == 0xEE && startsWith(b, d, end, "Adobe") && d + 11 < end) {
        adobe = b[d + 11] & 0xff;
      } else if (ids == null
          && marker >= 0xC0
          && marker <= 0xCF
          && marker != 0xC4
          && marker != 0xC8
          && marker != 0xCC
          && d + 5 < end) {
        int n = b[d + 5] & 0xff;
        ids = new int[n];
        sampling = new int[n];
        for (int c = 0; c < n && d + 7 + 3 * c < end; c++) {
          ids[c] = b[d + 6 + 3 * c] & 0xff;
          sampling[c] = b[d + 7 + 3 * c] & 0xff;
        }
      }
      i += 2 + len;
    }
    if (ids == null) {
      return null; // no frame header: the decoder itself refuses the file
    }
    return switch (ids.length) {
      case 1 -> null;
      case 3 -> doubtfulThree(jfif, adobe, ids, sampling);
      case 4 ->
          adobe == 0 || adobe == 2
              ? null
              : "a four-component JPEG "
                  + (adobe < 0
                      ? "without an Adobe marker"
                      : "with an Adobe marker of unknown colour transform " + adobe)
                  + ": libjpeg and PIL read it as CMYK, Java's decoders as YCbCr or RGB with alpha";
      default ->
          "a JPEG of "
              + ids.length
              + " components: the common decoders do not read it as one image";
    };
  }

  private static String doubtfulThree(boolean jfif, int adobe, int[] ids, int[] sampling) {
    if (jfif || adobe == 0 || adobe == 1) {
      return null;
    }
    if (adobe >= 0) {
      return "an Adobe marker of unknown colour transform " + adobe;
    }
    if (ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B') {
      return null;
    }
    boolean subsampled = sampling[1] != sampling[0] || sampling[2] != sampling[0];
    if (ids[0] == 1 && ids[1] == 2 && ids[2] == 3) {
      return subsampled
          ? null
          : "a three-component JPEG without a JFIF or Adobe marker and without chroma subsampling:"
              + " the JDK's decoder reads it as RGB, libjpeg, PIL and TwelveMonkeys as YCbCr";
    }
    return "component ids "
        + ids[0]
        + ", "
        + ids[1]
        + ", "
        + ids[2]
        + " without a JFIF or Adobe marker: decoders guess different colour spaces";
  }

  private static boolean startsWith(byte[] b, int at, int end, String ascii) {
    if (at + ascii.length() > end) {
      return false;
    }
    for (int k = 0; k < ascii.length(); k++) {
      if (b[at + k] != ascii.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why an image with transparent pixels is doubtful (null when it has none): the colour under a
   * transparent pixel is undefined, and decoders show it differently (PIL and this class drop the
   * alpha, browsers blend onto white), so a picture drawn in its alpha channel comes out blank.
   */
  public static String transparency(BufferedImage img) {
    ColorModel cm = img.getColorModel();
    if (!cm.hasAlpha()) {
      return null;
    }
    // A palette keeps its alpha in the palette; other models in a band of their own.
    IndexColorModel palette = cm instanceof IndexColorModel icm ? icm : null;
    Raster a = palette != null ? img.getRaster() : img.getAlphaRaster();
    if (a == null) {
      return null;
    }
    int max = palette != null ? 255 : (1 << cm.getComponentSize(cm.getNumComponents() - 1)) - 1;
    int[] row = new int[a.getWidth()];
    for (int y = 0; y < a.getHeight(); y++) {
      a.getSamples(a.getMinX(), a.getMinY() + y, a.getWidth(), 1, 0, row);
      for (int v : row) {
        if ((palette != null ? palette.getAlpha(v) : v) < max) {
          return "the image has transparent pixels, whose colour decoders show differently";
        }
      }
    }
    return null;
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
