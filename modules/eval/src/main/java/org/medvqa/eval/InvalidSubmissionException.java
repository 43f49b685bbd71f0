package org.medvqa.eval;

import java.util.List;

/** A submission that the official checker would refuse; carries every problem found. */
public final class InvalidSubmissionException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** How many problems the message lists; {@link #problems()} has them all. */
  private static final int LISTED = 20;

  private final String source;
  private final transient List<Problem> problems;

  /** A refusal of the submission read from {@code source}. */
  public InvalidSubmissionException(String source, List<Problem> problems) {
    super(message(source, problems));
    this.source = source;
    this.problems = List.copyOf(problems);
  }

  /** The submission's source name. */
  public String source() {
    return source;
  }

  /** Every problem, in line order, missing items last. */
  public List<Problem> problems() {
    return problems;
  }

  private static String message(String source, List<Problem> problems) {
    StringBuilder b = new StringBuilder();
    b.append("submission ")
        .append(source)
        .append(" has ")
        .append(problems.size())
        .append(problems.size() == 1 ? " problem:" : " problems:");
    for (int i = 0; i < Math.min(LISTED, problems.size()); i++) {
      b.append("\n  ").append(problems.get(i));
    }
    if (problems.size() > LISTED) {
      b.append("\n  … and ").append(problems.size() - LISTED).append(" more");
    }
    return b.toString();
  }
}
