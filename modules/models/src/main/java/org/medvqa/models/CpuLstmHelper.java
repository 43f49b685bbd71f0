package org.medvqa.models;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.FwdPassReturn;
import org.deeplearning4j.nn.layers.recurrent.LSTMHelper;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The CPU helper DL4J 1.0.0-M2.1 lacks for its {@link org.deeplearning4j.nn.conf.layers.LSTM}: the
 * same equations, the gates computed in Java (their tanh and sigmoid by {@link FastTanh}), the
 * matrix products in ND4J.
 *
 * <p>Why: without a helper, every time step of DL4J's LSTM is some twenty ND4J ops of a few
 * thousand values each, forward, again for backprop (the layer recomputes its forward pass) and
 * backward. Each op costs more to dispatch than to compute, and the two LSTMs took 60% of a VAE
 * training step on one thread. Here the input projections of all steps are one product, each step's
 * recurrent product is one gemm, the weight gradients of all steps are one product each, and the
 * training forward pass is kept for backprop instead of computed again.
 *
 * <p>DL4J's gate layout: columns [0, n) the block input (the layer's activation, tanh), [n, 2n) the
 * forget gate, [2n, 3n) the output gate, [3n, 4n) the input gate (sigmoid). Anything else
 * (peepholes, other activations, double precision, truncated BPTT, the CUDA backend) gets {@code
 * null}, and DL4J runs its own code. DL4J's LSTM passes no feature mask here: it zeroes masked
 * steps around the layer, which the tests check.
 */
final class CpuLstmHelper implements LSTMHelper {
  /** Forward passes computed here, not by DL4J's own code (tests). */
  int passes;

  /**
   * The last training forward pass and what it was computed from. DL4J's LSTM runs its forward pass
   * again for backprop; when the input and weights are the same arrays, that pass is this one.
   */
  private FwdPassReturn cached;

  private INDArray[] cachedFrom = new INDArray[0];

  /** The cached pass's input, step-major [T * mb, nIn], for the input weights' gradient. */
  private INDArray cachedRows;

  private int steps;
  private int batch;
  private int units;

  /** Per step and example (row s * mb + i): the gates after their activations [4n]. */
  private float[][] gates = new float[0][];

  /** Cell state, its tanh and the output, [T][mb][n]; then the initial output and cell. */
  private float[] cells = new float[0];

  private float[] cellTanh = new float[0];
  private float[] outputs = new float[0];
  private float[] initialOutput = new float[0];
  private float[] initialCell = new float[0];

  /**
   * The forward pass's working arrays for one step: its gate rows side by side [mb * 4n], the bias
   * and the activation's scale and shift per column (FastTanh.gates), and [mb * n] ones.
   */
  private float[] stepGates = new float[0];

  /** The units the column pattern of {@link #gateScale} and the others was laid out for. */
  private int tiledUnits;

  private float[] biasTile = new float[0];
  private float[] gateScale = new float[0];
  private float[] gateShift = new float[0];
  private float[] blockIn = new float[0];
  private float[] forget = new float[0];
  private float[] outGate = new float[0];
  private float[] inGate = new float[0];
  private float[] cellPrev = new float[0];
  private float[] cell = new float[0];
  private float[] cellTanhStep = new float[0];
  private float[] output = new float[0];

  /** Backprop's working arrays, kept between steps: deltas [T * mb][4n], and [T][mb][n] ones. */
  private float[][] deltas = new float[0][];

  private float[] epsilons = new float[0];
  private float[] shifted = new float[0];

  @Override
  public boolean checkSupported(
      IActivation gateActivationFn, IActivation activationFn, boolean hasPeepholeConnections) {
    return gateActivationFn instanceof ActivationSigmoid
        && activationFn instanceof ActivationTanH
        && !hasPeepholeConnections
        && ArrayBytes.hostBackend();
  }

  @Override
  public boolean checkSupported() {
    return ArrayBytes.hostBackend();
  }

  @Override
  public Map<String, Long> helperMemoryUse() {
    return Map.of();
  }

  private boolean handles(
      Layer layer,
      IActivation gateFn,
      boolean hasPeepholes,
      boolean forwards,
      INDArray mask,
      INDArray... arrays) {
    IActivation fn =
        ((org.deeplearning4j.nn.conf.layers.BaseLayer) layer.conf().getLayer()).getActivationFn();
    if (!checkSupported(gateFn, fn, hasPeepholes) || !forwards || mask != null) {
      return false;
    }
    for (INDArray a : arrays) {
      if (a != null && a.dataType() != DataType.FLOAT) {
        return false;
      }
    }
    return true;
  }

