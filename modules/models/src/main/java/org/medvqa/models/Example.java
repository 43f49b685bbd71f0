package org.medvqa.models;

import java.io.Serializable;
import java.util.List;

/**
 * One training or test item as every model sees it: the image's cached ResNet50 feature, the
 * question and its reference answers. For VQG the question is the target and {@code answers} is
 * empty. {@code image} may be null where only the text is needed (fitting vocabularies).
 *
 * @param sampleId the manifest's sample id
 * @param imageId the image id (predictions for one-question-per-image test sets are keyed by it)
 * @param category modality, plane, organ, abnormality, or another release's category
 * @param image the pooled image feature (2048 floats for ResNet50), or null
 * @param question the question text as released
 * @param answers reference answers; the first is the training target
 */
public record Example(
    String sampleId,
    String imageId,
    String category,
    float[] image,
    String question,
    List<String> answers)
    implements Serializable {

  /** The same example with image feature {@code feature} instead. */
  public Example withImage(float[] feature) {
    return new Example(sampleId, imageId, category, feature, question, answers);
  }

  /** The training target: the first reference answer, or "" without one. */
  public String answer() {
    return answers == null || answers.isEmpty() ? "" : answers.get(0);
  }
}
