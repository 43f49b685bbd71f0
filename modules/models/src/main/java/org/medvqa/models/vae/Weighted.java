package org.medvqa.models.vae;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A loss times a constant: DL4J sums its output layers' scores unweighted, so the paper's {@code
 * λ1·CE + λ2·KL + λ3·L_v + λ4·L_q} is made by weighting each output layer's loss.
 */
public final class Weighted implements ILossFunction {
  private static final long serialVersionUID = 1L;

  @JsonProperty("loss")
  private final ILossFunction loss;

  @JsonProperty("weight")
  private final double weight;

  @JsonCreator
  public Weighted(@JsonProperty("loss") ILossFunction loss, @JsonProperty("weight") double weight) {
    if (!(weight >= 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("a loss weight must be finite and >= 0, got " + weight);
    }
    this.loss = Objects.requireNonNull(loss, "loss");
    this.weight = weight;
  }

  public ILossFunction loss() {
    return loss;
  }

  public double weight() {
    return weight;
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return weight * loss.computeScore(labels, preOutput, activationFn, mask, average);
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    return scaled(loss.computeScoreArray(labels, preOutput, activationFn, mask));
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    return scaled(loss.computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    Pair<Double, INDArray> p =
        loss.computeGradientAndScore(labels, preOutput, activationFn, mask, average);
    return new Pair<>(weight * p.getFirst(), scaled(p.getSecond()));
  }

  /** {@code a} times the weight, in place; no op at all for a weight of 1 (the answer loss). */
  private INDArray scaled(INDArray a) {
    return weight == 1 ? a : a.muli(weight);
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Weighted w && w.weight == weight && w.loss.equals(loss);
  }

  @Override
  public int hashCode() {
    return Objects.hash(loss, weight);
  }

  @Override
  public String toString() {
    return weight + " * " + loss;
  }
}