  @Override
  public FwdPassReturn activate(
      Layer layer,
      NeuralNetConfiguration conf,
      IActivation gateActivationFn,
      INDArray input,
      INDArray recurrentWeights,
      INDArray inputWeights,
      INDArray biases,
      boolean training,
      INDArray prevOutputActivations,
      INDArray prevMemCellState,
      boolean forBackprop,
      boolean forwards,
      String inputWeightKey,
      INDArray maskArray,
      boolean hasPeepholeConnections,
      LayerWorkspaceMgr workspaceMgr) {
    if (!handles(
        layer,
        gateActivationFn,
        hasPeepholeConnections,
        forwards,
        maskArray,
        input,
        recurrentWeights,
        inputWeights,
        biases,
        prevOutputActivations,
        prevMemCellState)) {
      return null;
    }
    INDArray[] from = {input, inputWeights, recurrentWeights, biases};
    if (forBackprop && cached != null && java.util.Arrays.equals(from, cachedFrom)) {
      return cached; // identity: the same arrays, not merely equal values
    }
    int mb = (int) input.size(0);
    int nIn = (int) input.size(1);
    int t = input.rank() == 3 ? (int) input.size(2) : 1;
    int n = (int) recurrentWeights.size(0);
    int g = 4 * n;
    resize(t, mb, n);

    // The input projections of all steps at once: [T * mb, nIn] x [nIn, 4n].
    INDArray z = Nd4j.createUninitialized(DataType.FLOAT, (long) t * mb, g);
    boolean keep = training || forBackprop;
    INDArray rows;
    // Kept for backprop, it must outlive the forward pass's workspace.
    try (var outside = keep ? Nd4j.getWorkspaceManager().scopeOutOfWorkspaces() : null) {
      rows = stepMajor(input, t, mb, nIn);
    }
    Nd4j.gemm(rows, inputWeights, z, false, false, 1.0, 0.0);
    readRows(z, gates, t * mb);
    float[] b = read(biases, new float[g]);
    state(prevOutputActivations, initialOutput, mb * n);
    state(prevMemCellState, initialCell, mb * n);

    forwardSteps(new Recurrent(recurrentWeights, mb, n), b);
    FwdPassReturn ret = new FwdPassReturn();
    ret.fwdPassOutput = outputArray(workspaceMgr);
    ret.lastAct = fromFloats(outputs, (t - 1) * mb * n, mb, n);
    ret.lastMemCell = fromFloats(cells, (t - 1) * mb * n, mb, n);
    cached = keep ? ret : null;
    cachedFrom = keep ? from : new INDArray[0];
    cachedRows = keep ? rows : null;
    passes++;
    return ret;
  }

  /** The gates, cells and outputs of every step, from the input projections in {@link #gates}. */
  private void forwardSteps(Recurrent product, float[] b) {
    int t = steps;
    int mb = batch;
    int n = units;
    int g = 4 * n;
    int plane = mb * n;
    // The step's gate rows side by side, so that the activations run as a few long loops over
    // mb * 4n values (FastTanh) instead of short ones per example, which the JIT leaves scalar.
    for (int i = 0; i < mb; i++) {
      System.arraycopy(b, 0, biasTile, i * g, g);
    }
    for (int s = 0; s < t; s++) {
      product.forward(
          s == 0 ? initialOutput : outputs, s == 0 ? 0 : (s - 1) * plane, gates, s * mb);
      for (int i = 0; i < mb; i++) {
        System.arraycopy(gates[s * mb + i], 0, stepGates, i * g, g);
      }
      FastTanh.gates(stepGates, biasTile, gateScale, gateShift, mb * g);
      for (int i = 0; i < mb; i++) {
        System.arraycopy(stepGates, i * g, gates[s * mb + i], 0, g); // kept for backprop
        System.arraycopy(stepGates, i * g, blockIn, i * n, n);
        System.arraycopy(stepGates, i * g + n, forget, i * n, n);
        System.arraycopy(stepGates, i * g + 2 * n, outGate, i * n, n);
        System.arraycopy(stepGates, i * g + 3 * n, inGate, i * n, n);
      }
      if (s == 0) {
        System.arraycopy(initialCell, 0, cellPrev, 0, plane);
      } else {
        System.arraycopy(cells, (s - 1) * plane, cellPrev, 0, plane);
      }
      // Arrays indexed from 0 by the loop variable: the form the JIT vectorises.
      for (int k = 0; k < plane; k++) {
        cell[k] = forget[k] * cellPrev[k] + inGate[k] * blockIn[k];
      }
      System.arraycopy(cell, 0, cellTanhStep, 0, plane);
      FastTanh.tanh(cellTanhStep, plane);
      for (int k = 0; k < plane; k++) {
        output[k] = outGate[k] * cellTanhStep[k];
      }
      System.arraycopy(cell, 0, cells, s * plane, plane);
      System.arraycopy(cellTanhStep, 0, cellTanh, s * plane, plane);
      System.arraycopy(output, 0, outputs, s * plane, plane);
    }
  }

