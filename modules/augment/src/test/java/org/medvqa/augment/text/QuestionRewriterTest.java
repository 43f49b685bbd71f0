package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Category;

class QuestionRewriterTest {
  static PosTagger tagger;

  @BeforeAll
  static void load() {
    tagger = new PosTagger(QuestionAugmentSettings.defaults());
  }

  static final NeighbourTable TABLE =
      TestSpaces.table(
          Map.of(
              "liver", List.of("kidney", "spleen", "pancreas"),
              "picture", List.of("image", "photo", "photograph"),
              "shown", List.of("displayed", "depicted", "seen"),
              "organ", List.of("liver", "kidney"),
              "plane", List.of("axis", "section"),
              "pâté", List.of("terrine"),
              "patient", List.of("person")));

  private static List<String> texts(QuestionRewriter.Result r) {
    return r.variants().stream().map(Variant::question).toList();
  }

  @Test
  void oneReplacementPerVariantBestNeighboursFirst() {
    QuestionAugmentSettings s =
        TestSpaces.settings("variants = 4, same-pos = false, keep-category = false");
    QuestionRewriter rw = new QuestionRewriter(s, TABLE, tagger);
    QuestionRewriter.Result r = rw.rewrite("s1", "is the liver shown in the picture?");
    assertEquals(QuestionRewriter.Outcome.REWRITTEN, r.outcome());
    assertEquals(3, r.candidates());
    assertEquals(4, r.variants().size());
    // The first three use each candidate's best neighbour (in a seeded order), the fourth a
    // second best.
    List<String> firstThree = new ArrayList<>(texts(r).subList(0, 3));
    firstThree.sort(null);
    assertEquals(
        List.of(
            "is the kidney shown in the picture?",
            "is the liver displayed in the picture?",
            "is the liver shown in the image?"),
        firstThree);
    for (Variant v : r.variants()) {
      assertEquals(1, v.replacements().size());
    }
    assertEquals(List.of(1, 2, 3, 4), r.variants().stream().map(Variant::variant).toList());
    Replacement first = r.variants().get(3).replacements().get(0);
    assertEquals(0.85f, first.similarity(), 1e-6);
  }

  @Test
  void allCandidatesAtOnce() {
    QuestionAugmentSettings s =
        TestSpaces.settings("mode = all, variants = 5, same-pos = false, keep-category = false");
    QuestionRewriter.Result r =
        new QuestionRewriter(s, TABLE, tagger).rewrite("s1", "is the liver shown in the picture?");
    assertEquals(
        List.of(
            "is the kidney displayed in the image?",
            "is the spleen depicted in the photo?",
            "is the pancreas seen in the photograph?"),
        texts(r));
    assertEquals(3, r.variants().get(0).replacements().size());
    assertEquals("liver", r.variants().get(0).replacements().get(0).from());
    assertEquals(2, r.variants().get(0).replacements().get(0).position());
  }

  @Test
  void protectedWordsAreNeverTouched() {
    // organ and plane are protected by default, though the table has neighbours for them.
    QuestionAugmentSettings s = TestSpaces.settings("variants = 10, same-pos = false");
    QuestionRewriter rw = new QuestionRewriter(s, TABLE, tagger);
    for (String q :
        List.of(
            "which organ is shown in this picture?",
            "in which plane is the liver shown?",
            "what organ system is shown in the picture?")) {
      QuestionRewriter.Result r = rw.rewrite("s", q);
      assertFalse(r.variants().isEmpty(), q);
      for (Variant v : r.variants()) {
        for (Replacement p : v.replacements()) {
          assertFalse(List.of("organ", "plane").contains(p.from()), v.toString());
        }
        assertTrue(v.question().contains("organ") || v.question().contains("plane"), v.toString());
        assertEquals(Category.infer(q), Category.infer(v.question()), v.toString());
      }
    }
  }

  @Test
  void aRewriteThatChangesTheCategoryIsDropped() {
    // "picture" -> "image" would be fine, but "kind of image" makes it a modality question.
    NeighbourTable t = TestSpaces.table(Map.of("picture", List.of("image", "photo")));
    QuestionRewriter keep =
        new QuestionRewriter(TestSpaces.settings("same-pos = false"), t, tagger);
    QuestionRewriter.Result r = keep.rewrite("s", "what kind of picture abnormality is seen?");
    assertEquals(List.of("what kind of photo abnormality is seen?"), texts(r));
    QuestionRewriter loose =
        new QuestionRewriter(
            TestSpaces.settings("same-pos = false, keep-category = false"), t, tagger);
    assertEquals(
        2, loose.rewrite("s", "what kind of picture abnormality is seen?").variants().size());
  }

