package org.medvqa.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A kind that is a DL4J network ({@link VqaModel}): fitted on the training text before any weights
 * exist, then trained by the Spark trainer; its folder holds {@value TrainedModel#SPEC_FILE} and
 * {@value TrainedModel#MODEL_FILE}. Each network class registers itself with a nested {@code Kind}
 * that extends this one.
 */
public class GraphKind implements ModelKind {
  private final String name;
  private final Input input;
  private final boolean generatesQuestions;
  private final BiFunction<Config, List<Example>, VqaModel> fit;
  private final Function<ObjectNode, VqaModel> fromJson;

  /**
   * @param fit a new model from the kind's settings block ({@code medvqa.models.<name>}) and the
   *     training text
   * @param fromJson reads what {@link VqaModel#toJson} wrote
   */
  protected GraphKind(
      String name,
      Input input,
      boolean generatesQuestions,
      BiFunction<Config, List<Example>, VqaModel> fit,
      Function<ObjectNode, VqaModel> fromJson) {
    this.name = name;
    this.input = input;
    this.generatesQuestions = generatesQuestions;
    this.fit = fit;
    this.fromJson = fromJson;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Input input() {
    return input;
  }

  @Override
  public boolean generatesQuestions() {
    return generatesQuestions;
  }

  /**
   * A new model with its settings from {@code config} (the full config) and its vocabularies fitted
   * on {@code training} (text only is needed; the first example carries the feature size).
   *
   * @throws IllegalArgumentException when the training data cannot make a model of this kind
   */
  public VqaModel fit(Config config, List<Example> training) {
    return fit.apply(config.getConfig("medvqa.models." + name), training);
  }

  /** Reads what {@link VqaModel#toJson} wrote. */
  public VqaModel fromJson(ObjectNode spec) {
    return fromJson.apply(spec);
  }

  @Override
  public TrainedModel read(String spec, NetworkSource network) throws IOException {
    VqaModel model = fromJson(ModelKinds.spec(spec));
    return new GraphModel(model, spec, network.read());
  }
}