  /** The outputs as DL4J's [mb, n, T] activations, in f order as its own LSTM makes them. */
  private INDArray outputArray(LayerWorkspaceMgr workspaceMgr) {
    int t = steps;
    int mb = batch;
    int n = units;
    int plane = mb * n;
    INDArray out =
        workspaceMgr.create(ArrayType.ACTIVATIONS, DataType.FLOAT, new long[] {mb, n, t}, 'f');
    // f order [mb, n, T] holds the values of c order [T, n, mb]: write them in that order.
    float[] fOrder = shifted;
    for (int s = 0; s < t; s++) {
      for (int i = 0; i < mb; i++) {
        for (int r = 0; r < n; r++) {
          fOrder[(s * n + r) * mb + i] = outputs[s * plane + i * n + r];
        }
      }
    }
    write(fOrder, out);
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      NeuralNetConfiguration conf,
      IActivation gateActivationFn,
      INDArray input,
      INDArray recurrentWeights,
      INDArray inputWeights,
      INDArray epsilon,
      boolean truncatedBPTT,
      int tbpttBackwardLength,
      FwdPassReturn fwdPass,
      boolean forwards,
      String inputWeightKey,
      String recurrentWeightKey,
      String biasWeightKey,
      Map<String, INDArray> gradientViews,
      INDArray maskArray,
      boolean hasPeepholeConnections,
      LayerWorkspaceMgr workspaceMgr) {
    // Only a forward pass made here has its values in the fields.
    if (fwdPass == null || fwdPass != cached || truncatedBPTT || maskArray != null) {
      return null;
    }
    // The pass was computed from the fields' input arrays: its step-major input is still right.
    INDArray rows =
        cachedFrom[0] == input ? cachedRows : stepMajor(input, steps, batch, (int) input.size(1));
    cached = null;
    cachedFrom = new INDArray[0];
    cachedRows = null;
    float[] eps = read(stepMajor(epsilon, steps, batch, units), epsilons);
    backwardSteps(new Recurrent(recurrentWeights, batch, units), eps);
    INDArray dW = gradientViews.get(inputWeightKey);
    INDArray dRw = gradientViews.get(recurrentWeightKey);
    INDArray dB = gradientViews.get(biasWeightKey);
    INDArray epsNext = products(rows, inputWeights, dW, dRw, dB, workspaceMgr);

    Gradient grad = new DefaultGradient();
    grad.gradientForVariable().put(inputWeightKey, dW);
    grad.gradientForVariable().put(recurrentWeightKey, dRw);
    grad.gradientForVariable().put(biasWeightKey, dB);
    return new Pair<>(grad, epsNext);
  }

  /** The gate deltas of every step into {@link #deltas}, from the output gradients {@code eps}. */
  private void backwardSteps(Recurrent product, float[] eps) {
    int t = steps;
    int mb = batch;
    int n = units;
    int plane = mb * n;
    float[][] dz = deltas;
    float[][] dh = new float[mb][n];
    float[] dcNext = new float[plane];
    for (int s = t - 1; s >= 0; s--) {
      for (int i = 0; i < mb; i++) {
        float[] row = gates[s * mb + i];
        float[] d = dz[s * mb + i];
        float[] dhRow = dh[i];
        for (int r = 0; r < n; r++) {
          int k = s * plane + i * n + r;
          float a = row[r];
          float f = row[n + r];
          float o = row[2 * n + r];
          float in = row[3 * n + r];
          float ct = cellTanh[k];
          float cPrev = s == 0 ? initialCell[i * n + r] : cells[k - plane];
          float dOut = eps[k] + dhRow[r];
          float dc = dOut * o * (1 - ct * ct) + dcNext[i * n + r];
          d[r] = dc * in * (1 - a * a);
          d[n + r] = dc * cPrev * f * (1 - f);
          d[2 * n + r] = dOut * ct * o * (1 - o);
          d[3 * n + r] = dc * a * in * (1 - in);
          dcNext[i * n + r] = dc * f;
        }
      }
      // The output gradient one step back: this step's deltas times RW^T.
      product.backward(dz, s * mb, dh);
    }
  }

