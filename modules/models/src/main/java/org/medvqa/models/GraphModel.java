package org.medvqa.models;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.core.io.HadoopFiles;

/**
 * A trained DL4J network model: what was fitted on the training text ({@link VqaModel}, saved as
 * {@value TrainedModel#SPEC_FILE}) and the trained graph ({@value TrainedModel#MODEL_FILE}).
 */
public final class GraphModel implements TrainedModel {
  private final VqaModel model;
  private final String spec;
  private final ComputationGraph net;

  /**
   * @param model the fitted model
   * @param spec its saved text, as {@link VqaModel#toJson} wrote it (another thread's copy is read
   *     back from it, so that it is the model predict reads from the folder)
   * @param net the trained graph
   */
  public GraphModel(VqaModel model, String spec, ComputationGraph net) {
    this.model = model;
    this.spec = spec;
    this.net = net;
  }

  /** A freshly trained model: its spec is what {@link #write} saves. */
  public GraphModel(VqaModel model, ComputationGraph net) {
    this(model, model.toJson().toPrettyString(), net);
  }

  @Override
  public ModelKind kind() {
    return ModelKinds.get(model.kind());
  }

  public VqaModel model() {
    return model;
  }

  public ComputationGraph net() {
    return net;
  }

  @Override
  public List<List<String>> predict(List<Example> examples) {
    return model.predict(net, examples);
  }

  @Override
  public TrainedModel forAnotherThread() {
    ComputationGraph copy = new ComputationGraph(net.getConfiguration().clone());
    copy.init(net.params(), false);
    return new GraphModel(ModelKinds.fromJson(spec), spec, copy);
  }

  @Override
  public void write(HadoopFiles files, Path dir) throws IOException {
    try (OutputStream os = files.create(new Path(dir, MODEL_FILE))) {
      ModelSerializer.writeModel(net, os, false);
    }
    files.write(new Path(dir, SPEC_FILE), spec);
  }
}
