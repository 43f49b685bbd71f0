package org.medvqa.eval;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** How scores are rounded and written, shared by the evaluation results. */
final class Scores {

  /** The official evaluators report {@code round(score, 4)}. */
  static final int DECIMALS = 4;

  private static final JsonFactory JSON = new JsonFactory();

  private Scores() {}

  /**
   * Python's {@code round(x, 4)}: the exact binary value rounded half-even, which {@code
   * String.format} does not promise.
   */
  static BigDecimal round(double x) {
    return new BigDecimal(x).setScale(DECIMALS, RoundingMode.HALF_EVEN);
  }

  /** The rounded score with exactly 4 decimals, e.g. {@code 0.6240}. */
  static String format(double x) {
    return round(x).toPlainString();
  }

  /** Writes JSON with the given body, turning the impossible I/O error into an unchecked one. */
  static String json(JsonBody body) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Something that writes itself with a generator. */
  @FunctionalInterface
  interface JsonBody {
    void write(JsonGenerator g) throws IOException;
  }
}
