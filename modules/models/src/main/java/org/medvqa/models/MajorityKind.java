package org.medvqa.models;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.baseline.MajorityBaseline;
import org.medvqa.core.io.HadoopFiles;

/**
 * The majority baseline as a kind: the most frequent training answer per question category, no
 * image. Train counts the answers on Spark and hands the counts to {@link #fit}; its folder holds
 * {@value #BASELINE_FILE}.
 */
public final class MajorityKind implements ModelKind {
  /** The baseline's file in its model folder. */
  public static final String BASELINE_FILE = "model.json";

  @Override
  public String name() {
    return MajorityBaseline.TYPE;
  }

  @Override
  public Input input() {
    return Input.NONE;
  }

  @Override
  public String specFile() {
    return BASELINE_FILE;
  }

  /** The baseline of {@code counts} (category -> answer -> count). */
  public Model fit(Map<String, Map<String, Long>> counts) {
    return new Model(MajorityBaseline.fit(counts));
  }

  @Override
  public TrainedModel read(String spec, NetworkSource network) {
    return new Model(MajorityBaseline.fromJson(spec));
  }

  /** A fitted baseline. */
  public record Model(MajorityBaseline baseline) implements TrainedModel {
    @Override
    public ModelKind kind() {
      return ModelKinds.get(MajorityBaseline.TYPE);
    }

    @Override
    public List<List<String>> predict(List<Example> examples) {
      return examples.stream().map(e -> List.of(baseline.predict(e.category()))).toList();
    }

    @Override
    public void write(HadoopFiles files, Path dir) throws IOException {
      files.write(new Path(dir, BASELINE_FILE), baseline.toJson());
    }
  }
}
