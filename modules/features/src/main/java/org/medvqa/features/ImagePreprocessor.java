package org.medvqa.features;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import org.medvqa.core.image.ImageDecoder;
import org.medvqa.core.image.Redraw;

/**
 * Turns image file bytes into the network's input: decode (ImageIO with the TwelveMonkeys plugins:
 * greyscale, RGB, CMYK/YCCK and progressive JPEG, 8- and 16-bit PNG), convert to 8-bit colour,
 * resize to a square (stretched as in the paper, or padded to keep the aspect ratio), and write the
 * pixels as floats in the order the weights expect. Keras "caffe" preprocessing, which the ResNet50
 * ImageNet weights were trained with: BGR channel order, the ImageNet channel means subtracted, no
 * scaling.
 *
 * <p>Greyscale images (8 or 16 bits) are copied into the three channels by value, without the
 * colour-space conversion Java2D would apply; 16-bit samples keep their top 8 bits. Resizing is
 * bilinear, halving the image first while it is more than twice the target, so that large
 * radiographs are averaged rather than sampled.
 */
public final class ImagePreprocessor {
  /** ImageNet means of the Keras caffe preprocessing, in B, G, R order. */
  public static final float[] CAFFE_MEAN_BGR = {103.939f, 116.779f, 123.68f};

  static {
    ImageIO.scanForPlugins();
  }

  private final int size;
  private final boolean pad;
  private final boolean caffe;
  private final boolean nhwc;
  private final int maxSide;

  public ImagePreprocessor(FeatureSettings s) {
    this(
        s.imageSize(),
        s.resize().equals("pad"),
        s.preprocessing().equals("caffe"),
        s.inputNhwc(),
        s.maxSide());
  }

  public ImagePreprocessor(int size, boolean pad, boolean caffe, boolean nhwc, int maxSide) {
    this.size = size;
    this.pad = pad;
    this.caffe = caffe;
    this.nhwc = nhwc;
    this.maxSide = maxSide;
  }

  /** Floats of one image in the input array. */
  public int imageLength() {
    return 3 * size * size;
  }

  /** Why an image cannot be used. */
  public static final class BadImage extends Exception {
    private static final long serialVersionUID = 1L;

    public BadImage(String reason) {
      super(reason);
    }
  }

  /**
   * Decodes, resizes and writes one image into {@code batch} at position {@code index} (NCHW or
   * NHWC as configured).
   *
   * @throws BadImage with the reason when the bytes are not a usable image
   */
  public void prepare(byte[] bytes, float[] batch, int index) throws BadImage {
    fill(resize(toBgr(decode(bytes))), batch, index);
  }

