package org.medvqa.models.vae;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mean squared value of a residual (target minus reconstruction), per example: DL4J's MSE
 * against zero labels, without shipping the zeros in every minibatch file.
 */
public final class SquaredResidual extends LabelFreeLoss {
  private static final long serialVersionUID = 1L;

  @Override
  INDArray perExample(INDArray a) {
    return a.mul(a).sum(true, 1).divi(a.size(1));
  }

  @Override
  INDArray gradient(INDArray a) {
    return a.mul(2.0 / a.size(1));
  }

  @Override
  public String toString() {
    return "SquaredResidual()";
  }
}
