package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {
  static final int S = 32;
  static final float[] M = ImagePreprocessor.CAFFE_MEAN_BGR;

  @Test
  void usesAPlainBgrImageAsItIsAndCopiesASubImage() throws Exception {
    BufferedImage bgr = new BufferedImage(9, 7, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 7; y++) {
      for (int x = 0; x < 9; x++) {
        bgr.setRGB(x, y, (x * 29) << 16 | (y * 31) << 8 | (x * y) & 0xff);
      }
    }
    assertTrue(ImagePreprocessor.plainBgr(bgr));
    assertTrue(ImagePreprocessor.toBgr(bgr) == bgr, "a plain BGR image is not copied");
    // A sub-image shares its parent's array at an offset: fill() could not read it directly.
    BufferedImage sub = bgr.getSubimage(2, 1, 5, 4);
    assertTrue(!ImagePreprocessor.plainBgr(sub));
    BufferedImage copy = ImagePreprocessor.toBgr(sub);
    assertTrue(ImagePreprocessor.plainBgr(copy));
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 5; x++) {
        assertEquals(sub.getRGB(x, y), copy.getRGB(x, y), "pixel " + x + "," + y);
      }
    }
    // A decoded JPEG (colour) is plain BGR: the case the shortcut is for.
    BufferedImage decoded =
        new ImagePreprocessor(S, false, true, false, 10_000).decode(encode(bgr, "jpg"));
    assertTrue(ImagePreprocessor.plainBgr(decoded));
  }

  static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, format, out), "no writer for " + format);
    return out.toByteArray();
  }

  static BufferedImage solid(int w, int h, Color c) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(c);
    g.fillRect(0, 0, w, h);
    g.dispose();
    return img;
  }

  static float at(float[] batch, boolean nhwc, int c, int y, int x) {
    return nhwc ? batch[(y * S + x) * 3 + c] : batch[c * S * S + y * S + x];
  }

  @Test
  void caffePreprocessingIsBgrMinusTheImageNetMeans() throws Exception {
    byte[] png = encode(solid(40, 20, new Color(200, 100, 50)), "png");
    for (boolean nhwc : new boolean[] {false, true}) {
      float[] batch = new float[2 * 3 * S * S];
      new ImagePreprocessor(S, false, true, nhwc, 1000).prepare(png, batch, 1);
      float[] second = Arrays.copyOfRange(batch, 3 * S * S, batch.length);
      assertEquals(50 - M[0], at(second, nhwc, 0, 5, 7), 1e-4);
      assertEquals(100 - M[1], at(second, nhwc, 1, 5, 7), 1e-4);
      assertEquals(200 - M[2], at(second, nhwc, 2, 31, 31), 1e-4);
      assertEquals(0f, batch[17], "the first image's slot is untouched");
    }
    float[] raw = new float[3 * S * S];
    new ImagePreprocessor(S, false, false, false, 1000).prepare(png, raw, 0);
    assertEquals(200f, at(raw, false, 0, 0, 0), 1e-4, "raw is RGB 0-255");
  }

  @Test
  void stretchFillsTheSquareAndPadKeepsTheAspectRatio() throws Exception {
    BufferedImage img = solid(64, 32, Color.WHITE);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, 32, 32); // left half black
    g.dispose();
    byte[] png = encode(img, "png");
    float[] stretched = new float[3 * S * S];
    new ImagePreprocessor(S, false, false, false, 1000).prepare(png, stretched, 0);
    assertEquals(0f, at(stretched, false, 0, 0, 2), 1f);
    assertEquals(255f, at(stretched, false, 0, 31, 29), 1f);
    float[] padded = new float[3 * S * S];
    new ImagePreprocessor(S, true, true, false, 1000).prepare(png, padded, 0);
    // 64x32 -> 32x16, centred: rows 0-7 and 24-31 are the mean colour, i.e. 0 after subtraction.
    assertEquals(0f, at(padded, false, 1, 3, 10), 1f);
    assertEquals(0f, at(padded, false, 2, 28, 20), 1f);
    assertEquals(0 - M[0], at(padded, false, 0, 12, 3), 1f);
    assertEquals(255 - M[0], at(padded, false, 0, 12, 28), 1f);
  }

  @Test
  void greyImagesKeepTheirValuesIn8And16Bits() throws Exception {
    BufferedImage g8 = new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage g16 = new BufferedImage(20, 20, BufferedImage.TYPE_USHORT_GRAY);
    for (int y = 0; y < 20; y++) {
      for (int x = 0; x < 20; x++) {
        g8.getRaster().setSample(x, y, 0, 77);
        g16.getRaster().setSample(x, y, 0, 77 << 8 | 0x80);
      }
    }
    for (BufferedImage img : new BufferedImage[] {g8, g16}) {
      float[] raw = new float[3 * S * S];
      new ImagePreprocessor(S, false, false, true, 1000).prepare(encode(img, "png"), raw, 0);
      for (int c = 0; c < 3; c++) {
        assertEquals(
            77f, at(raw, true, c, 10, 10), 0.5f, "type " + img.getType() + " channel " + c);
      }
    }
  }

  @Test
  void progressiveAndGreyJpegsDecode() throws Exception {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = writer.getDefaultWriteParam();
    p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream s = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(s);
      writer.write(null, new IIOImage(solid(50, 40, new Color(10, 120, 240)), null, null), p);
    }
    writer.dispose();
    float[] raw = new float[3 * S * S];
    new ImagePreprocessor(S, false, false, false, 1000).prepare(out.toByteArray(), raw, 0);
    assertEquals(240f, at(raw, false, 2, 16, 16), 4f);
    BufferedImage grey = new BufferedImage(30, 30, BufferedImage.TYPE_BYTE_GRAY);
    new ImagePreprocessor(S, false, false, false, 1000).prepare(encode(grey, "jpg"), raw, 0);
    assertEquals(0f, at(raw, false, 1, 3, 3), 2f);
  }

  @Test
  void badFilesAreRefusedWithTheReason() throws Exception {
    ImagePreprocessor p = new ImagePreprocessor(S, false, true, false, 100);
    float[] b = new float[3 * S * S];
    assertTrue(
        assertThrows(
                ImagePreprocessor.BadImage.class, () -> p.prepare("not an image".getBytes(), b, 0))
            .getMessage()
            .contains("not a readable image format"));
    byte[] jpg = encode(solid(90, 90, Color.RED), "jpg");
    String cut =
        assertThrows(
                ImagePreprocessor.BadImage.class,
                () -> p.prepare(Arrays.copyOf(jpg, jpg.length / 3), b, 0))
            .getMessage();
    assertTrue(cut.contains("corrupt") || cut.contains("unreadable"), cut);
    String big =
        assertThrows(
                ImagePreprocessor.BadImage.class,
                () -> p.prepare(encode(solid(101, 5, Color.RED), "png"), b, 0))
            .getMessage();
    assertTrue(big.contains("larger than the limit"), big);
    assertTrue(
        assertThrows(ImagePreprocessor.BadImage.class, () -> p.prepare(new byte[0], b, 0))
            .getMessage()
            .contains("empty"));
  }
}
