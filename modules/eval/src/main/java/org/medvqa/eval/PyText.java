package org.medvqa.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Python 3 string semantics that the official evaluators rely on and Java does not share: {@code
 * str.isspace()}/{@code \s}, {@code \w}, {@code \d}, {@code strip()} and {@code split()}.
 */
final class PyText {

  private PyText() {}

  /**
   * Python's {@code str.isspace()}, which is also what {@code \s}, {@code strip()} and {@code
   * split()} use. Unlike {@link Character#isWhitespace}, it includes the no-break spaces (U+00A0,
   * U+2007, U+202F) and U+0085; the real 2019 training answers contain U+00A0.
   */
  static boolean isSpace(int c) {
    return (c >= 0x09 && c <= 0x0D)
        || (c >= 0x1C && c <= 0x20)
        || c == 0x85
        || c == 0xA0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  /**
   * Python's {@code \w} on str patterns: {@code str.isalnum()} or underscore. Combining marks are
   * not word characters there, and Java's {@code \w} is ASCII-only, so neither built-in fits.
   */
  static boolean isWordChar(int c) {
    if (c == '_' || Character.isLetter(c)) {
      return true;
    }
    int type = Character.getType(c);
    return type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER;
  }

  /** Python's {@code \d} on str patterns: any Unicode decimal digit (category Nd). */
  static boolean isDecimal(int c) {
    return Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER;
  }

  /** Python's {@code str.strip()} without arguments. */
  static String strip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  /**
   * Python's {@code str.split()} without arguments: runs of whitespace separate, no empty words.
   */
  static List<String> split(String s) {
    List<String> words = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      while (i < n && isSpace(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !isSpace(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        words.add(s.substring(start, i));
      }
    }
    return words;
  }

  /** Splits on every {@code |}, keeping empty fields (Python's {@code str.split('|')}). */
  static List<String> splitFields(String line) {
    List<String> fields = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '|') {
        fields.add(line.substring(start, i));
        start = i + 1;
      }
    }
    fields.add(line.substring(start));
    return fields;
  }

  /** The non-blank, non-comment lines of a UTF-8 resource next to this class. */
  static List<String> resourceLines(String name) {
    InputStream in = PyText.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing resource org/medvqa/eval/" + name);
    }
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines;
  }
}