  /** Decodes the first image of a file; decoder warnings (a truncated JPEG) count as failures. */
  public BufferedImage decode(byte[] bytes) throws BadImage {
    if (bytes.length == 0) {
      throw new BadImage("empty image file");
    }
    // The same refusals as ingest and augment-images (ImageDecoder): an image that the common
    // decoders would decode differently is not featurised the way one of them happens to.
    String doubt = ImageDecoder.doubtfulLayout(bytes);
    if (doubt != null) {
      throw new BadImage(ImageDecoder.DOUBTFUL + doubt);
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new BadImage("not a readable image format");
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      // Notes on colour profiles and thumbnails leave every pixel decoded (as in ImageDecoder).
      IIOReadWarningListener listener =
          (source, warning) -> {
            if (warning == null || !ImageDecoder.BENIGN.matcher(warning).matches()) {
              warnings.add(warning);
            }
          };
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener(listener);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w <= 0 || h <= 0) {
          throw new BadImage("image has no pixels (" + w + "x" + h + ")");
        }
        if (w > maxSide || h > maxSide) {
          throw new BadImage(
              "image is " + w + "x" + h + ", larger than the limit of " + maxSide + " px");
        }
        BufferedImage img = reader.read(0);
        if (!warnings.isEmpty()) {
          throw new BadImage("corrupt image: " + String.join("; ", warnings));
        }
        String transparent = ImageDecoder.transparency(img);
        if (transparent != null) {
          throw new BadImage(ImageDecoder.DOUBTFUL + transparent);
        }
        return img;
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new BadImage("unreadable image: " + msg);
    }
  }

  /** An 8-bit BGR copy of any decoded image; grey values are copied, not colour-converted. */
  static BufferedImage toBgr(BufferedImage src) {
    int w = src.getWidth();
    int h = src.getHeight();
    if (plainBgr(src)) {
      // What the JPEG decoder returns for colour and most grey radiographs: already the layout
      // fill() reads. Copying it pixel by pixel took 2 of the 7 ms of preprocessing per image.
      return src;
    }
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    if (src.getType() == BufferedImage.TYPE_3BYTE_BGR) {
      out.getRaster().setRect(src.getRaster());
      return out;
    }
    if (src.getColorModel().getNumColorComponents() == 1) {
      Raster r = src.getRaster();
      int bits = src.getColorModel().getComponentSize(0);
      int shift = Math.max(0, bits - 8);
      byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        r.getSamples(0, y, w, 1, 0, row);
        int o = y * w * 3;
        for (int x = 0; x < w; x++) {
          byte v = (byte) Math.min(255, row[x] >>> shift);
          dst[o++] = v;
          dst[o++] = v;
          dst[o++] = v;
        }
      }
      return out;
    }
    Graphics2D g = out.createGraphics();
    try {
      g.drawImage(src, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Whether {@code img} is 8-bit BGR with its pixels in one byte array from offset 0, row after row
   * without gaps (not a sub-image of a larger one): the layout {@link #fill} and the caller's own
   * copy rules expect.
   */
  static boolean plainBgr(BufferedImage img) {
    if (img.getType() != BufferedImage.TYPE_3BYTE_BGR) {
      return false;
    }
    java.awt.image.WritableRaster r = img.getRaster();
    if (r.getParent() != null
        || r.getSampleModelTranslateX() != 0
        || r.getSampleModelTranslateY() != 0
        || !(r.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel sm)
        || !(r.getDataBuffer() instanceof DataBufferByte buf)) {
      return false;
    }
    int[] offsets = sm.getBandOffsets();
    return sm.getPixelStride() == 3
        && sm.getScanlineStride() == 3 * img.getWidth()
        && offsets.length == 3
        && offsets[0] == 2
        && offsets[1] == 1
        && offsets[2] == 0
        && buf.getNumBanks() == 1
        && buf.getOffset() == 0;
  }

  /** Resizes a BGR image to the square input: stretched, or scaled to fit and centred. */
  BufferedImage resize(BufferedImage bgr) {
    int w = bgr.getWidth();
    int h = bgr.getHeight();
    int tw = size;
    int th = size;
    if (pad) {
      double scale = Math.min((double) size / w, (double) size / h);
      tw = Math.max(1, (int) Math.round(w * scale));
      th = Math.max(1, (int) Math.round(h * scale));
    }
    BufferedImage img = bgr;
    while (img.getWidth() >= 2 * tw || img.getHeight() >= 2 * th) {
      img = draw(img, Math.max(tw, img.getWidth() / 2), Math.max(th, img.getHeight() / 2));
    }
    if (img.getWidth() != tw || img.getHeight() != th) {
      img = draw(img, tw, th);
    }
    if (!pad || (tw == size && th == size)) {
      return img;
    }
    BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
    byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
    // Pad with the mean colour, which the caffe preprocessing turns into zeros.
    for (int i = 0; i < dst.length; i += 3) {
      dst[i] = (byte) Math.round(CAFFE_MEAN_BGR[0]);
      dst[i + 1] = (byte) Math.round(CAFFE_MEAN_BGR[1]);
      dst[i + 2] = (byte) Math.round(CAFFE_MEAN_BGR[2]);
    }
    out.getRaster().setRect((size - tw) / 2, (size - th) / 2, img.getRaster());
    return out;
  }

  private static BufferedImage draw(BufferedImage src, int w, int h) {
    return Redraw.bilinear(src, w, h, BufferedImage.TYPE_3BYTE_BGR);
  }

  /**
   * Writes a {@code size x size} BGR image into {@code batch} at {@code index}: caffe order and
   * means, or RGB 0-255, channels first (NCHW) or last (NHWC).
   */
  void fill(BufferedImage bgr, float[] batch, int index) {
    byte[] px = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
    int plane = size * size;
    int base = index * 3 * plane;
    for (int p = 0; p < plane; p++) {
      for (int c = 0; c < 3; c++) {
        // Channel c of the output: caffe wants B, G, R (the raster's own order); raw wants R, G, B.
        int src = caffe ? c : 2 - c;
        float v = px[p * 3 + src] & 0xff;
        if (caffe) {
          v -= CAFFE_MEAN_BGR[c];
        }
        batch[nhwc ? base + p * 3 + c : base + c * plane + p] = v;
      }
    }
  }
}
