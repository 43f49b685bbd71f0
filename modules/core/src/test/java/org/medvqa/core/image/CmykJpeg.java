package org.medvqa.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Makes a four-channel (CMYK) JPEG in a test, through the TwelveMonkeys writer. */
public final class CmykJpeg {
  private CmykJpeg() {}

  /** A CMYK image with a gradient, using a simple CMYK colour space stand-in. */
  public static BufferedImage image(int w, int h) {
    ColorSpace cs = new SimpleCmyk();
    ComponentColorModel cm =
        new ComponentColorModel(
            cs, false, false, java.awt.Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
    WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        raster.setPixel(x, y, new int[] {x * 5 & 0xff, y * 7 & 0xff, 40, 10});
      }
    }
    return new BufferedImage(cm, raster, false, null);
  }

  /** Encodes the raster as a four-component JPEG (no colour conversion by the encoder). */
  public static byte[] encode(BufferedImage img) throws IOException {
    ImageIO.scanForPlugins();
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (writers.hasNext()) {
      ImageWriter w = writers.next();
      try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
        w.setOutput(ios);
        // Writing the raster alone keeps all four channels.
        w.write(null, new IIOImage(img.getRaster(), null, null), null);
        return out.toByteArray();
      } catch (IOException | RuntimeException e) {
        out.reset();
      } finally {
        w.dispose();
      }
    }
    throw new IOException("no JPEG writer could write a four-channel raster");
  }

  /**
   * The raster as a CMYK JPEG the way Photoshop and scanners write one: {@link #encode} with an
   * Adobe APP14 marker of transform 0 (CMYK), without which decoders guess the colour space
   * differently (ImageDecoder refuses such a file).
   */
  public static byte[] encodeAdobe(BufferedImage img) throws IOException {
    return withAdobeMarker(encode(img), 0);
  }

  /** {@code jpeg} with an Adobe APP14 marker (transform 0 CMYK or RGB, 1 YCbCr, 2 YCCK). */
  public static byte[] withAdobeMarker(byte[] jpeg, int transform) {
    // APP14 "Adobe": version 100, flags 0, 0, then the colour transform.
    byte[] app14 = {
      (byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(app14, 0, app14.length);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /** A naive CMYK colour space: enough for a test image, not for colour management. */
  private static final class SimpleCmyk extends ColorSpace {
    private static final long serialVersionUID = 1L;

    SimpleCmyk() {
      super(ColorSpace.TYPE_CMYK, 4);
    }

    @Override
    public float[] toRGB(float[] c) {
      return new float[] {
        (1 - c[0]) * (1 - c[3]), (1 - c[1]) * (1 - c[3]), (1 - c[2]) * (1 - c[3])
      };
    }

    @Override
    public float[] fromRGB(float[] rgb) {
      float k = 1 - Math.max(rgb[0], Math.max(rgb[1], rgb[2]));
      float d = k >= 1 ? 1 : 1 - k;
      return new float[] {(1 - rgb[0] - k) / d, (1 - rgb[1] - k) / d, (1 - rgb[2] - k) / d, k};
    }

    @Override
    public float[] toCIEXYZ(float[] c) {
      return ColorSpace.getInstance(CS_sRGB).toCIEXYZ(toRGB(c));
    }

    @Override
    public float[] fromCIEXYZ(float[] xyz) {
      return fromRGB(ColorSpace.getInstance(CS_sRGB).fromCIEXYZ(xyz));
    }
  }
}