  @Test
  void theSameSeedGivesTheSameVariantsAndAnotherSeedAnotherOrder() {
    String q = "is the liver shown in the picture?";
    QuestionAugmentSettings a = TestSpaces.settings("variants = 2, same-pos = false, seed = 1");
    QuestionAugmentSettings b = TestSpaces.settings("variants = 2, same-pos = false, seed = 2");
    boolean differs = false;
    for (int i = 0; i < 20; i++) {
      String id = "2019-train-" + i;
      List<Variant> first = new QuestionRewriter(a, TABLE, tagger).rewrite(id, q).variants();
      List<Variant> again = new QuestionRewriter(a, TABLE, tagger).rewrite(id, q).variants();
      assertEquals(first, again);
      List<Variant> other = new QuestionRewriter(b, TABLE, tagger).rewrite(id, q).variants();
      differs |= !first.equals(other);
    }
    assertTrue(differs, "seeds 1 and 2 order the candidates the same way for 20 samples");
  }

  @Test
  void emptyOneWordAllStopwordAndNonAsciiQuestions() {
    QuestionAugmentSettings s = TestSpaces.settings("same-pos = false, keep-category = false");
    QuestionRewriter rw = new QuestionRewriter(s, TABLE, tagger);
    assertEquals(QuestionRewriter.Outcome.NO_CANDIDATES, rw.rewrite("e", "").outcome());
    assertEquals(QuestionRewriter.Outcome.NO_CANDIDATES, rw.rewrite("b", "   ").outcome());
    assertEquals(
        QuestionRewriter.Outcome.NO_CANDIDATES, rw.rewrite("w", "what is this?").outcome());
    assertEquals(QuestionRewriter.Outcome.NO_CANDIDATES, rw.rewrite("p", "modality?").outcome());
    assertEquals(List.of("kidney?", "spleen?", "pancreas?"), texts(rw.rewrite("o", "liver?")));
    QuestionRewriter.Result u = rw.rewrite("u", "is the pâté in the ñandú's picture?");
    assertTrue(texts(u).contains("is the terrine in the ñandú's picture?"), texts(u).toString());
    assertTrue(texts(u).contains("is the pâté in the ñandú's image?"), texts(u).toString());
    assertEquals(
        QuestionRewriter.Outcome.NO_NEIGHBOURS,
        rw.rewrite("n", "is the spleen enlarged?").outcome());
  }

  @Test
  void keepsSpacingPunctuationAndCapitals() {
    // Capitalised words may be tagged PROPN, so that tag is a candidate here.
    QuestionAugmentSettings s =
        TestSpaces.settings("same-pos = false, variants = 1, tags = [NOUN, PROPN, ADJ, VERB]");
    QuestionRewriter rw =
        new QuestionRewriter(s, TestSpaces.table(Map.of("liver", List.of("kidney"))), tagger);
    assertEquals(
        List.of("Is the  Kidney\tenlarged ?"), texts(rw.rewrite("c", "Is the  Liver\tenlarged ?")));
    assertEquals(
        List.of("IS THE KIDNEY ENLARGED?"), texts(rw.rewrite("c", "IS THE LIVER ENLARGED?")));
  }

  @Test
  void samePosRefusesANeighbourTaggedDifferently() {
    // "displayed" keeps the verb; "quickly" (an adverb) does not.
    NeighbourTable t = TestSpaces.table(Map.of("shown", List.of("quickly", "displayed")));
    QuestionRewriter rw = new QuestionRewriter(TestSpaces.settings("variants = 5"), t, tagger);
    assertEquals(
        List.of("what abnormality is displayed in the liver?"),
        texts(rw.rewrite("s", "what abnormality is shown in the liver?")));
    QuestionRewriter off =
        new QuestionRewriter(TestSpaces.settings("variants = 5, same-pos = false"), t, tagger);
    assertEquals(2, off.rewrite("s", "what abnormality is shown in the liver?").variants().size());
  }

  @Test
  void variantsAreDistinctAndNeverTheQuestionItself() {
    // Two candidates with the same neighbour word cannot give the same text, nor can a neighbour
    // equal to the original token.
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put("liver", List.of("liver", "kidney"));
    QuestionRewriter rw =
        new QuestionRewriter(
            TestSpaces.settings("same-pos = false, variants = 5"), TestSpaces.table(m), tagger);
    List<String> out = texts(rw.rewrite("d", "is the liver enlarged?"));
    assertEquals(List.of("is the kidney enlarged?"), out);
    assertNotEquals(0, out.size());
  }
}
