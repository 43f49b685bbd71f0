package org.medvqa.models.vae;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * KL(N(mu, exp(logvar)) || N(0, I)) = 1/2 sum(mu^2 + exp(logvar) - 1 - logvar), per example. The
 * layer's input is mu and logvar side by side ([n, 2z], mu first), from a merge vertex; the
 * activation must be the identity.
 */
public final class GaussianKl extends LabelFreeLoss {
  private static final long serialVersionUID = 1L;

  @Override
  INDArray perExample(INDArray a) {
    INDArray[] p = split(a);
    INDArray terms = p[0].mul(p[0]).addi(Transforms.exp(p[1], true)).subi(1.0).subi(p[1]).muli(0.5);
    return terms.sum(true, 1);
  }

  @Override
  INDArray gradient(INDArray a) {
    INDArray[] p = split(a);
    INDArray dLogvar = Transforms.exp(p[1], true).subi(1.0).muli(0.5);
    return org.nd4j.linalg.factory.Nd4j.hstack(p[0].dup(), dLogvar);
  }

  private static INDArray[] split(INDArray a) {
    long z = a.size(1) / 2;
    if (a.rank() != 2 || a.size(1) != 2 * z) {
      throw new IllegalArgumentException(
          "the KL layer expects [n, 2z] (mu then logvar), got "
              + java.util.Arrays.toString(a.shape()));
    }
    return new INDArray[] {
      a.get(
          org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(0, z)),
      a.get(
          org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(z, 2 * z))
    };
  }

  @Override
  public String toString() {
    return "GaussianKl()";
  }
}
