package org.medvqa.models;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * DL4J's {@link Adam} with its update computed in one pass per block of parameters.
 *
 * <p>Why: libnd4j 1.0.0-M2.1 runs Adam's {@code adam_updater} op as a scalar loop (one square root
 * and one division per parameter, not vectorised), which took 37% of a training step of the run 5
 * head (2.8 million parameters) on one thread. This updater reads the gradient and both moments in
 * blocks that fit the L2 cache, updates them in a Java loop the JIT vectorises, and writes them
 * back: about 3.5 times faster on the same arrays.
 *
 * <p>Same rule, settings, state layout ({@code M} then {@code V}) and bias correction as {@code
 * Adam}, so checkpoints and parameter averaging are unchanged; arrays it cannot read as one
 * contiguous float block (a double-precision gradient check, a strided view), and every array on
 * the CUDA backend, go to DL4J's op.
 */
public class FusedAdam extends Adam {
  private static final long serialVersionUID = 1L;

  /** For Jackson (DL4J stores the updater in the network's JSON configuration). */
  public FusedAdam() {
    super();
  }

  public FusedAdam(double learningRate) {
    super(learningRate);
  }

  @Override
  public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
    // As Adam does: a flat view of 2n values, M then V, for a gradient of n.
    INDArray flat = viewArray.reshape(viewArray.length());
    Updater u = new Updater(this);
    u.setStateViewArray(flat, new long[] {flat.length() / 2}, flat.ordering(), initializeViewArray);
    return u;
  }

  @Override
  public GradientUpdater instantiate(Map<String, INDArray> state, boolean initialize) {
    Updater u = new Updater(this);
    u.setState(state, initialize);
    return u;
  }

  @Override
  public FusedAdam clone() {
    FusedAdam c = new FusedAdam(getLearningRate());
    c.setLearningRateSchedule(
        getLearningRateSchedule() == null ? null : getLearningRateSchedule().clone());
    c.setBeta1(getBeta1());
    c.setBeta2(getBeta2());
    c.setEpsilon(getEpsilon());
    return c;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FusedAdam && super.equals(o);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + 1;
  }

  /** Lombok's equals in {@code Adam} asks the other side; an Adam is not a FusedAdam. */
  @Override
  protected boolean canEqual(Object other) {
    return other instanceof FusedAdam;
  }

  /** The updater DL4J calls once per step and block of parameters. */
  static final class Updater extends AdamUpdater {
    /** Floats per array per block: three arrays of 64 KB stay in a core's L2 cache. */
    private static final int BLOCK = 16 * 1024;

    private float[] g;
    private float[] m;
    private float[] v;

    Updater(Adam config) {
      super(config);
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
      INDArray mState = getM();
      INDArray vState = getV();
      if (!fusable(gradient, mState, vState)) {
        super.applyUpdater(gradient, iteration, epoch);
        return;
      }
      Adam c = getConfig();
      double lr = c.getLearningRate(iteration, epoch);
      // The bias correction of libnd4j's adam_updater, in float as it computes it (in double it
      // differs by about 1e-5 of the step): step t = iteration + 1.
      float b1 = (float) c.getBeta1();
      float b2 = (float) c.getBeta2();
      float b1t = (float) Math.pow(b1, iteration + 1.0);
      float b2t = (float) Math.pow(b2, iteration + 1.0);
      float alpha = (float) lr * (float) Math.sqrt(1 - b2t) / (1 - b1t);
      update(gradient, mState, vState, alpha, b1, b2);
    }

    private void update(
        INDArray grad, INDArray mState, INDArray vState, float alpha, float b1, float b2) {
      if (g == null) {
        g = new float[BLOCK];
        m = new float[BLOCK];
        v = new float[BLOCK];
      }
      FloatBuffer gb = grad.data().asNioFloat();
      FloatBuffer mb = mState.data().asNioFloat();
      FloatBuffer vb = vState.data().asNioFloat();
      int go = (int) grad.offset();
      int mo = (int) mState.offset();
      int vo = (int) vState.offset();
      int n = (int) grad.length();
      float c1 = 1 - b1;
      float c2 = 1 - b2;
      float eps = (float) getConfig().getEpsilon();
      for (int start = 0; start < n; start += BLOCK) {
        int k = Math.min(BLOCK, n - start);
        gb.get(go + start, g, 0, k);
        mb.get(mo + start, m, 0, k);
        vb.get(vo + start, v, 0, k);
        for (int i = 0; i < k; i++) {
          float gi = g[i];
          float mi = b1 * m[i] + c1 * gi;
          float vi = b2 * v[i] + c2 * gi * gi;
          m[i] = mi;
          v[i] = vi;
          g[i] = alpha * mi / ((float) Math.sqrt(vi) + eps);
        }
        gb.put(go + start, g, 0, k);
        mb.put(mo + start, m, 0, k);
        vb.put(vo + start, v, 0, k);
      }
      // The buffers do not keep the arrays alive (DL4J holds them too; this says so here).
      Reference.reachabilityFence(grad);
      Reference.reachabilityFence(mState);
      Reference.reachabilityFence(vState);
    }

    /**
     * One contiguous float block each, of one length that an int indexes, in host memory (on the
     * CUDA backend the update goes to DL4J's op, which keeps the device copy current).
     */
    private static boolean fusable(INDArray grad, INDArray mState, INDArray vState) {
      if (!ArrayBytes.hostBackend()) {
        return false;
      }
      long n = grad.length();
      for (INDArray a : new INDArray[] {grad, mState, vState}) {
        if (a.dataType() != DataType.FLOAT
            || a.length() != n
            || (n > 1 && a.elementWiseStride() != 1)
            || a.offset() + n > Integer.MAX_VALUE) {
          return false;
        }
      }
      return true;
    }
  }
}
