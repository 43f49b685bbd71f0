package org.medvqa.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.HadoopFiles;

/**
 * {@code train}: fits a model on the training split of a manifest and writes a model directory
 * (model file, config, provenance). Model types: {@code majority} (the most frequent answer per
 * question category); the DL4J models come with their own issues.
 */
public final class TrainJob implements Job {
  static final List<String> MODELS = List.of(MajorityBaseline.TYPE);

  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "fit a model on a manifest's training split and write a model directory";
  }

  @Override
  public int run(JobContext ctx) throws Exception {
    ConfigCheck.requireOneOf(ctx.config(), "medvqa.train.model", MODELS);
    String manifestPath = ConfigCheck.requireString(ctx.config(), "medvqa.train.manifest");
    String outPath = ConfigCheck.requireString(ctx.config(), "medvqa.train.out");
    String split = ctx.config().getString("medvqa.train.split");

    HadoopFiles files = ctx.files();
    Path out = files.qualify(outPath);
    if (files.exists(out)) {
      throw new JobFailure("output " + out + " already exists; remove it or choose another");
    }
    Dataset<Row> manifest = Manifests.read(ctx, manifestPath);
    Dataset<Row> train =
        manifest.filter(
            col(ManifestColumns.SPLIT)
                .equalTo(split)
                .and(col(ManifestColumns.TASK).equalTo("vqa")));
    // The first reference answer is the training target; alternatives are for scoring.
    List<Row> counts =
        train
            .filter(org.apache.spark.sql.functions.size(col(ManifestColumns.ANSWERS)).gt(0))
            .groupBy(
                col(ManifestColumns.CATEGORY),
                element_at(col(ManifestColumns.ANSWERS), 1).as("answer"))
            .count()
            .collectAsList();
    if (counts.isEmpty()) {
      throw new JobFailure(
          "no training answers in split '"
              + split
              + "' of "
              + manifestPath
              + " (set medvqa.train.split to a split with answers)");
    }
    Map<String, Map<String, Long>> table = new TreeMap<>();
    long samples = 0;
    for (Row r : counts) {
      table.computeIfAbsent(r.getString(0), k -> new TreeMap<>()).put(r.getString(1), r.getLong(2));
      samples += r.getLong(2);
    }
    MajorityBaseline model = MajorityBaseline.fit(table);

    Path tmp = files.temporaryFor(out);
    try {
      files.write(new Path(tmp, "model.json"), model.toJson());
      files.write(
          new Path(tmp, "config.conf"),
          ctx.config()
              .getConfig("medvqa")
              .root()
              .render(com.typesafe.config.ConfigRenderOptions.defaults().setOriginComments(false)));
      ctx.writeProvenance(
          tmp,
          ctx.provenance()
              .input("manifest", manifestPath)
              .count("training_samples", samples)
              .count("categories", table.size()));
      files.commit(tmp, out);
    } finally {
      if (files.exists(tmp)) {
        files.deleteQuietly(tmp);
      }
    }
    model.answerByCategory().forEach((k, v) -> ctx.say("  " + k + " -> " + v));
    ctx.say(
        "summary: model=majority samples="
            + samples
            + " categories="
            + table.size()
            + " out="
            + out);
    return Main.OK;
  }
}
