package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AccuracyNormalizerTest {

  private static String n(String answer) {
    return AccuracyNormalizer.normalize(answer);
  }

  @Test
  void lowerCasesAndDropsArticles() {
    assertEquals("ct scan", n("The CT scan"));
    assertEquals("mri", n("\u00a0An MRI\u00a0")); // Python's strip() and split() take U+00A0
    assertEquals("yes", n("\tYes\n"));
  }

  @Test
  void mapsNumberWordsToDigits() {
    assertEquals("2", n("Two"));
    assertEquals("0", n("none"));
    assertEquals("10 lesions", n("Ten lesions"));
  }

  @Test
  void mapsWordsThroughTheContractionTable() {
    assertEquals("don't", n("dont"));
    assertEquals("isn't", n("isnt"));
    assertEquals("you're", n("youre"));
    // The table's quirks are kept: this key maps the "wrong" way, and capitalised keys never match.
    assertEquals("somebodyd", n("somebody'd"));
    assertEquals("im", n("Im"));
    assertEquals(120, AccuracyNormalizer.contractionCount());
  }

  @Test
  void punctuationInsideAWordBecomesASpace() {
    assertEquals("x ray", n("x-ray"));
    assertEquals("yes", n("yes?"));
  }

  @Test
  void punctuationNextToASpaceIsDeletedEverywhere() {
    assertEquals("cta ct angiography", n("cta - ct angiography"));
    // " - " elsewhere in the text decides for the dash inside "us-d" too: deleted, not spaced.
    assertEquals("usd doppler ultrasound", n("us-d - doppler ultrasound"));
    assertEquals("lung mediastinum pleura", n("lung, mediastinum, pleura"));
    // "(" follows a space and goes; ")" touches no space and becomes one.
    assertEquals("t2 flair axial", n("t2 flair (axial)"));
  }

  @Test
  void aDigitCommaDigitDeletesEveryMark() {
    assertEquals("1000 cells mostly", n("1,000 cells, mostly"));
    assertEquals("ab 15", n("a/b 1,5"));
  }

  @Test
  void periodsGoUnlessADigitFollows() {
    assertEquals("1.5 cm", n("1.5 cm."));
    assertEquals("ab", n("a.b"));
    assertEquals("3.14.15", n("3.14.15"));
    assertEquals("eg 1", n("e.g. one"));
  }

  @Test
  void atMost32PeriodsAreStripped() {
    // re.sub(pattern, "", text, re.UNICODE) passes 32 as the count: 40 periods leave 8.
    assertEquals(".".repeat(8), n(".".repeat(40)));
    assertEquals("", n(".".repeat(32)));
  }

  @Test
  void alternativesAreMatchedOneByOne() {
    // What the evaluator does with "#"-separated references.
    String candidate = n("Spine and contents.");
    assertEquals("spine and contents", candidate);
    assertEquals(candidate, n("spine and contents"));
  }
}
