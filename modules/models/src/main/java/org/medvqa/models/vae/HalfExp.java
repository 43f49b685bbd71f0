package org.medvqa.models.vae;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * exp(x / 2): turns a log-variance into a standard deviation inside the graph, so that the
 * reparameterisation {@code z = mu + sigma * eps} is made of built-in vertices that back-propagate
 * (sampling inside SameDiff does not: its forward pass is re-run during backward with new noise).
 */
public final class HalfExp extends BaseActivationFunction {
  private static final long serialVersionUID = 1L;

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    // In place, like DL4J's own activations (a new array would sit outside the layer's activation
    // workspace). ActivationLayer hands its input over without a copy at inference, so the graph
    // puts a copying vertex before it (VaeGraph.addLatent): logvar is read back after a pass.
    return Transforms.exp(in.muli(0.5), false);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    INDArray dLdz = Transforms.exp(in.mul(0.5), false).muli(0.5).muli(epsilon);
    return new Pair<>(dLdz, null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HalfExp;
  }

  @Override
  public int hashCode() {
    return HalfExp.class.hashCode();
  }

  @Override
  public String toString() {
    return "halfexp";
  }
}
