package org.medvqa.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Each kind of image a release can hold, made in the test. */
class ImageCheckTest {
  private final ImageCheck check = new ImageCheck(4000);

  static byte[] encode(BufferedImage img, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(img, format, out)) {
      throw new IOException("no writer for " + format);
    }
    return out.toByteArray();
  }

  static BufferedImage grey(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, (x * 7 + y * 3) & 0xff);
      }
    }
    return img;
  }

  @Test
  void greyAndRgbJpegsPass() throws IOException {
    ImageCheck.Result r = check.check(encode(grey(64, 48), "jpg"));
    assertTrue(r.ok(), r.problem());
    assertEquals(64, r.width());
    assertEquals(48, r.height());
    BufferedImage rgb = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    assertTrue(check.check(encode(rgb, "jpg")).ok());
  }

  @Test
  void sixteenBitPngPasses() throws IOException {
    ComponentColorModel cm =
        new ComponentColorModel(
            java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_GRAY),
            new int[] {16},
            false,
            false,
            java.awt.Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster raster = cm.createCompatibleWritableRaster(20, 10);
    raster.setSample(3, 3, 0, 60000);
    BufferedImage img = new BufferedImage(cm, raster, false, null);
    ImageCheck.Result r = check.check(encode(img, "png"));
    assertTrue(r.ok(), r.problem());
    assertEquals(20, r.width());
  }

  @Test
  void truncatedJpegIsCorrupt() throws IOException {
    byte[] full = encode(grey(200, 200), "jpg");
    ImageCheck.Result r = check.check(Arrays.copyOf(full, full.length / 2));
    assertFalse(r.ok());
    assertTrue(r.problem().contains("corrupt") || r.problem().contains("unreadable"), r.problem());
  }

  @Test
  void garbageAndEmptyAreRefused() {
    assertTrue(
        check.check("not an image at all".getBytes()).problem().contains("not a readable image"));
    assertEquals("empty image file", check.check(new byte[0]).problem());
  }

  @Test
  void hugeImageIsRefusedBeforeDecoding() throws IOException {
    ImageCheck.Result r = new ImageCheck(100).check(encode(grey(120, 10), "png"));
    assertTrue(r.problem().contains("larger than the limit"), r.problem());
  }

  @Test
  void cmykJpegDecodesThroughTwelveMonkeys() throws IOException {
    // A CMYK JPEG (as some scanners and Photoshop write them): the JDK decoder alone refuses it.
    BufferedImage cmyk = CmykJpeg.image(40, 30);
    byte[] bytes = CmykJpeg.encodeAdobe(cmyk);
    ImageCheck.Result r = check.check(bytes);
    assertTrue(r.ok(), r.problem());
    assertEquals(40, r.width());
    // Without the Adobe marker the decoders disagree on what the four channels are: refused.
    ImageCheck.Result unmarked = check.check(CmykJpeg.encode(cmyk));
    assertTrue(unmarked.problem().startsWith(ImageDecoder.DOUBTFUL), unmarked.problem());
  }
}
