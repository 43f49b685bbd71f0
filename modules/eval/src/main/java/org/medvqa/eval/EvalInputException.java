package org.medvqa.eval;

/** A ground-truth file that cannot be read as the format it is said (or detected) to be. */
public final class EvalInputException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;

  /** A problem at a line of a source (line 0: the source as a whole). */
  public EvalInputException(String source, int line, String message) {
    super(source + (line > 0 ? ":" + line : "") + ": " + message);
    this.source = source;
    this.line = line;
  }

  /** The name of the file or stream. */
  public String source() {
    return source;
  }

  /** The 1-based line number, or 0 when the problem is not tied to one line. */
  public int line() {
    return line;
  }
}
