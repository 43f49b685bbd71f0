package org.medvqa.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.List;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * A model kind as the Spark trainer sees it: its graph, how examples become minibatches, how
 * exported minibatches are read back, and how a trained graph answers.
 *
 * <p>An instance holds what was fitted on the training text before any weights exist (answer set,
 * vocabularies) and the hyper-parameters; {@link #toJson} saves exactly that, next to the DL4J
 * model file, and {@link ModelKinds#fromJson} restores it. Instances are serialisable because
 * {@link #batch} and {@link #loader} run on the executors.
 */
public interface VqaModel extends Serializable {

  /** The kind name used in configuration and in the saved JSON, e.g. {@code classifier}. */
  String kind();

  /**
   * A fresh graph with initialised parameters; {@code seed} fixes the initial weights and {@code
   * updater} (the training settings' optimiser and learning rate) is set on every layer.
   */
  ComputationGraph newGraph(long seed, IUpdater updater);

  /**
   * Whether {@code e} can be a training example (a classifier cannot learn an answer that is not
   * one of its classes). The trainer drops and counts the others; they still count in validation
   * scores.
   */
  default boolean trainable(Example e) {
    return true;
  }

  /**
   * The minibatch of {@code examples} with features, labels and masks, for training and for the
   * validation loss. Every example must have an image feature and be {@link #trainable}.
   */
  MultiDataSet batch(List<Example> examples);

  /**
   * How an exported minibatch file is read back on an executor. The default reads it as written; a
   * model that needs fresh noise each epoch (the VAE's eps) replaces that input here.
   */
  default MultiDataSetLoader loader() {
    return new MinibatchFile.Loader();
  }

  /**
   * Outputs for {@code examples}, in order: for VQA one answer each (a singleton list); for VQG the
   * generated questions of each image.
   */
  List<List<String>> predict(ComputationGraph net, List<Example> examples);

  /** Name of {@link #validationScore}; higher is better. VQA kinds keep the default. */
  default String validationMetric() {
    return "accuracy";
  }

  /**
   * The score an epoch is kept by (higher is better), on held-out training examples: by default the
   * accuracy of {@link #predict} ({@link Batches#accuracy}).
   */
  default double validationScore(ComputationGraph net, List<Example> validation) {
    return Batches.accuracy(predict(net, validation), validation);
  }

  /**
   * Named measurements of how the trained graph uses its inputs, taken on held-out examples after
   * each epoch and logged beside the validation score (the VAEs: spread of the latent, decoder
   * weights, loss with another example's latent). Empty by default.
   */
  default java.util.Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    return java.util.Map.of();
  }

  /**
   * A line train prints about the fitted model before training (its answer classes), or "" for
   * none.
   */
  default String describe() {
    return "";
  }

  /** Kind, hyper-parameters and fitted vocabularies; {@link ModelKinds#fromJson} reads it back. */
  ObjectNode toJson();
}
