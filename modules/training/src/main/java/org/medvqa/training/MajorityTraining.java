package org.medvqa.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.core.stage.StagedOutput;
import org.medvqa.models.MajorityKind;
import org.medvqa.models.TrainedModel;

/** Training the majority baseline: answers counted per category on Spark, no features. */
final class MajorityTraining {
  private final StageContext ctx;
  private final TrainSettings settings;
  private final MajorityKind kind;

  MajorityTraining(StageContext ctx, TrainSettings settings, MajorityKind kind) {
    this.ctx = ctx;
    this.settings = settings;
    this.kind = kind;
  }

  TrainStage.Result run(StagedOutput out) throws IOException {
    Map<String, Map<String, Long>> table = new TreeMap<>();
    long samples = 0;
    for (Row r : counts()) {
      table.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
      samples += r.getLong(2);
    }
    MajorityKind.Model model = kind.fit(table);
    model.write(ctx.files(), out.tmp());
    TrainedModel.writeConfig(ctx.files(), out.tmp(), settings.config());
    out.commit(
        ctx.provenance()
            .input("manifest", settings.manifest())
            .input("extra_manifests", String.join(",", settings.extraManifests()))
            .count("training_samples", samples)
            .count("categories", table.size()));
    List<String> report = new ArrayList<>();
    model.baseline().answerByCategory().forEach((k, v) -> report.add("  " + k + " -> " + v));
    report.add(
        "summary: model=majority samples="
            + samples
            + " categories="
            + table.size()
            + " out="
            + out.target());
    return new TrainStage.Result(model, out.target(), samples, 0, report);
  }

  /** (category, first answer, count) of the VQA rows of the split that have an answer. */
  private List<Row> counts() throws IOException {
    // The main manifest and any extra ones (another release, augmented questions) count alike.
    List<String> manifests = new ArrayList<>(List.of(settings.manifest()));
    manifests.addAll(settings.extraManifests());
    Dataset<Row> train = null;
    for (String m : manifests) {
      Dataset<Row> rows =
          TrainStage.manifest(ctx, m)
              .filter(
                  TrainStage.inSplit(settings.split())
                      .and(col(ManifestColumns.TASK).equalTo("vqa")))
              .select(col(ManifestColumns.CATEGORY), col(ManifestColumns.ANSWERS));
      train = train == null ? rows : train.unionByName(rows);
    }
    // The first reference answer is the training target; alternatives are for scoring.
    List<Row> counts =
        train
            .filter(functions.size(col(ManifestColumns.ANSWERS)).gt(0))
            .groupBy(
                col(ManifestColumns.CATEGORY),
                element_at(col(ManifestColumns.ANSWERS), 1).as("answer"))
            .count()
            .collectAsList();
    if (counts.isEmpty()) {
      throw new StageFailure(TrainStage.noAnswers(settings.split(), settings.manifest()));
    }
    return counts;
  }
}