  /**
   * The weight gradients of all steps from {@link #deltas}, one product each, into DL4J's gradient
   * views; {@code inputRows} is the input step-major, [T * mb, nIn]. Returns the gradient for the
   * layer below, [mb, nIn, T] in f order as DL4J makes it.
   */
  private INDArray products(
      INDArray inputRows,
      INDArray inputWeights,
      INDArray dW,
      INDArray dRw,
      INDArray dB,
      LayerWorkspaceMgr workspaceMgr) {
    int t = steps;
    int mb = batch;
    int n = units;
    int g = 4 * n;
    int nIn = (int) inputWeights.size(0);
    int plane = mb * n;
    INDArray delta = fromRows(deltas, t * mb, g);
    float[] prev = shifted;
    System.arraycopy(initialOutput, 0, prev, 0, plane);
    System.arraycopy(outputs, 0, prev, plane, (t - 1) * plane);
    Nd4j.gemm(inputRows, delta, dW, true, false, 1.0, 0.0);
    Nd4j.gemm(fromFloats(prev, 0, t * mb, n), delta, dRw, true, false, 1.0, 0.0);
    float[] db = new float[g];
    for (int row = 0; row < t * mb; row++) {
      axpy(1f, deltas[row], db, g);
    }
    dB.assign(Nd4j.createFromArray(db).reshape(dB.shape()));

    INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, (long) t * mb, nIn);
    Nd4j.gemm(delta, inputWeights, dx, false, true, 1.0, 0.0);
    INDArray epsNext =
        workspaceMgr.create(
            ArrayType.ACTIVATION_GRAD, DataType.FLOAT, new long[] {mb, nIn, t}, 'f');
    epsNext.assign(dx.reshape('c', t, mb, nIn).permute(1, 2, 0));
    return epsNext;
  }

  /**
   * The recurrent product of one step through ND4J's gemm: h x RW forward, delta x RW^T backward.
   * Measured against the same product in Java loops: equal at the CPU runs' hidden size (128), BLAS
   * 20% faster per training step at the paper's 512.
   */
  private static final class Recurrent {
    private final INDArray weights;
    private final int mb;
    private final int n;
    private final float[] row;
    private final INDArray h;
    private final INDArray gateRows;

    Recurrent(INDArray weights, int mb, int n) {
      this.weights = weights;
      this.mb = mb;
      this.n = n;
      this.row = new float[4 * n];
      this.h = Nd4j.createUninitialized(DataType.FLOAT, mb, n);
      this.gateRows = Nd4j.createUninitialized(DataType.FLOAT, mb, 4 * n);
    }

    /** gates[rowOff + i] += (h[hOff + i * n ..] x RW) for the mb examples. */
    void forward(float[] hPrev, int hOff, float[][] gates, int rowOff) {
      int g = 4 * n;
      write(hPrev, hOff, h);
      Nd4j.gemm(h, weights, gateRows, false, false, 1.0, 0.0);
      FloatBuffer buf = gateRows.data().asNioFloat();
      for (int i = 0; i < mb; i++) {
        buf.get((int) gateRows.offset() + i * g, row, 0, g);
        axpy(1f, row, gates[rowOff + i], g);
      }
      Reference.reachabilityFence(gateRows);
    }

    /** dh[i] = dz[rowOff + i] x RW^T for the mb examples. */
    void backward(float[][] dz, int rowOff, float[][] dh) {
      int g = 4 * n;
      FloatBuffer in = gateRows.data().asNioFloat();
      for (int i = 0; i < mb; i++) {
        in.put((int) gateRows.offset() + i * g, dz[rowOff + i], 0, g);
      }
      Nd4j.gemm(gateRows, weights, h, false, true, 1.0, 0.0);
      FloatBuffer out = h.data().asNioFloat();
      for (int i = 0; i < mb; i++) {
        out.get((int) h.offset() + i * n, dh[i], 0, n);
      }
      Reference.reachabilityFence(gateRows);
      Reference.reachabilityFence(h);
    }
  }

  private void resize(int t, int mb, int n) {
    steps = t;
    batch = mb;
    units = n;
    int plane = mb * n;
    if (gates.length < t * mb || (gates.length > 0 && gates[0].length != 4 * n)) {
      gates = new float[t * mb][4 * n];
      deltas = new float[t * mb][4 * n];
    }
    if (cells.length < t * plane) {
      cells = new float[t * plane];
      cellTanh = new float[t * plane];
      outputs = new float[t * plane];
      epsilons = new float[t * plane];
      shifted = new float[t * plane];
    }
    if (initialOutput.length < plane) {
      initialOutput = new float[plane];
      initialCell = new float[plane];
    }
    if (stepGates.length != 4 * plane || tiledUnits != n) {
      int g = 4 * n;
      tiledUnits = n;
      stepGates = new float[4 * plane];
      biasTile = new float[4 * plane];
      gateScale = new float[4 * plane];
      gateShift = new float[4 * plane];
      for (int k = 0; k < 4 * plane; k++) {
        // Columns [0, n) of each row: the block input, tanh; the rest: gates, sigmoid.
        boolean block = k % g < n;
        gateScale[k] = block ? 1f : 0.5f;
        gateShift[k] = block ? 0f : 0.5f;
      }
      blockIn = new float[plane];
      forget = new float[plane];
      outGate = new float[plane];
      inGate = new float[plane];
      cellPrev = new float[plane];
      cell = new float[plane];
      cellTanhStep = new float[plane];
      output = new float[plane];
    }
  }

  /**
   * y += a * x over {@code n} values. Both arrays indexed from 0 by the loop variable: the JIT
   * vectorises this form (about 16 multiply-adds per nanosecond here), not one with two offsets.
   */
  private static void axpy(float a, float[] x, float[] y, int n) {
    for (int j = 0; j < n; j++) {
      y[j] += a * x[j];
    }
  }

  /** [mb, width, T] (or [mb, width] for one step) as c-order [T * mb, width]. */
  private static INDArray stepMajor(INDArray a, int t, int mb, int width) {
    INDArray steps = a.rank() == 3 ? a.permute(2, 0, 1) : a.reshape(1, mb, width);
    return steps.dup('c').reshape('c', (long) t * mb, width);
  }

  /** An initial state [mb, n], or zeros without one. */
  private static void state(INDArray a, float[] dst, int length) {
    if (a == null) {
      java.util.Arrays.fill(dst, 0, length, 0f);
    } else {
      read(a, dst);
    }
  }

  /** The values of {@code a} in c order into {@code dst}. */
  private static float[] read(INDArray a, float[] dst) {
    INDArray c = a.ordering() == 'c' && a.elementWiseStride() == 1 ? a : a.dup('c');
    FloatBuffer buf = c.data().asNioFloat();
    buf.get((int) c.offset(), dst, 0, (int) c.length());
    Reference.reachabilityFence(c);
    return dst;
  }

  /** The first {@code rows} rows of the matrix {@code a} into {@code dst}'s rows. */
  private static float[][] readRows(INDArray a, float[][] dst, int rows) {
    INDArray c = a.ordering() == 'c' && a.elementWiseStride() == 1 ? a : a.dup('c');
    FloatBuffer buf = c.data().asNioFloat();
    int cols = (int) c.size(1);
    int off = (int) c.offset();
    for (int r = 0; r < rows; r++) {
      buf.get(off + r * cols, dst[r], 0, cols);
    }
    Reference.reachabilityFence(c);
    return dst;
  }

  /** A new c-order [rows, cols] array of the first {@code rows} rows of {@code src}. */
  private static INDArray fromRows(float[][] src, int rows, int cols) {
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
    FloatBuffer buf = a.data().asNioFloat();
    int off = (int) a.offset();
    for (int r = 0; r < rows; r++) {
      buf.put(off + r * cols, src[r], 0, cols);
    }
    Reference.reachabilityFence(a);
    return a;
  }

  /** {@code src} into {@code dst}, which is contiguous and fresh (its values in its own order). */
  private static void write(float[] src, INDArray dst) {
    write(src, 0, dst);
  }

  private static void write(float[] src, int offset, INDArray dst) {
    FloatBuffer buf = dst.data().asNioFloat();
    buf.put((int) dst.offset(), src, offset, (int) dst.length());
    Reference.reachabilityFence(dst);
  }

  /** A new c-order [rows, cols] array of {@code src} from {@code offset}. */
  private static INDArray fromFloats(float[] src, int offset, int rows, int cols) {
    INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
    write(src, offset, a);
    return a;
  }
}
