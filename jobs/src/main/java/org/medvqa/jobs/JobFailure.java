package org.medvqa.jobs;

/** A job that ran and failed for a reason the user can act on; exit code 1, no stack trace. */
public final class JobFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JobFailure(String message) {
    super(message);
  }
}
