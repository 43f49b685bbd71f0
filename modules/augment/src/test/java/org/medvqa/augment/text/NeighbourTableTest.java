package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NeighbourTableTest {
  static PosTagger tagger;

  @BeforeAll
  static void load() {
    tagger = new PosTagger(QuestionAugmentSettings.defaults());
  }

  private static List<String> words(NeighbourTable t, String word, String tag) {
    return Arrays.stream(t.get(word, tag)).map(Neighbour::word).toList();
  }

  @Test
  void theNeighbourOfOrganIsNotOrgansNorAStopwordNorAProtectedWord() {
    QuestionAugmentSettings s = TestSpaces.settings("protected = [plane], min-similarity = 0.5");
    NeighbourTable t = NeighbourTable.build(TestSpaces.anatomy(), List.of("organ/NOUN"), s, tagger);
    // organs: same stem; the: stopword; plane: protected; x: too short.
    assertEquals(List.of("liver", "kidney"), words(t, "organ", "NOUN"));
    assertEquals(
        (float) TestSpaces.anatomy().similarity("organ", "liver"),
        t.get("organ", "NOUN")[0].similarity(),
        1e-6);
  }

  @Test
  void sameLemmaIsRefusedEvenWhenTheStemsDiffer() {
    QuestionAugmentSettings s = TestSpaces.settings("protected = [], same-inflection = false");
    NeighbourTable t = NeighbourTable.build(TestSpaces.anatomy(), List.of("shown/VERB"), s, tagger);
    // Snowball stems "shown" and "show" differently; the lemmatizer knows they are one verb.
    List<String> n = words(t, "shown", "VERB");
    assertTrue(
        !n.contains("show") && n.contains("displayed") && n.contains("appear"), n.toString());

    QuestionAugmentSettings noLemma =
        TestSpaces.settings("protected = [], distinct-lemma = false, same-inflection = false");
    NeighbourTable u =
        NeighbourTable.build(TestSpaces.anatomy(), List.of("shown/VERB"), noLemma, tagger);
    assertEquals("show", words(u, "shown", "VERB").get(0));
  }

  @Test
  void anInflectedCandidateTakesOnlyInflectedNeighbours() {
    QuestionAugmentSettings s = TestSpaces.settings("protected = []");
    NeighbourTable t = NeighbourTable.build(TestSpaces.anatomy(), List.of("shown/VERB"), s, tagger);
    assertEquals(List.of("displayed"), words(t, "shown", "VERB"));
  }

  @Test
  void thresholdAndLimitAndUnknownWords() {
    QuestionAugmentSettings s =
        TestSpaces.settings(
            "protected = [], min-similarity = 0.8, neighbours = 1, search-depth = 5");
    NeighbourTable t =
        NeighbourTable.build(
            TestSpaces.anatomy(), List.of("organ/NOUN", "image/NOUN", "spleen/NOUN"), s, tagger);
    assertEquals(List.of("plane"), words(t, "organ", "NOUN"));
    assertEquals(List.of("picture"), words(t, "image", "NOUN"));
    assertEquals(List.of(), words(t, "spleen", "NOUN"));
    assertEquals(1, t.outOfVocabulary());
    assertEquals(1, t.withoutNeighbours());
    assertEquals(3, t.size());
    assertEquals(List.of(), words(t, "image", "VERB"), "another tag is another key");
  }
}
