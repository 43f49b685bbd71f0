package org.medvqa.augment.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parameters as a pure function of (seed, image id, variant index). */
class TransformSamplerTest {
  static ImageAugmentSettings settings(String hocon) {
    Config c = ConfigFactory.parseString(hocon).atPath(ImageAugmentSettings.PATH);
    return ImageAugmentSettings.from(c);
  }

  @Test
  void sameInputsSameParametersAndNoHiddenState() {
    TransformSampler a = new TransformSampler(ImageAugmentSettings.defaults());
    TransformSampler b = new TransformSampler(ImageAugmentSettings.defaults());
    Transform first = a.sample("synpic100108", 3, true);
    for (int i = 0; i < 5; i++) {
      a.sample("other" + i, i, true); // drawing others changes nothing
    }
    assertEquals(first, a.sample("synpic100108", 3, true));
    assertEquals(first, b.sample("synpic100108", 3, true));
    assertNotEquals(first, a.sample("synpic100108", 4, true));
    assertNotEquals(first, a.sample("synpic100109", 3, true));
    TransformSampler seeded = new TransformSampler(settings("seed = 7"));
    assertNotEquals(first, seeded.sample("synpic100108", 3, true));
  }

  @Test
  void parametersStayInTheirRangesAndEveryVariantChangesSomething() {
    ImageAugmentSettings s = ImageAugmentSettings.defaults();
    TransformSampler sampler = new TransformSampler(s);
    int shifts = 0;
    int rotations = 0;
    int blurs = 0;
    int flips = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      Transform t = sampler.sample("img" + (i / 5), i % 5 + 1, true);
      assertFalse(t.isIdentity(), t.toString());
      assertTrue(Math.abs(t.shiftX()) <= 0.10 && Math.abs(t.shiftY()) <= 0.10, t.toString());
      assertTrue(Math.abs(t.rotation()) <= 15, t.toString());
      assertTrue(t.blurSigma() == 0 || (t.blurSigma() >= 0.5 && t.blurSigma() <= 1.5));
      assertFalse(t.flipVertical(), "vertical flips are off by default");
      shifts += t.shiftX() != 0 ? 1 : 0;
      rotations += t.rotation() != 0 ? 1 : 0;
      blurs += t.blurSigma() != 0 ? 1 : 0;
      flips += t.flipHorizontal() ? 1 : 0;
    }
    // Each with probability 0.5, plus a share of the 1/16 of variants where none was drawn.
    for (int count : new int[] {shifts, rotations, blurs, flips}) {
      assertEquals(0.5 + 1.0 / 64, (double) count / n, 0.04);
    }
  }

  @Test
  void noFlipWhenFlipsAreNotAllowed() {
    TransformSampler sampler = new TransformSampler(settings("flip.vertical = 0.5"));
    Set<Boolean> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      Transform t = sampler.sample("img" + i, 1, false);
      assertFalse(t.flipHorizontal() || t.flipVertical(), t.toString());
      assertFalse(t.isIdentity());
      seen.add(sampler.sample("img" + i, 1, true).flipVertical());
    }
    assertEquals(Set.of(true, false), seen);
  }

  @Test
  void turningOneTransformOffKeepsTheOthersParameters() {
    TransformSampler all = new TransformSampler(settings("at-least-one = false"));
    TransformSampler noBlur =
        new TransformSampler(settings("at-least-one = false, blur.probability = 0"));
    for (int i = 0; i < 200; i++) {
      Transform a = all.sample("img" + i, 2, true);
      Transform b = noBlur.sample("img" + i, 2, true);
      assertEquals(0.0, b.blurSigma());
      assertEquals(a.rotation(), b.rotation());
      assertEquals(a.shiftX(), b.shiftX());
      assertEquals(a.flipHorizontal(), b.flipHorizontal());
    }
  }

  @Test
  void withEverythingOffAVariantIsTheOriginal() {
    TransformSampler none =
        new TransformSampler(
            settings(
                "shift.probability = 0, rotate.probability = 0, blur.probability = 0,"
                    + " flip.horizontal = 0"));
    assertTrue(none.sample("x", 1, true).isIdentity());
  }

  @Test
  void theDrawsAreFixedForever() {
    // Golden values: a change here changes the bytes of every existing output, and the folder of
    // every variant (the shard is this hash).
    assertEquals(983611070912456132L, TransformSampler.hash("synpic100108"));
    Transform t =
        new TransformSampler(ImageAugmentSettings.defaults()).sample("synpic100108", 1, true);
    assertEquals(
        new Transform(
            1,
            true,
            false,
            5.715061304640921,
            0.08084276645304816,
            -0.07280284030852283,
            1.4037233925713881),
        t);
  }
}
