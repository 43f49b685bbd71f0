package org.medvqa.augment.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Geometry on small synthetic images: where a marker lands, inverses, edge fill, blur. */
class TransformsTest {
  @Test
  void shiftMovesAMarkerByWholePixelsExactly() {
    ByteImage p = TestImages.marker(40, 30, 10, 12);
    ByteImage s = Transforms.shift(p, 4, -3);
    assertArrayEquals(new int[] {14, 9}, TestImages.brightest(s));
    assertEquals(255, s.get(14, 9, 0));
    assertEquals(255 / (40.0 * 30), s.mean(), 1e-9, "nothing but the marker moved");
  }

  @Test
  void shiftFillsTheGapWithTheEdgePixels() {
    ByteImage p = TestImages.pattern(20, 10, 3);
    ByteImage s = Transforms.shift(p, 3, 2);
    for (int y = 0; y < 10; y++) {
      for (int x = 0; x < 20; x++) {
        int sx = Math.max(0, x - 3);
        int sy = Math.max(0, y - 2);
        for (int c = 0; c < 3; c++) {
          assertEquals(p.get(sx, sy, c), s.get(x, y, c), "pixel " + x + "," + y);
        }
      }
    }
    ByteImage left = Transforms.shift(p, -25, 0); // more than the width: all the right edge
    for (int y = 0; y < 10; y++) {
      assertEquals(p.get(19, y, 1), left.get(0, y, 1));
    }
  }

  @Test
  void aQuarterTurnMovesAMarkerCounterClockwise() {
    // 21 x 21: centre (10, 10). A marker 6 px right of the centre ends 6 px above it.
    ByteImage p = TestImages.marker(21, 21, 16, 10);
    ByteImage r = Transforms.rotate(p, 90);
    assertArrayEquals(new int[] {10, 4}, TestImages.brightest(r));
    assertEquals(255, r.get(10, 4, 0), "a whole-pixel position is copied exactly");
    ByteImage back = Transforms.rotate(r, -90);
    assertEquals(p, back);
  }

  @Test
  void aSmallRotationPutsTheMarkerOnItsCircle() {
    // A 3 x 3 bright block 20 px right of the centre of a 61 x 61 image, turned by 15 degrees.
    ByteImage p = ByteImage.blank(61, 61, 1);
    for (int y = 29; y <= 31; y++) {
      for (int x = 49; x <= 51; x++) {
        p.set(x, y, 0, 200);
      }
    }
    double[] c = TestImages.centroid(Transforms.rotate(p, 15));
    double rad = Math.toRadians(15);
    assertEquals(30 + 20 * Math.cos(rad), c[0], 0.15);
    assertEquals(30 - 20 * Math.sin(rad), c[1], 0.15);
  }

  @Test
  void rotationFillsTheCornersFromTheEdges() {
    ByteImage p = ByteImage.blank(30, 30, 1);
    java.util.Arrays.fill(p.data(), (byte) 180);
    ByteImage r = Transforms.rotate(p, 12);
    assertEquals(180, r.get(0, 0, 0), "no black corner");
    assertEquals(180, r.get(29, 29, 0));
    assertEquals(180.0, r.mean(), 1e-9);
  }

  @Test
  void eachFlipIsItsOwnInverse() {
    ByteImage p = TestImages.pattern(17, 9, 3);
    ByteImage h = Transforms.flipHorizontal(p);
    assertNotEquals(p, h);
    assertEquals(p.get(0, 4, 2), h.get(16, 4, 2));
    assertEquals(p, Transforms.flipHorizontal(h));
    ByteImage v = Transforms.flipVertical(p);
    assertEquals(p.get(5, 0, 1), v.get(5, 8, 1));
    assertEquals(p, Transforms.flipVertical(v));
    // Both flips are a half turn.
    assertEquals(Transforms.geometry(p, true, true, 0, 0, 0), Transforms.rotate(p, 180));
  }

  @Test
  void compositionIsFlipThenRotationThenShift() {
    ByteImage p = TestImages.marker(21, 21, 16, 10);
    Transform t = new Transform(1, true, false, 90, 2 / 21.0, 0, 0);
    // flip: (16,10) -> (4,10); quarter turn about (10,10): (4,10) -> (10,16); shift 2: (12,16).
    assertArrayEquals(new int[] {12, 16}, TestImages.brightest(Transforms.apply(p, t)));
    assertEquals(2, t.shiftXPixels(21));
  }

  @Test
  void blurKeepsTheMeanIntensity() {
    // Content away from the edges, so that the edge rule does not matter.
    ByteImage p = ByteImage.blank(64, 48, 3);
    for (int y = 12; y < 36; y++) {
      for (int x = 16; x < 48; x++) {
        for (int c = 0; c < 3; c++) {
          p.set(x, y, c, ((x * 13) ^ (y * 7) ^ c) & 0xff);
        }
      }
    }
    for (double sigma : new double[] {0.5, 1.0, 2.5}) {
      ByteImage b = Transforms.gaussianBlur(p, sigma);
      assertEquals(p.mean(), b.mean(), 0.02, "sigma " + sigma);
      assertTrue(variance(b) < variance(p), "a blur smooths");
    }
  }

  @Test
  void blurOfAFlatImageIsTheSameImageAndTheKernelSumsToOne() {
    ByteImage p = ByteImage.blank(9, 7, 1);
    java.util.Arrays.fill(p.data(), (byte) 77);
    assertEquals(p, Transforms.gaussianBlur(p, 1.7));
    float[] k = Transforms.kernel(1.5);
    assertEquals(11, k.length, "radius ceil(3 sigma)");
    double sum = 0;
    for (float v : k) {
      sum += v;
    }
    assertEquals(1.0, sum, 1e-6);
    assertEquals(k[0], k[10]);
  }

  @Test
  void identityAndZeroSigmaChangeNothing() {
    ByteImage p = TestImages.pattern(12, 8, 1);
    assertEquals(p, Transforms.apply(p, Transform.identity(0)));
    assertEquals(p, Transforms.gaussianBlur(p, 0));
    assertEquals(p, Transforms.shift(p, 0, 0));
  }

  private static double variance(ByteImage p) {
    double m = p.mean();
    double s = 0;
    for (byte b : p.data()) {
      double d = (b & 0xff) - m;
      s += d * d;
    }
    return s / p.data().length;
  }
}
