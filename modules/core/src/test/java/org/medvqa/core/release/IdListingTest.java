package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A text file none of whose lines has a '|' is a listing of image ids, whatever its name: the 2021
 * VQG test ships {@code Task2-VQGeneration2021-TestSet.txt}, one id per line, beside its
 * references, and read as reference answers every one of its lines was rejected. A file of pairs
 * some of whose lines lost their separators is still read as pairs, and those lines rejected.
 */
class IdListingTest {
  private static final String VQG_TEST = "file:/d/VQA-Med-2021/Task2-VQGeneration-TestSet/";

  private static TextSource byName(ReleaseLayout.Plan p, String name) {
    return p.sources().stream().filter(s -> s.fileName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void vqg2021TestListingIsReadAsImageIdsBesideItsReferences() {
    Map<String, String> files =
        Map.of(
            VQG_TEST + "Task2-VQGeneration2021-TestSet-ReferenceQuestions.txt",
            "synpic101|what is abnormal in the ct?|what is seen in this image?\n"
                + "synpic102|what organ is shown?|is this normal?\n",
            VQG_TEST + "Task2-VQGeneration2021-TestSet.txt",
            "synpic101\nsynpic102\n\nsynpic103.jpg\n");
    AtomicInteger closed = new AtomicInteger();
    ReleaseLayout.Plan p =
        ReleaseLayout.detect(
            List.copyOf(files.keySet()),
            List.of(VQG_TEST + "VQGeneration_2021_Test_Images"),
            path -> ReleaseLayoutTest.linesOf(files).apply(path).onClose(closed::incrementAndGet),
            null);
    assertEquals(2, closed.get(), "detection closes what it reads");
    assertEquals("2021", p.release());
    assertTrue(p.ignored().isEmpty(), p.ignored().toString());
    TextSource refs = byName(p, "Task2-VQGeneration2021-TestSet-ReferenceQuestions.txt");
    assertEquals(TextFormat.VQG_REFS, refs.format());
    TextSource ids = byName(p, "Task2-VQGeneration2021-TestSet.txt");
    assertEquals(TextFormat.IMAGE_IDS, ids.format());
    assertEquals("test", ids.split());
    assertEquals("vqg", ids.task());
    assertEquals(VQG_TEST + "VQGeneration_2021_Test_Images", ids.imageDir());
    for (String line : List.of("synpic101", "synpic102", "synpic103.jpg")) {
      LineParser.Result r = LineParser.parse(line, ids);
      assertFalse(r.isRejected(), r.reason());
      assertTrue(r.records().isEmpty());
    }
    // Read, not skipped: a line of it that is no image id is rejected naming it.
    assertEquals(
        "image id 'synpic 104' has characters other than letters, digits, '.', '_' and '-'",
        LineParser.parse("synpic 104", ids).reason());
  }

  @Test
  void fileOfPairsWithLinesWithoutSeparatorsIsReadAsPairsThoseLinesRejected() {
    String r = "file:/d/VQA-Med-2020/VQAMed2020-VQAnswering-TrainingSet/";
    String pair = "synpic2|what is abnormal in the ct scan?|pneumonia";
    for (String text : List.of("synpic1\n" + pair + "\nsynpic3\n", pair + "\nsynpic1\n")) {
      Map<String, String> files = Map.of(r + "VQAnswering_2020_Train_QA_pairs.txt", text);
      ReleaseLayout.Plan p =
          ReleaseLayout.detect(
              List.copyOf(files.keySet()), List.of(), ReleaseLayoutTest.linesOf(files), null);
      TextSource s = p.sources().get(0);
      assertEquals(TextFormat.QA, s.format(), text);
      assertEquals(
          "wrong field count: 1 fields, expected 3 for format qa",
          LineParser.parse("synpic1", s).reason());
      assertEquals(1, LineParser.parse(pair, s).records().size());
    }
  }

  @Test
  void formatLineReadsNoFurtherThanTheFirstLineWithASeparator() {
    Iterator<String> lines = List.of("synpic1", "synpic2|what is shown?|ct", "unread").iterator();
    assertEquals("synpic2|what is shown?|ct", ReleaseLayout.formatLine(lines));
    assertEquals("unread", lines.next());
    assertEquals("synpic1", ReleaseLayout.formatLine(List.of("synpic1", "synpic2").iterator()));
    assertNull(ReleaseLayout.formatLine(List.<String>of().iterator()));
  }
}
