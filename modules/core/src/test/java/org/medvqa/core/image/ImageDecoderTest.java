package org.medvqa.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/** The working representation from every kind of image file, made in the test. */
class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(4000);

  /** A four-channel JPEG of one colour (channel values as stored), with an Adobe APP14 marker. */
  static byte[] adobeJpeg(int[] stored, int transform) throws IOException {
    BufferedImage img = CmykJpeg.image(24, 16);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 24; x++) {
        r.setPixel(x, y, stored);
      }
    }
    byte[] plain = CmykJpeg.encode(img);
    // APP14 "Adobe": version 100, flags 0, 0, then the colour transform (0 CMYK, 2 YCCK).
    byte[] app14 = {
      (byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(plain, 0, 2); // SOI
    out.write(app14);
    out.write(plain, 2, plain.length - 2);
    return out.toByteArray();
  }

  @Test
  void adobeCmykJpegBecomesRgb() throws IOException {
    // Adobe stores CMYK inverted: C=0, M=255, Y=255, K=0 (red) is stored as 255, 0, 0, 255.
    byte[] bytes = adobeJpeg(new int[] {255, 0, 0, 255}, 0);
    ImageDecoder.Decoded d = decoder.decode(bytes);
    assertTrue(d.ok(), d.problem());
    assertRed(d.image());
    // "No embedded ICC color profile" is a note, not corruption: ingest accepts the file too.
    assertTrue(new ImageCheck(4000).check(bytes).ok());
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 40);
    assertFalse(decoder.decode(cut).ok(), "a truncated CMYK JPEG is still refused");
  }

  @Test
  void ycckJpegBecomesRgb() throws IOException {
    // The same red as YCCK: C, M, Y = (0, 255, 255) as YCbCr is (179, 171, 0); K stored inverted.
    ImageDecoder.Decoded d = decoder.decode(adobeJpeg(new int[] {179, 171, 0, 255}, 2));
    assertTrue(d.ok(), d.problem());
    assertRed(d.image());
  }

  private static void assertRed(BufferedImage img) {
    assertEquals(BufferedImage.TYPE_3BYTE_BGR, img.getType());
    int[] px = img.getRaster().getPixel(12, 8, (int[]) null); // bands R, G, B
    assertTrue(px[0] > 200 && px[1] < 60 && px[2] < 60, Arrays.toString(px));
  }

  @Test
  void theTestsCmykFixtureDecodesToo() throws IOException {
    ImageDecoder.Decoded d = decoder.decode(CmykJpeg.encodeAdobe(CmykJpeg.image(40, 30)));
    assertTrue(d.ok(), d.problem());
    assertEquals(BufferedImage.TYPE_3BYTE_BGR, d.image().getType());
    assertEquals(40, d.image().getWidth());
  }

  /**
   * Four components without an Adobe marker: libjpeg and PIL read CMYK, TwelveMonkeys reads YCbCr
   * with alpha (component ids 1-4) and drops the K channel. A CMYK radiograph drawn in K alone (C =
   * M = Y = 0) then comes out as one flat colour: refused, with the reason.
   */
  @Test
  void aFourComponentJpegWithoutAdobeMarkerIsDoubtful() throws IOException {
    BufferedImage img = CmykJpeg.image(32, 32);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        img.getRaster().setPixel(x, y, new int[] {0, 0, 0, (x * 8) & 0xff});
      }
    }
    byte[] unmarked = CmykJpeg.encode(img);
    // What the decoder alone makes of it: nearly one colour, the picture in K lost.
    BufferedImage raw =
        ImageDecoder.normalise(ImageIO.read(new java.io.ByteArrayInputStream(unmarked)));
    int[] left = raw.getRaster().getPixel(2, 16, (int[]) null);
    int[] right = raw.getRaster().getPixel(29, 16, (int[]) null);
    assertTrue(
        Math.abs(left[0] - right[0]) < 8 && Math.abs(left[2] - right[2]) < 8,
        Arrays.toString(left) + " " + Arrays.toString(right));
    ImageDecoder.Decoded d = decoder.decode(unmarked);
    assertFalse(d.ok());
    assertTrue(d.problem().startsWith(ImageDecoder.DOUBTFUL), d.problem());
    assertTrue(d.problem().contains("without an Adobe marker"), d.problem());
    // With the marker every decoder reads CMYK, stored inverted (Adobe's convention): accepted,
    // and the picture in K survives.
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        img.getRaster().setPixel(x, y, new int[] {255, 255, 255, 255 - ((x * 8) & 0xff)});
      }
    }
    ImageDecoder.Decoded marked = decoder.decode(CmykJpeg.encodeAdobe(img));
    assertTrue(marked.ok(), marked.problem());
    int[] l = marked.image().getRaster().getPixel(2, 16, (int[]) null);
    int[] r = marked.image().getRaster().getPixel(29, 16, (int[]) null);
    assertTrue(Math.abs(l[0] - r[0]) > 100, Arrays.toString(l) + " " + Arrays.toString(r));
  }

  /** Three components: accepted where decoders agree on the colour space, refused elsewhere. */
  @Test
  void threeComponentLayoutsAreAcceptedOnlyWhereDecodersAgree() throws IOException {
    BufferedImage rgb = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        rgb.getRaster().setPixel(x, y, new int[] {x * 8, 100, 255 - y * 8});
      }
    }
    byte[] jfif = ImageCheckTest.encode(rgb, "jpg");
    assertTrue(decoder.decode(jfif).ok(), "JFIF, 4:2:0");
    // The JDK writes a JFIF-less, unsubsampled three-component JPEG as RGB and reads it so;
    // libjpeg,
    // PIL and TwelveMonkeys read it as YCbCr.
    byte[] noJfif444 = Jpegs.write(rgb, false, null, new int[][] {{1, 1}, {1, 1}, {1, 1}}, -1);
    assertTrue(decoder.decode(noJfif444).problem().contains("without chroma subsampling"));
    // Odd component ids without a marker: each decoder guesses.
    byte[] odd = Jpegs.write(rgb, false, new int[] {0, 1, 2}, null, -1);
    assertTrue(decoder.decode(odd).problem().contains("component ids 0, 1, 2"));
    // Agreed on: R, G, B ids, an Adobe marker, subsampled chroma with ids 1, 2, 3.
    for (byte[] ok :
        List.of(
            Jpegs.write(
                rgb, false, new int[] {'R', 'G', 'B'}, new int[][] {{1, 1}, {1, 1}, {1, 1}}, -1),
            Jpegs.write(rgb, false, null, new int[][] {{1, 1}, {1, 1}, {1, 1}}, 1),
            Jpegs.write(rgb, false, null, null, -1))) {
      ImageDecoder.Decoded d = decoder.decode(ok);
      assertTrue(d.ok(), d.problem());
      int[] px = d.image().getRaster().getPixel(16, 16, (int[]) null); // R, G, B
      assertTrue(Math.abs(px[1] - 100) < 12 && Math.abs(px[2] - 128) < 12, Arrays.toString(px));
    }
    // A grey JPEG has one component: nothing to guess.
    assertTrue(decoder.decode(ImageCheckTest.encode(ImageCheckTest.grey(16, 16), "jpg")).ok());
  }

  @Test
  void transparentPixelsAreDoubtfulAndOpaqueAlphaIsNot() throws IOException {
    BufferedImage argb = new BufferedImage(16, 16, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        argb.setRGB(x, y, 0xFF404040);
      }
    }
    assertTrue(decoder.decode(ImageCheckTest.encode(argb, "png")).ok());
    argb.setRGB(3, 3, 0x00404040); // one transparent pixel
    ImageDecoder.Decoded d = decoder.decode(ImageCheckTest.encode(argb, "png"));
    assertTrue(d.problem().startsWith(ImageDecoder.DOUBTFUL), d.problem());
    assertTrue(d.problem().contains("transparent"), d.problem());
  }

  @Test
  void greyAndColourJpegsNeedNoCopy() throws IOException {
    BufferedImage grey = ImageCheckTest.grey(30, 20);
    ImageDecoder.Decoded g = decoder.read(ImageCheckTest.encode(grey, "jpg"));
    assertSame(g.image(), ImageDecoder.normalise(g.image()));
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.image().getType());
    assertEquals("jpeg", g.format().toLowerCase(java.util.Locale.ROOT));
    BufferedImage rgb = new BufferedImage(30, 20, BufferedImage.TYPE_INT_RGB);
    ImageDecoder.Decoded c = decoder.decode(ImageCheckTest.encode(rgb, "jpg"));
    assertEquals(BufferedImage.TYPE_3BYTE_BGR, c.image().getType());
  }

  @Test
  void sixteenBitGreyKeepsItsValuesInsteadOfBrightening() throws IOException {
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_GRAY),
            new int[] {16},
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster raster = cm.createCompatibleWritableRaster(8, 4);
    for (int x = 0; x < 8; x++) {
      raster.setSample(x, 0, 0, 32768);
    }
    BufferedImage img = new BufferedImage(cm, raster, false, null);
    ImageDecoder.Decoded d = decoder.decode(ImageCheckTest.encode(img, "png"));
    assertTrue(d.ok(), d.problem());
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, d.image().getType());
    assertEquals(128, d.image().getRaster().getSample(3, 0, 0));
    // What getRGB() makes of the same pixel: linear grey 0.5 as sRGB, much brighter.
    int viaRgb = img.getRGB(3, 0) & 0xff;
    assertNotEquals(128, viaRgb);
    assertTrue(viaRgb > 160, "getRGB gives " + viaRgb);
  }

  @Test
  void progressiveJpegDecodes() throws IOException {
    BufferedImage rgb = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
    rgb.getRaster().setPixel(10, 10, new int[] {0, 0, 255});
    ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = w.getDefaultWriteParam();
    p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      w.setOutput(ios);
      w.write(null, new IIOImage(rgb, null, null), p);
    } finally {
      w.dispose();
    }
    ImageDecoder.Decoded d = decoder.decode(out.toByteArray());
    assertTrue(d.ok(), d.problem());
    assertEquals(64, d.width());
    ImageDecoder.Decoded cut = decoder.decode(Arrays.copyOf(out.toByteArray(), out.size() / 2));
    assertFalse(cut.ok());
  }

  @Test
  void describeNamesTheKind() throws IOException {
    assertEquals("1-channel 8-bit grey image", ImageDecoder.describe(ImageCheckTest.grey(4, 4)));
    assertEquals("4-channel 8-bit CMYK image", ImageDecoder.describe(CmykJpeg.image(4, 4)));
  }
}
