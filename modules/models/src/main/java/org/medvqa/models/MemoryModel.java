package org.medvqa.models;

import java.util.List;

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
}
