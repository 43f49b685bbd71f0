package org.medvqa.augment.image;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LateralityTest {
  private final Laterality sides = new Laterality(List.of("left", "right"));

  @Test
  void wholeWordsInAnyCase() {
    assertTrue(sides.mentions("is the lesion on the LEFT?"));
    assertTrue(sides.mentions("right sided aortic arch"));
    assertTrue(sides.mentions("left-sided effusion"));
    assertTrue(sides.mentions("persistent left svc"));
    assertFalse(sides.mentions("what is the leftmost structure?"));
    assertFalse(sides.mentions("is this copyright?"));
    assertFalse(sides.mentions("what plane is this?"));
    assertFalse(sides.mentions(null));
    assertTrue(sides.anyMentions(List.of("what is abnormal?", "aberrant right subclavian")));
    assertFalse(new Laterality(List.of()).mentions("left"));
  }

  @Test
  void theAugmenterSkipsFlipsByQuestionsAndAnswers() {
    try (ImageAugmenter a = new ImageAugmenter(ImageAugmentSettings.defaults())) {
      assertTrue(a.flipsAllowed(List.of("what is abnormal?"), List.of("glioma")));
      assertFalse(a.flipsAllowed(List.of("which side, left or right?"), List.of("x")));
      assertFalse(a.flipsAllowed(List.of("what is abnormal?"), List.of("left renal vein")));
    }
    ImageAugmentSettings questionsOnly =
        TransformSamplerTest.settings("laterality.answers = false");
    try (ImageAugmenter a = new ImageAugmenter(questionsOnly)) {
      assertTrue(a.flipsAllowed(List.of("what is abnormal?"), List.of("left renal vein")));
    }
    ImageAugmentSettings off = TransformSamplerTest.settings("laterality.skip-flips = false");
    try (ImageAugmenter a = new ImageAugmenter(off)) {
      assertTrue(a.flipsAllowed(List.of("is it left?"), List.of("left")));
    }
  }
}
