package org.medvqa.eval;

import java.io.IOException;
import java.io.InputStream;
import org.medvqa.core.release.StrictLines;

/**
 * Reads an evaluator input (a submission or a ground truth) as strictly as ingest reads a release:
 * strict UTF-8 ({@link StrictLines}), so that bytes that are not UTF-8 are refused instead of
 * becoming U+FFFD and being scored, and no control character but the tab, so that a binary file is
 * refused in one line instead of being echoed to the terminal as ids.
 */
final class StrictText {
  private StrictText() {}

  /**
   * The text of {@code in}, its lines joined by "\n" (a leading byte-order mark dropped).
   *
   * @throws EvalInputException naming the source and the first bad line
   */
  static String read(InputStream in, String source) throws IOException {
    StringBuilder text = new StringBuilder();
    StrictLines lines = new StrictLines(in);
    try {
      while (lines.hasNext()) {
        StrictLines.Line l = lines.next();
        if (l.error() != null) {
          throw new EvalInputException(source, l.number(), l.error());
        }
        String t = l.text();
        for (int i = 0; i < t.length(); i++) {
          char c = t.charAt(i);
          if ((c < 0x20 && c != '\t') || c == 0x7F) {
            throw new EvalInputException(
                source,
                l.number(),
                String.format(
                    "not a text file: control character 0x%02X at character %d of the line",
                    (int) c, i + 1));
          }
        }
        text.append(t).append('\n');
      }
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
    return text.toString();
  }
}
