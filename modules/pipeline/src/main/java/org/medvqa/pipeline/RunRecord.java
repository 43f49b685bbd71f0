package org.medvqa.pipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageFailure;

/**
 * What a pipeline run records about itself for later stages to read (the typed {@value #SECTION}
 * section of its {@code provenance.json}): {@code retrain} trains a candidate on the manifests the
 * current model was trained on and compares scores only on the same evaluation release.
 *
 * @param modelKind the model kind trained
 * @param testSplit the split predicted
 * @param featureCache the feature cache read (blank for kinds that read images or no features)
 * @param trainManifest the training manifest (after augmentation)
 * @param extraManifests the extra training manifests
 * @param testReleaseFingerprint the fingerprint of the test release scored on; blank when the test
 *     questions were a split of the training release
 * @param stagesRun the stage outputs made by this invocation
 * @param stagesSkipped the stage outputs found complete
 */
public record RunRecord(
    String modelKind,
    String testSplit,
    String featureCache,
    String trainManifest,
    List<String> extraManifests,
    String testReleaseFingerprint,
    List<String> stagesRun,
    List<String> stagesSkipped) {
  public static final String SECTION = "run";

  /** Every manifest the run trained on: the training manifest first, then the extras. */
  List<String> manifests() {
    List<String> all = new ArrayList<>();
    all.add(trainManifest);
    all.addAll(extraManifests);
    return all;
  }

  /** The record of the run in folder {@code run}. */
  public static RunRecord read(HadoopFiles files, Path run) throws IOException {
    Path provenance = new Path(run, "provenance.json");
    RunRecord r = Provenance.section(files.readAll(provenance), SECTION, RunRecord.class);
    if (r == null) {
      throw new StageFailure(
          provenance
              + " has no '"
              + SECTION
              + "' record (made by a version before typed provenance); run the pipeline on it"
              + " again to add it");
    }
    return r;
  }
}
