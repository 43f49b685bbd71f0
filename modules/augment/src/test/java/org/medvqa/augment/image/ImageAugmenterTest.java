package org.medvqa.augment.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Decoding every kind of image a release holds, and the variants: sizes, determinism, encoding.
 * (CMYK and YCCK JPEGs are made with core's test fixture, in core's and the jobs' tests.)
 */
class ImageAugmenterTest {
  private static final ImageAugmentSettings DEFAULTS = ImageAugmentSettings.defaults();

  static BufferedImage grey(int w, int h) {
    return TestImages.pattern(w, h, 1).toImage();
  }

  static BufferedImage colour(int w, int h) {
    return TestImages.pattern(w, h, 3).toImage();
  }

  static BufferedImage sixteenBit(int w, int h, int bands) {
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(bands == 1 ? ColorSpace.CS_GRAY : ColorSpace.CS_sRGB),
            bands == 1 ? new int[] {16} : new int[] {16, 16, 16},
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster r = cm.createCompatibleWritableRaster(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int b = 0; b < bands; b++) {
          r.setSample(x, y, b, (x * 1000 + y * 50 + b * 7000) & 0xffff);
        }
      }
    }
    return new BufferedImage(cm, r, false, null);
  }

  private static ImageAugmenter.Source decode(byte[] bytes) {
    try (ImageAugmenter a = new ImageAugmenter(DEFAULTS)) {
      return a.decode(bytes);
    }
  }

  @Test
  void greyJpegStaysGreyWithItsValues() throws IOException {
    BufferedImage g = grey(40, 30);
    ImageAugmenter.Source s = decode(TestImages.encode(g, "png"));
    assertTrue(s.ok(), s.problem());
    assertEquals(1, s.pixels().channels());
    // Lossless grey PNG: the exact sample values, not brightened through an sRGB conversion.
    assertEquals(TestImages.pattern(40, 30, 1), s.pixels());
    ImageAugmenter.Source jpeg = decode(TestImages.encode(g, "jpg"));
    assertEquals(1, jpeg.pixels().channels());
    assertEquals(TestImages.pattern(40, 30, 1).mean(), jpeg.pixels().mean(), 1.0);
  }

  @Test
  void colourStaysColourAndGreyStoredAsColourBecomesOneChannel() throws IOException {
    ImageAugmenter.Source c = decode(TestImages.encode(colour(24, 16), "png"));
    assertEquals(3, c.pixels().channels());
    assertEquals(TestImages.pattern(24, 16, 3), c.pixels());
    // An RGB file with equal channels, as most VQA-Med radiographs are.
    ByteImage asColour = ByteImage.blank(24, 16, 3);
    ByteImage g = TestImages.pattern(24, 16, 1);
    for (int i = 0; i < g.data().length; i++) {
      Arrays.fill(asColour.data(), i * 3, i * 3 + 3, g.data()[i]);
    }
    ImageAugmenter.Source collapsed = decode(TestImages.encode(asColour.toImage(), "png"));
    assertEquals(g, collapsed.pixels());
    ImageAugmentSettings keep = TransformSamplerTest.settings("collapse-grey = false");
    try (ImageAugmenter a = new ImageAugmenter(keep)) {
      assertEquals(3, a.decode(TestImages.encode(asColour.toImage(), "png")).pixels().channels());
    }
  }

  @Test
  void progressiveJpegDecodes() throws IOException {
    ImageAugmenter.Source s = decode(TestImages.progressiveJpeg(colour(50, 40)));
    assertTrue(s.ok(), s.problem());
    assertEquals(50, s.pixels().width());
    assertEquals(40, s.pixels().height());
    assertEquals(TestImages.pattern(50, 40, 3).mean(), s.pixels().mean(), 3.0);
  }

  @Test
  void sixteenBitPngsAreScaledToEightBits() throws IOException {
    ImageAugmenter.Source g = decode(TestImages.encode(sixteenBit(20, 10, 1), "png"));
    assertTrue(g.ok(), g.problem());
    assertEquals(1, g.pixels().channels());
    int v = (3 * 1000 + 4 * 50) & 0xffff;
    assertEquals(Math.round(v * 255.0 / 65535), g.pixels().get(3, 4, 0));
    ImageAugmenter.Source c = decode(TestImages.encode(sixteenBit(20, 10, 3), "png"));
    assertTrue(c.ok(), c.problem());
    assertEquals(3, c.pixels().channels());
    int red = (5 * 1000 + 2 * 50) & 0xffff;
    // Channel order B, G, R: red is channel 2.
    assertEquals(Math.round(red * 255.0 / 65535), c.pixels().get(5, 2, 2));
  }

  @Test
  void palettePngsBecomeGreyOrColour() throws IOException {
    byte[] ramp = new byte[256];
    for (int i = 0; i < 256; i++) {
      ramp[i] = (byte) i;
    }
    BufferedImage greyPalette =
        new BufferedImage(
            8, 8, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, ramp, ramp, ramp));
    greyPalette.getRaster().setSample(2, 3, 0, 200);
    ImageAugmenter.Source g = decode(TestImages.encode(greyPalette, "png"));
    assertEquals(1, g.pixels().channels());
    assertEquals(200, g.pixels().get(2, 3, 0));
    byte[] zero = new byte[256];
    BufferedImage redPalette =
        new BufferedImage(
            8, 8, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, ramp, zero, zero));
    redPalette.getRaster().setSample(1, 1, 0, 99);
    ImageAugmenter.Source c = decode(TestImages.encode(redPalette, "png"));
    assertEquals(3, c.pixels().channels());
    assertEquals(99, c.pixels().get(1, 1, 2));
  }

  @Test
  void truncatedEmptyAndGarbageFilesHaveAReason() throws IOException {
    byte[] full = TestImages.encode(colour(200, 150), "jpg");
    ImageAugmenter.Source t = decode(Arrays.copyOf(full, full.length / 2));
    assertFalse(t.ok());
    assertNull(t.pixels());
    assertTrue(t.problem().startsWith("corrupt image") || t.problem().startsWith("unreadable"));
    assertEquals("empty image file", decode(new byte[0]).problem());
    assertEquals("not a readable image format", decode("hello".getBytes()).problem());
  }

  @Test
  void variantsAreReproducibleToTheByte() throws IOException {
    byte[] src = TestImages.encode(colour(64, 48), "jpg");
    byte[][] first = new byte[5][];
    try (ImageAugmenter a = new ImageAugmenter(DEFAULTS)) {
      ByteImage p = a.decode(src).pixels();
      for (int k = 1; k <= 5; k++) {
        first[k - 1] = a.render(p, "img7", k, true).bytes();
      }
    }
    // A new augmenter (as in a retried task on another executor) writes the same bytes.
    try (ImageAugmenter b = new ImageAugmenter(DEFAULTS)) {
      ByteImage p = b.decode(src).pixels();
      for (int k = 5; k >= 1; k--) {
        assertArrayEquals(first[k - 1], b.render(p, "img7", k, true).bytes(), "variant " + k);
      }
    }
    try (ImageAugmenter c = new ImageAugmenter(TransformSamplerTest.settings("seed = 1"))) {
      ByteImage p = c.decode(src).pixels();
      assertFalse(Arrays.equals(first[0], c.render(p, "img7", 1, true).bytes()));
    }
  }

  @Test
  void pngVariantsHoldExactlyTheTransformedPixels() throws IOException {
    ImageAugmentSettings png = TransformSamplerTest.settings("format = png");
    try (ImageAugmenter a = new ImageAugmenter(png)) {
      ByteImage p = TestImages.pattern(33, 21, 3);
      ImageAugmenter.Variant v = a.render(p, "x", 2, true);
      ByteImage expected = Transforms.apply(p, v.transform());
      BufferedImage back = ImageIO.read(new ByteArrayInputStream(v.bytes()));
      assertNotNull(back);
      assertEquals(expected, ByteImage.of(back));
      assertEquals(v.transform().shiftXPixels(33), v.shiftX());
      assertEquals(33, v.width());
      assertEquals(3, v.channels());
    }
  }

  @Test
  void jpegVariantsAreJpegsOfTheRightSize() throws IOException {
    try (ImageAugmenter a = new ImageAugmenter(DEFAULTS)) {
      ByteImage p = TestImages.pattern(64, 40, 1);
      ImageAugmenter.Variant v = a.render(p, "y", 1, true);
      assertEquals((byte) 0xFF, v.bytes()[0]);
      assertEquals((byte) 0xD8, v.bytes()[1]);
      BufferedImage back = ImageIO.read(new ByteArrayInputStream(v.bytes()));
      assertEquals(64, back.getWidth());
      assertEquals(BufferedImage.TYPE_BYTE_GRAY, back.getType());
      ByteImage expected = Transforms.apply(p, v.transform());
      assertEquals(expected.mean(), ByteImage.of(back).mean(), 2.0);
    }
  }
}
