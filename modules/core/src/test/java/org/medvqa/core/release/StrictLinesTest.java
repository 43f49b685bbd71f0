package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StrictLinesTest {
  private static List<StrictLines.Line> read(byte[] b) {
    List<StrictLines.Line> out = new ArrayList<>();
    new StrictLines(new ByteArrayInputStream(b)).forEachRemaining(out::add);
    return out;
  }

  @Test
  void numbersLinesAcrossLineEndingsAndSkipsTheByteOrderMark() {
    byte[] b = "\uFEFFa|b|c\r\nd|e|f\rg|h|i\nlast|no|newline".getBytes(StandardCharsets.UTF_8);
    List<StrictLines.Line> lines = read(b);
    assertEquals(4, lines.size());
    assertEquals("a|b|c", lines.get(0).text());
    assertEquals("d|e|f", lines.get(1).text());
    assertEquals("g|h|i", lines.get(2).text());
    assertEquals(4, lines.get(3).number());
    assertEquals("last|no|newline", lines.get(3).text());
  }

  @Test
  void keepsNonAsciiUtf8() {
    assertEquals("é|ü?|ñ", read("é|ü?|ñ\n".getBytes(StandardCharsets.UTF_8)).get(0).text());
  }

  @Test
  void aNonUtf8LineIsReportedAndTheNextLinesStillRead() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("ok|q?|a\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(new byte[] {'x', '|', 'c', (byte) 0xE9, 'f', 'e', '?', '|', 'a', '\n'});
    b.writeBytes("ok2|q?|a\n".getBytes(StandardCharsets.UTF_8));
    List<StrictLines.Line> lines = read(b.toByteArray());
    assertEquals(3, lines.size());
    StrictLines.Line bad = lines.get(1);
    assertNull(bad.text());
    assertTrue(bad.error().contains("not UTF-8"), bad.error());
    assertTrue(bad.error().contains("0xE9"), bad.error());
    assertTrue(bad.error().contains("byte 4"), bad.error());
    assertEquals("x|c\\xE9fe?|a", bad.raw());
    assertEquals("ok2|q?|a", lines.get(2).text());
  }

  @Test
  void emptyInputHasNoLines() {
    assertTrue(read(new byte[0]).isEmpty());
  }
}
