package org.medvqa.features;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A ResNet50 forward pass for inference outside the DL4J graph ({@link GemmEngine}, {@link
 * OneDnnEngine}): caffe-preprocessed NHWC images in, pooled features (and maps) out.
 */
interface ForwardPass {
  /**
   * Runs the network on a full batch.
   *
   * @param input {@code n} images NHWC, caffe-preprocessed ({@code n * size * size * 3} floats)
   * @param n the batch size (always the configured one: the caller pads the last batch, so that
   *     every pass has the same shapes and reuses what the engine prepared for them)
   * @param keepMap whether to return the last convolutional map too
   * @param stages stages (3..5, ascending) whose output maps to return as well ({@link Pooling})
   * @return the pooled features [n, width], then the last map [n, h, w, c] when asked, then the map
   *     of each of {@code stages} [n, h, w, c], in order
   */
  INDArray[] run(float[] input, int n, boolean keepMap, int[] stages);

  /** {@link #run(float[], int, boolean, int[])} without stage maps. */
  default INDArray[] run(float[] input, int n, boolean keepMap) {
    return run(input, n, keepMap, new int[0]);
  }
}
