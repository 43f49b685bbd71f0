package org.medvqa.models;

/**
 * A model kind as the registry ({@link ModelKinds}) knows it: its name (the value of {@code
 * medvqa.train.model} and of its settings block {@code medvqa.models.<name>}), what each example
 * must carry, whether it answers or generates questions, and how a saved model is read back. How a
 * kind is fitted depends on its family: a {@link GraphKind} is a DL4J network that the Spark
 * trainer fits; {@link MajorityKind} counts answers.
 *
 * <p>Kinds are found with {@link java.util.ServiceLoader}: a new kind is its class (with a public
 * no-argument {@code ModelKind}, usually a nested {@code Kind}), its line in {@code
 * META-INF/services/org.medvqa.models.ModelKind}, its {@code reference.conf} block and a run file.
 * Nothing else names kinds: train, predict and the pipeline ask the kind.
 */
public interface ModelKind {
  /** What the rows of a kind carry in their feature column. */
  enum Input {
    /** Nothing: the model reads the category and question only (the majority baseline). */
    NONE,
    /** The image's cached ResNet50 feature (extract-features). */
    FEATURES,
    /** The image's preprocessed pixels, read from the image file (the fine-tuned classifier). */
    PIXELS
  }

  /** The kind's name, e.g. {@code classifier}. */
  String name();

  /** What every training and test example carries as its image. */
  Input input();

  /** Whether the kind generates questions (VQG) rather than answering them. */
  default boolean generatesQuestions() {
    return false;
  }

  /**
   * The file of a model folder that holds what {@link TrainedModel#write} saved of this kind
   * besides the network: {@value TrainedModel#SPEC_FILE} unless the kind says otherwise.
   */
  default String specFile() {
    return TrainedModel.SPEC_FILE;
  }

  /**
   * The model saved as {@code spec} (the text of its {@link #specFile}), with its network read by
   * {@code network} when the kind has one.
   *
   * @throws IllegalArgumentException when {@code spec} is not a model of this kind
   */
  TrainedModel read(String spec, NetworkSource network) throws java.io.IOException;

  /** Reads a saved network on demand (kinds without one never call it). */
  interface NetworkSource {
    org.deeplearning4j.nn.graph.ComputationGraph read() throws java.io.IOException;
  }
}
