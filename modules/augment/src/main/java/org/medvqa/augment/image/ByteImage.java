package org.medvqa.augment.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import org.medvqa.core.image.ImageDecoder;

/**
 * An 8-bit image as the transforms see it: {@code width x height} pixels of 1 (grey) or 3 channels,
 * interleaved row by row in one byte array. Three channels are in B, G, R order, as in {@link
 * BufferedImage#TYPE_3BYTE_BGR}, so that decoding and encoding share the array without a copy; the
 * transforms treat channels alike and never care about their order.
 */
public final class ByteImage {
  private final int width;
  private final int height;
  private final int channels;
  private final byte[] data;

  /**
   * Wraps {@code data} (not copied).
   *
   * @throws IllegalArgumentException if the sizes do not match
   */
  public ByteImage(int width, int height, int channels, byte[] data) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image of " + width + "x" + height + " pixels");
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(channels + " channels; expected 1 or 3");
    }
    if (data.length != width * height * channels) {
      throw new IllegalArgumentException(
          data.length + " bytes for " + width + "x" + height + "x" + channels);
    }
    this.width = width;
    this.height = height;
    this.channels = channels;
    this.data = data;
  }

  /** A new black image. */
  public static ByteImage blank(int width, int height, int channels) {
    return new ByteImage(width, height, channels, new byte[width * height * channels]);
  }

  /**
   * The pixels of a decoded image, sharing its array when it already is the working representation
   * ({@link ImageDecoder#normalise}); other types are normalised first.
   */
  public static ByteImage of(BufferedImage image) {
    BufferedImage n = ImageDecoder.normalise(image);
    byte[] data = ((DataBufferByte) n.getRaster().getDataBuffer()).getData();
    int c = n.getType() == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
    return new ByteImage(n.getWidth(), n.getHeight(), c, data);
  }

  /** An image sharing this array: {@code TYPE_BYTE_GRAY} or {@code TYPE_3BYTE_BGR}. */
  public BufferedImage toImage() {
    boolean grey = channels == 1;
    WritableRaster raster =
        Raster.createInterleavedRaster(
            new DataBufferByte(data, data.length),
            width,
            height,
            width * channels,
            channels,
            grey ? new int[] {0} : new int[] {2, 1, 0},
            null);
    ColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(grey ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB),
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_BYTE);
    return new BufferedImage(cm, raster, false, null);
  }

  /**
   * Whether three channels are equal at every pixel: a grey picture stored as colour (most
   * radiographs in VQA-Med are). Always true for one channel.
   */
  public boolean isGrey() {
    if (channels == 1) {
      return true;
    }
    for (int i = 0; i < data.length; i += 3) {
      byte b = data[i];
      if (data[i + 1] != b || data[i + 2] != b) {
        return false;
      }
    }
    return true;
  }

  /** One channel holding the first channel's values (for an image where {@link #isGrey}). */
  public ByteImage firstChannel() {
    if (channels == 1) {
      return this;
    }
    byte[] grey = new byte[width * height];
    for (int i = 0, j = 0; i < grey.length; i++, j += 3) {
      grey[i] = data[j];
    }
    return new ByteImage(width, height, 1, grey);
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public int channels() {
    return channels;
  }

  /** The samples, shared (not a copy). */
  public byte[] data() {
    return data;
  }

  /** Sample {@code c} of pixel (x, y), 0-255. */
  public int get(int x, int y, int c) {
    return data[(y * width + x) * channels + c] & 0xff;
  }

  /** Sets sample {@code c} of pixel (x, y). */
  public void set(int x, int y, int c, int value) {
    data[(y * width + x) * channels + c] = (byte) value;
  }

  /** The mean of all samples. */
  public double mean() {
    long sum = 0;
    for (byte b : data) {
      sum += b & 0xff;
    }
    return (double) sum / data.length;
  }

  /** A deep copy. */
  public ByteImage copy() {
    return new ByteImage(width, height, channels, data.clone());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ByteImage p
        && p.width == width
        && p.height == height
        && p.channels == channels
        && Arrays.equals(p.data, data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data) * 31 + width * 7 + channels;
  }

  @Override
  public String toString() {
    return width + "x" + height + "x" + channels;
  }
}
