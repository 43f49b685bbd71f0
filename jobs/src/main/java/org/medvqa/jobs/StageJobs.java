package org.medvqa.jobs;

import java.util.EnumMap;
import java.util.Map;
import org.medvqa.pipeline.PipelineStage;
import org.medvqa.pipeline.StageCall;

/**
 * Each pipeline stage run by its command-line job, so that a stage of {@code pipeline} or {@code
 * retrain} prints and writes what the same job run alone would.
 */
final class StageJobs {
  private StageJobs() {}

  static Map<PipelineStage, StageCall> calls() {
    Map<PipelineStage, StageCall> m = new EnumMap<>(PipelineStage.class);
    m.put(PipelineStage.INGEST, new IngestJob()::run);
    m.put(PipelineStage.AUGMENT_IMAGES, new AugmentImagesJob()::run);
    m.put(PipelineStage.AUGMENT_QUESTIONS, new AugmentQuestionsJob()::run);
    m.put(PipelineStage.EXTRACT_FEATURES, new ExtractFeaturesJob()::run);
    m.put(PipelineStage.TRAIN, new TrainJob()::run);
    m.put(PipelineStage.PREDICT, new PredictJob()::run);
    m.put(PipelineStage.EVALUATE, new EvaluateJob()::run);
    m.put(PipelineStage.REPORT, new ReportJob()::run);
    return m;
  }
}
