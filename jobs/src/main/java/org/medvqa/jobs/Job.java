package org.medvqa.jobs;

import org.medvqa.core.stage.StageContext;

/** A job: a name for the command line, a line of help, and the work. */
public interface Job {
  /** The name on the command line, e.g. {@code ingest}. */
  String name();

  /** One line for {@code medvqa --help}. */
  String summary();

  /**
   * Does the work; returning is success (exit 0). Configuration problems are thrown as {@code
   * ConfigProblem} (exit 2); a {@code StageFailure} or any other exception fails the job (exit 1).
   */
  void run(StageContext ctx) throws Exception;
}
