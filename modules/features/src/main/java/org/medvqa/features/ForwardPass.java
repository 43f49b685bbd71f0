package org.medvqa.features;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A ResNet50 forward pass for inference outside the DL4J graph ({@link GemmEngine}, {@link
 * OneDnnEngine}): caffe-preprocessed NHWC images in, pooled features (and the last map) out.
 */
interface ForwardPass {
  /**
   * Runs the network on a full batch.
   *
   * @param input {@code n} images NHWC, caffe-preprocessed ({@code n * size * size * 3} floats)
   * @param n the batch size (always the configured one: the caller pads the last batch, so that
   *     every pass has the same shapes and reuses what the engine prepared for them)
   * @param keepMap whether to return the last convolutional map too
   * @return the pooled features [n, width] and, when asked, the last map [n, h, w, c]
   */
  INDArray[] run(float[] input, int n, boolean keepMap);
}
