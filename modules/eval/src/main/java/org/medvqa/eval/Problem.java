package org.medvqa.eval;

/**
 * One thing wrong with a submission.
 *
 * @param line the 1-based line of the submission, or 0 when the problem belongs to no line (an item
 *     of the ground truth that the submission leaves out)
 * @param message what is wrong, in words
 */
public record Problem(int line, String message) {

  @Override
  public String toString() {
    return (line > 0 ? "line " + line + ": " : "") + message;
  }
}
