package org.medvqa.training;

/** Training cannot go on: the message says why and what to change. */
public final class TrainingFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingFailure(String message) {
    super(message);
  }

  public TrainingFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
