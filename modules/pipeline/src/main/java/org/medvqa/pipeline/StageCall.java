package org.medvqa.pipeline;

import org.medvqa.core.stage.StageContext;

/**
 * How the pipeline runs one stage: with the stage's config in {@code ctx}, as its command-line job
 * does (the jobs module passes each job's {@code run}), so that a stage run by the pipeline prints
 * and writes what the same job run alone would.
 */
@FunctionalInterface
public interface StageCall {
  void run(StageContext ctx) throws Exception;
}
