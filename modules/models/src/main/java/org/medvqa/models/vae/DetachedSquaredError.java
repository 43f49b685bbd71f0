package org.medvqa.models.vae;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The reconstruction loss with a detached target, on the activations [target, reconstruction] side
 * by side ([n, 2k]): the mean over the k units of (target - reconstruction)², per example. The
 * gradient reaches the reconstruction only; the target's half gets zero, which is a stop-gradient
 * (DL4J has no such vertex). Without it the target (h_v or h_q) is pulled towards what a noisy z
 * can predict, a constant; the author's code detaches it too.
 */
public final class DetachedSquaredError extends LabelFreeLoss {
  private static final long serialVersionUID = 1L;

  private static INDArray residual(INDArray a) {
    long k = halfWidth(a);
    return a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k))
        .sub(a.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)));
  }

  private static long halfWidth(INDArray a) {
    if (a.size(1) % 2 != 0) {
      throw new IllegalArgumentException(
          "expected [target, reconstruction] of equal widths, got width " + a.size(1));
    }
    return a.size(1) / 2;
  }

  @Override
  INDArray perExample(INDArray a) {
    INDArray r = residual(a);
    return r.mul(r).sum(true, 1).divi(r.size(1));
  }

  @Override
  INDArray gradient(INDArray a) {
    long k = halfWidth(a);
    INDArray g = a.ulike().assign(0);
    // d/d(reconstruction) of mean (t - r)² = -2 (t - r) / k.
    g.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)).assign(residual(a).muli(-2.0 / k));
    return g;
  }

  @Override
  public String toString() {
    return "DetachedSquaredError()";
  }
}
