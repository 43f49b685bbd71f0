package org.medvqa.models;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.core.EpochMetrics;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;

/**
 * A trained model and its folder. Train writes the folder, predict reads it back; nothing else
 * knows its files:
 *
 * <ul>
 *   <li>the kind's spec ({@value #SPEC_FILE}: kind, hyper-parameters, answer set and vocabularies;
 *       {@value MajorityKind#BASELINE_FILE} for the majority baseline) and, for a network, {@value
 *       #MODEL_FILE} (the DL4J graph);
 *   <li>{@value #METRICS_FILE} (one line per epoch), {@value #PROBES_FILE}, {@value #TRAINING_FILE}
 *       (what the trainer did), {@value #CONFIG_FILE} (the settings, without secrets) and {@code
 *       provenance.json}.
 * </ul>
 */
public interface TrainedModel {
  String SPEC_FILE = "spec.json";
  String MODEL_FILE = "model.zip";
  String METRICS_FILE = "metrics.jsonl";
  String PROBES_FILE = "probes.jsonl";
  String TRAINING_FILE = "training.json";
  String CONFIG_FILE = "config.conf";

  /** The model's kind. */
  ModelKind kind();

  /**
   * Outputs for {@code examples}, in order: for VQA one answer each (a singleton list); for VQG the
   * generated questions of each image. Every example has an image of the kind's {@link
   * ModelKind#input}, except for {@link ModelKind.Input#NONE}. One thread at a time.
   */
  List<List<String>> predict(List<Example> examples);

  /**
   * The same model for another thread: a DL4J graph cannot be called from two threads at once, so a
   * network model gives a graph of its own over the same parameters (no copy of the weights).
   */
  default TrainedModel forAnotherThread() {
    return this;
  }

  /** Writes the kind's spec file and, for a network, {@value #MODEL_FILE} into {@code dir}. */
  void write(HadoopFiles files, Path dir) throws IOException;

  /**
   * Reads the model of the folder {@code dir}, whichever kind wrote it.
   *
   * @throws IllegalArgumentException naming the file, when there is no model or it cannot be read
   */
  static TrainedModel read(HadoopFiles files, Path dir) throws IOException {
    Set<String> specFiles = new LinkedHashSet<>();
    ModelKinds.kinds().forEach(k -> specFiles.add(k.specFile()));
    for (String name : specFiles) {
      Path spec = new Path(dir, name);
      if (files.exists(spec)) {
        String text = new String(files.readAll(spec), StandardCharsets.UTF_8);
        try {
          return ModelKinds.read(name, text, () -> network(files, new Path(dir, MODEL_FILE)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(spec + ": " + e.getMessage(), e);
        }
      }
    }
    throw new IllegalArgumentException(
        "no model at "
            + dir
            + " (neither "
            + String.join(" nor ", specFiles)
            + "; run train first)");
  }

  /** Reads a DL4J graph written by {@link ModelSerializer}, without its updater. */
  static org.deeplearning4j.nn.graph.ComputationGraph network(HadoopFiles files, Path file)
      throws IOException {
    try (InputStream in = files.open(file)) {
      return ModelSerializer.restoreComputationGraph(in, false);
    }
  }

  /** Writes {@value #CONFIG_FILE}: the {@code medvqa} settings the model was trained with. */
  static void writeConfig(HadoopFiles files, Path dir, Config config) throws IOException {
    files.write(new Path(dir, CONFIG_FILE), render(config));
  }

  /** Writes {@value #METRICS_FILE}, one JSON line per epoch. */
  static void writeMetrics(HadoopFiles files, Path dir, List<EpochMetrics> epochs)
      throws IOException {
    StringBuilder metrics = new StringBuilder();
    epochs.forEach(m -> metrics.append(m.toJson()).append('\n'));
    files.write(new Path(dir, METRICS_FILE), metrics.toString());
  }

  /** The settings as {@value #CONFIG_FILE} records them. */
  static String render(Config config) {
    // The record of the settings leaves credentials out, as provenance.json does.
    return Provenance.withoutSecrets(config)
        .getConfig("medvqa")
        .root()
        .render(ConfigRenderOptions.defaults().setOriginComments(false));
  }
}
