package org.medvqa.core.stage;

/**
 * A stage or job that ran and failed for a reason the user can act on; exit code 1, no stack trace.
 */
public final class StageFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StageFailure(String message) {
    super(message);
  }
}
