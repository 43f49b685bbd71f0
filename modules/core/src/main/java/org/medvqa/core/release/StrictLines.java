package org.medvqa.core.release;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads a stream line by line, decoding each line as strict UTF-8. A Reader would replace bad bytes
 * with U+FFFD and so change a record silently; here a line with bad bytes comes back with its error
 * and its raw bytes (shown escaped), and the lines after it are still read. Line numbers start at
 * 1; "\n", "\r\n" and a lone "\r" end a line; a UTF-8 byte-order mark at the start of the file is
 * skipped.
 */
public final class StrictLines implements Iterator<StrictLines.Line> {
  /** A line: its number, its text (null if it is not UTF-8) and, then, the reason. */
  public record Line(int number, String text, String raw, String error) {}

  private final InputStream in;
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private byte[] buf = new byte[256];
  private int number;
  private Line next;
  private boolean eof;
  private int pushback = -1;

  public StrictLines(InputStream in) {
    this.in = in;
  }

  @Override
  public boolean hasNext() {
    if (next == null && !eof) {
      try {
        next = readLine();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return next != null;
  }

  @Override
  public Line next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Line l = next;
    next = null;
    return l;
  }

  private int read() throws IOException {
    if (pushback >= 0) {
      int b = pushback;
      pushback = -1;
      return b;
    }
    return in.read();
  }

  private Line readLine() throws IOException {
    int len = 0;
    int b;
    boolean any = false;
    while ((b = read()) >= 0) {
      any = true;
      if (b == '\n') {
        break;
      }
      if (b == '\r') {
        int c = read();
        if (c != '\n' && c >= 0) {
          pushback = c;
        }
        break;
      }
      if (len == buf.length) {
        buf = Arrays.copyOf(buf, len * 2);
      }
      buf[len++] = (byte) b;
    }
    if (!any) {
      eof = true;
      return null;
    }
    if (b < 0) {
      eof = true;
    }
    number++;
    int start = 0;
    if (number == 1
        && len >= 3
        && (buf[0] & 0xff) == 0xEF
        && (buf[1] & 0xff) == 0xBB
        && (buf[2] & 0xff) == 0xBF) {
      start = 3;
    }
    ByteBuffer bytes = ByteBuffer.wrap(buf, start, len - start);
    CharBuffer chars = CharBuffer.allocate(len - start);
    CoderResult r = decoder.reset().decode(bytes, chars, true);
    if (!r.isError()) {
      r = decoder.flush(chars);
    }
    if (r.isError()) {
      int at = bytes.position();
      return new Line(
          number,
          null,
          escaped(buf, start, len),
          String.format(
              "not UTF-8: invalid byte 0x%02X at byte %d of the line",
              buf[at] & 0xff, at - start + 1));
    }
    return new Line(number, chars.flip().toString(), null, null);
  }

  /** The bytes as text, with every byte that is not printable ASCII written as \xNN. */
  static String escaped(byte[] b, int start, int len) {
    StringBuilder s = new StringBuilder(len - start);
    for (int i = start; i < len; i++) {
      int v = b[i] & 0xff;
      if (v >= 0x20 && v < 0x7f && v != '\\') {
        s.append((char) v);
      } else {
        s.append(String.format("\\x%02X", v));
      }
    }
    return s.toString();
  }
}
