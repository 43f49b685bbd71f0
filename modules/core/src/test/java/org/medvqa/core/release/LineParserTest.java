package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Category;

class LineParserTest {
  private static TextSource src(TextFormat f) {
    return new TextSource("file:/r/x.txt", f, "train", "vqa", null, "file:/r/img");
  }

  @Test
  void qaLine() {
    LineParser.Result r = LineParser.parse("synpic1|what is shown?|ct", src(TextFormat.QA));
    assertFalse(r.isRejected());
    QaRecord q = r.records().get(0);
    assertEquals("synpic1", q.imageId());
    assertEquals("what is shown?", q.question());
    assertEquals(List.of("ct"), q.answers());
    assertEquals(null, q.category());
  }

  @Test
  void test2019LineSplitsAlternativesAndReadsCategory() {
    LineParser.Result r =
        LineParser.parse(
            "synpic2|organ|what organ system is shown?|gastrointestinal#lung, mediastinum, pleura",
            src(TextFormat.TEST_2019));
    QaRecord q = r.records().get(0);
    assertEquals(Category.ORGAN, q.category());
    assertEquals(List.of("gastrointestinal", "lung, mediastinum, pleura"), q.answers());
  }

  @Test
  void categoryFileGivesItsCategory() {
    TextSource s =
        new TextSource(
            "file:/r/C2_Plane_train.txt",
            TextFormat.CATEGORY_QA,
            "train",
            "vqa",
            Category.PLANE,
            null);
    assertEquals(
        Category.PLANE, LineParser.parse("a|in what plane?|axial", s).records().get(0).category());
  }

  @Test
  void vqgReferencesGiveOneRecordPerQuestion() {
    TextSource s = new TextSource("file:/r/q.txt", TextFormat.VQG_REFS, "test", "vqg", null, null);
    LineParser.Result r = LineParser.parse("img1|what is seen?|is this normal?|where is it?", s);
    assertEquals(3, r.records().size());
    assertTrue(r.records().stream().allMatch(q -> q.task().equals("vqg") && q.answers().isEmpty()));
  }

  @Test
  void answersLineKeepsEveryAlternative() {
    LineParser.Result r = LineParser.parse("img|a#b|c", src(TextFormat.ANSWERS));
    assertEquals(List.of("a", "b", "c"), r.records().get(0).answers());
  }

  @Test
  void badInputsAreRejectedWithTheirReason() {
    assertReason(
        "wrong field count: 2 fields, expected 3", "synpic1|only question?", TextFormat.QA);
    assertReason("wrong field count: 4 fields", "a|b?|c|d", TextFormat.QA);
    assertReason("empty question", "synpic1|  |ct", TextFormat.QA);
    assertReason("empty answer", "synpic1|what?| ", TextFormat.QA);
    assertReason("empty alternative answer", "synpic1|what?|ct#", TextFormat.QA);
    assertReason("contains a path separator", "../etc/passwd|what?|ct", TextFormat.QA);
    assertReason("contains a path separator", "a\\b|what?|ct", TextFormat.QA);
    assertReason("contains '..'", "a..b|what?|ct", TextFormat.QA);
    assertReason("empty image id", "|what?|ct", TextFormat.QA);
    assertReason("unknown category 'colour'", "a|colour|what?|red", TextFormat.TEST_2019);
    assertReason("empty question in field 3", "a|q1?||q3?", TextFormat.VQG_REFS);
  }

  private static void assertReason(String expected, String line, TextFormat f) {
    LineParser.Result r = LineParser.parse(line, src(f));
    assertTrue(r.isRejected(), line + " should be rejected");
    assertTrue(
        r.reason().contains(expected), "reason '" + r.reason() + "' lacks '" + expected + "'");
    assertTrue(r.records().isEmpty());
  }
}
