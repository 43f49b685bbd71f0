package org.medvqa.models.vae;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A loss on a layer's own activations, for terms whose "target" is inside the graph (the KL of the
 * posterior, a reconstruction residual). DL4J still wants labels for every output, so minibatches
 * carry a dummy [n, 1] array for each such output; it is never read. A mask, if given, is one value
 * per example.
 */
abstract class LabelFreeLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  /** The loss of each example [n, 1] given the activations [n, k]. */
  abstract INDArray perExample(INDArray activations);

  /** dLoss/dActivations [n, k]. */
  abstract INDArray gradient(INDArray activations);

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray out = perExample(activationFn.getActivation(preOutput.dup(), true));
    if (mask != null) {
      out.muli(mask.reshape(mask.size(0), 1).castTo(out.dataType()));
    }
    return out;
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    INDArray perExample = computeScoreArray(labels, preOutput, activationFn, mask);
    double sum = perExample.sumNumber().doubleValue();
    return average ? sum / perExample.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray dLda = gradient(activationFn.getActivation(preOutput.dup(), true));
    INDArray dLdz = activationFn.backprop(preOutput.dup(), dLda).getFirst();
    if (mask != null) {
      dLdz.muliColumnVector(mask.reshape(mask.size(0), 1).castTo(dLdz.dataType()));
    }
    return dLdz;
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass();
  }

  @Override
  public int hashCode() {
    return getClass().hashCode();
  }
}
