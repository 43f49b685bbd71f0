/**
 * The pipeline as data: a table of stages ({@link org.medvqa.pipeline.PipelineStage}) walked by
 * {@link org.medvqa.pipeline.Pipeline} through {@link org.medvqa.pipeline.StageRunner}
 * (fingerprints; skip, refuse or remake an output), the run's typed record, and retraining over a
 * model registry. Each stage is run by a {@link org.medvqa.pipeline.StageCall} the jobs module
 * supplies, so this module depends on no job.
 */
package org.medvqa.pipeline;
