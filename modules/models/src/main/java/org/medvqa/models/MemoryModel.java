package org.medvqa.models;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A model kind that keeps training examples beside its graph (nearest-neighbour answers): after its
 * vocabularies are fitted, the trainer hands it the training examples of {@link #memoryCategories},
 * with their image features, and the model saves what it keeps in {@link VqaModel#toJson}.
 */
public interface MemoryModel extends VqaModel {
  /** The categories whose training examples the model keeps. */
  List<String> memoryCategories();

  /** Takes the training examples (with features) of {@link #memoryCategories}. */
  void remember(List<Example> training);

  /**
   * Settings chosen on the {@code validation} examples with the trained graph {@code net}, after
   * training and before the validation images join the memory (so that they are answered as unseen
   * images are); what was chosen, for the log, or empty when nothing was. By default nothing.
   */
  default String choose(ComputationGraph net, List<Example> validation) {
    return "";
  }
}
