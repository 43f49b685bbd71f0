package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PosTaggerTest {
  static PosTagger tagger;

  @BeforeAll
  static void load() {
    tagger = new PosTagger(QuestionAugmentSettings.defaults());
  }

  @Test
  void tagsFixedQuestionsInUniversalDependencies() {
    TaggedQuestion q = tagger.tag("which plane is this image taken in?");
    assertArrayEquals(
        new String[] {"which", "plane", "is", "this", "image", "taken", "in", "?"}, q.tokens());
    assertArrayEquals(
        new String[] {"PRON", "NOUN", "AUX", "DET", "NOUN", "VERB", "ADP", "PUNCT"}, q.tags());

    TaggedQuestion r = tagger.tag("what is abnormal in the ct scan?");
    assertEquals("ADJ", r.tags()[2], r.toString());
    assertEquals("NOUN", r.tags()[6], r.toString());

    TaggedQuestion s = tagger.tag("what organs are shown?");
    assertEquals(List.of("PRON", "NOUN", "AUX", "VERB", "PUNCT"), List.of(s.tags()));
  }

  @Test
  void spansPointIntoTheTextAsItWas() {
    String text = "is  this a t1 weighted,\tt2 weighted, or flair image?";
    TaggedQuestion q = tagger.tag(text);
    for (int i = 0; i < q.size(); i++) {
      assertEquals(q.tokens()[i], text.substring(q.starts()[i], q.ends()[i]));
    }
    assertEquals("image", q.tokens()[q.size() - 2]);
  }

  @Test
  void emptyBlankAndNonAsciiQuestions() {
    assertEquals(0, tagger.tag("").size());
    assertEquals(0, tagger.tag("  \t ").size());
    TaggedQuestion q = tagger.tag("is the pâté in the ñandú's stomach?");
    assertEquals("pâté", q.tokens()[2]);
    for (int i = 0; i < q.size(); i++) {
      assertEquals(q.tokens()[i], q.text().substring(q.starts()[i], q.ends()[i]));
    }
    assertThrows(IllegalArgumentException.class, () -> tagger.tag(null));
  }

  @Test
  void wordsForACorpusDropPunctuation() {
    assertEquals(
        List.of("is", "this", "a", "t1", "weighted", "x", "ray", "image"),
        tagger.words("Is this a T1 weighted, x-ray image?", true));
    assertEquals(List.of(), tagger.words(" ", true));
  }

  @Test
  void lemmasUnderATag() {
    assertEquals("organ", tagger.lemma("organs", "NOUN"));
    assertEquals("show", tagger.lemma("shown", "VERB"));
    assertEquals("take", tagger.lemma("taken", "VERB"));
    assertEquals("abnormality", tagger.lemma("abnormalities", "NOUN"));
  }
}
