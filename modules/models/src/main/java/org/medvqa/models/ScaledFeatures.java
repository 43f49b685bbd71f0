package org.medvqa.models;

/**
 * A model kind that standardises its image features ({@link FeatureScaler}). Kinds are fitted on
 * the training text (the driver never holds every feature), so the trainer computes the feature
 * statistics where the features are and hands them over here before training.
 */
public interface ScaledFeatures {
  /** The same model with {@code scaler}'s statistics. */
  VqaModel withScaler(FeatureScaler scaler);

  /**
   * Whether this instance reads the statistics; when it does not (a setting turned them off), the
   * trainer skips the pass over the training features that computes them.
   */
  default boolean scalesFeatures() {
    return true;
  }
}
