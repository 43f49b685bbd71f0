package org.medvqa.eval.report;

import java.util.Locale;

/** HTML text helpers: escaping of everything that comes from data, and number formatting. */
final class Html {
  private Html() {}

  /**
   * The text with {@code & < > " '} as character references, so that it is text in element content
   * and in quoted attribute values alike. Control characters other than tab, newline and carriage
   * return (invalid in HTML) become U+FFFD.
   */
  static String escape(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            b.append('\uFFFD');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** A score as the evaluator prints it (4 decimals), or an em dash when it is not known. */
  static String score(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "\u2014";
  }

  /** A number with {@code digits} decimals, or an em dash. */
  static String number(double v, int digits) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + digits + "f", v) : "\u2014";
  }

  /**
   * A relative URL for a path of plain segments (run folder names may hold spaces, '#', '?' or
   * non-ASCII letters): every byte outside the unreserved set is percent-encoded, segment by
   * segment, so the link cannot leave the attribute or point elsewhere.
   */
  static String relativeUrl(String... segments) {
    StringBuilder b = new StringBuilder();
    for (int s = 0; s < segments.length; s++) {
      if (s > 0) {
        b.append('/');
      }
      String seg = segments[s];
      if (seg.equals("..") || seg.equals(".")) {
        b.append(seg);
        continue;
      }
      for (byte x : seg.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
        int c = x & 0xFF;
        if ((c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '-'
            || c == '_'
            || c == '.'
            || c == '~') {
          b.append((char) c);
        } else {
          b.append('%').append(String.format(Locale.ROOT, "%02X", c));
        }
      }
    }
    return b.toString();
  }
}
