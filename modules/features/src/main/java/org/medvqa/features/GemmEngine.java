package org.medvqa.features;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The same ResNet50 forward pass as {@link ResNet50}'s graph, for inference only, written as matrix
 * products so that nearly all the work runs at BLAS SGEMM speed: activations channels-last (NHWC),
 * batch norms folded into the convolutions, a 1x1 convolution one SGEMM over all pixels, a k x k
 * convolution an SGEMM over an im2col matrix whose columns are (dy, dx, channel).
 *
 * <p>Why: DL4J 1.0.0-M2.1 runs its convolution layers as im2col and a matrix product in Java with
 * NCHW permutes around them, and never uses its oneDNN helpers on CPU (their availability check
 * calls {@code Nd4jCpu.Environment.isUseMKLDNN()}, which the M2.1 native bindings renamed to {@code
 * isUseONEDNN()}, so the check fails and every layer falls back); libnd4j's own {@code conv2d} op
 * measured 16-23 GFLOP/s here against 90-140 for SGEMM on the same shapes. The graph stays the
 * reference: tests check that both give the same features.
 */
final class GemmEngine implements ForwardPass {
  /** One convolution: gemm weights [k*k*in, out] (rows in dy, dx, channel order) and bias. */
  private record Conv(
      String name, int k, int stride, int pad, INDArray w, INDArray b, boolean relu) {}

  /** Time spent per kind of work (nanoseconds), for the benchmark's profile. */
  static final java.util.concurrent.atomic.AtomicLongArray PROFILE =
      new java.util.concurrent.atomic.AtomicLongArray(4);

  /** Names of the {@link #PROFILE} slots. */
  static final String[] PROFILE_NAMES = {
    "sgemm", "im2col and strided copies", "bias, ReLU, residual add", "max pool and average pool"
  };

  private final Conv conv1;
  private final List<ResNet50.Bottleneck<Conv>> blocks = new ArrayList<>();
  private final int imageSize;
  private final ResNet50 network;

  GemmEngine(ResNet50 network, WeightSet weights) {
    this.imageSize = network.imageSize();
    this.network = network;
    conv1 = conv(weights, ResNet50.CONV1);
    for (ResNet50.Bottleneck<ResNet50.ConvSpec> b : network.bottlenecks()) {
      blocks.add(b.map(spec -> conv(weights, spec)));
    }
  }

  private static Conv conv(WeightSet weights, ResNet50.ConvSpec spec) {
    INDArray[] f = weights.folded(spec.name());
    long out = f[0].size(0);
    // [out, in, kh, kw] -> [kh, kw, in, out] -> [kh*kw*in, out]
    INDArray w = f[0].permute(2, 3, 1, 0).dup('c').reshape('c', -1, out).castTo(DataType.FLOAT);
    return new Conv(
        spec.name(),
        spec.kernel(),
        spec.stride(),
        spec.pad(),
        w,
        f[1].reshape(1, out).castTo(DataType.FLOAT).dup('c'),
        spec.relu());
  }

  /**
   * The forward pass.
   *
   * @param input {@code n} images NHWC, caffe-preprocessed
   * @return the pooled features [n, width] and, when asked, the last map [n, h, w, c]
   */
  @Override
  public INDArray[] run(float[] input, int n, boolean keepMap, int[] stages) {
    ARENA.get().start(n);
    List<INDArray> stageMaps = new ArrayList<>();
    int block = 0;
    INDArray x = Nd4j.create(input, new long[] {n, imageSize, imageSize, 3}, 'c');
    INDArray y = apply(conv1, x);
    x.close();
    long t0 = System.nanoTime();
    x = maxPool(y);
    release(y);
    PROFILE.addAndGet(3, System.nanoTime() - t0);
    for (ResNet50.Bottleneck<Conv> b : blocks) {
      INDArray a = apply(b.a(), x);
      INDArray m = apply(b.b(), a);
      release(a);
      INDArray out = apply(b.c(), m);
      release(m);
      INDArray s = b.shortcut() != null ? apply(b.shortcut(), x) : x;
      long t1 = System.nanoTime();
      out.addi(s);
      release(x);
      if (s != x) {
        release(s);
      }
      x = Transforms.relu(out, false);
      PROFILE.addAndGet(2, System.nanoTime() - t1);
      for (int stage : stages) {
        if (network.lastBlock(stage) == block) {
          stageMaps.add(x.dup('c')); // a copy: x's buffer goes back to the arena
        }
      }
      block++;
    }
    long h = x.size(1);
    long w = x.size(2);
    long c = x.size(3);
    long t2 = System.nanoTime();
    INDArray pooled = x.reshape('c', n, h * w, c).mean(1);
    PROFILE.addAndGet(3, System.nanoTime() - t2);
    List<INDArray> out = new ArrayList<>();
    out.add(pooled);
    if (keepMap) {
      out.add(x.dup('c'));
    }
    release(x);
    out.addAll(stageMaps);
    return out.toArray(new INDArray[0]);
  }

  /** One convolution with its folded bias and optional ReLU, as one SGEMM. */
  private static INDArray apply(Conv cv, INDArray x) {
    long n = x.size(0);
    long h = x.size(1);
    long w = x.size(2);
    long c = x.size(3);
    long oh = (h + 2L * cv.pad() - cv.k()) / cv.stride() + 1;
    long ow = (w + 2L * cv.pad() - cv.k()) / cv.stride() + 1;
    long t0 = System.nanoTime();
    INDArray cols;
    boolean owned;
    if (cv.k() == 1 && cv.stride() == 1) {
      cols = x.reshape('c', n * h * w, c);
      owned = false;
    } else if (cv.k() == 1) {
      cols = subsample(x, cv.stride(), oh, ow);
      owned = true;
    } else {
      cols = im2col(x, cv.k(), cv.stride(), cv.pad(), oh, ow);
      owned = true;
    }
    long out = cv.w().size(1);
    INDArray y = ARENA.get().take(n * oh * ow, out);
    long t1 = System.nanoTime();
    PROFILE.addAndGet(1, t1 - t0);
    Nd4j.gemm(cols, cv.w(), y, false, false, 1.0, 0.0);
    long t2 = System.nanoTime();
    PROFILE.addAndGet(0, t2 - t1);
    if (owned) {
      release(cols);
    }
    y.addiRowVector(cv.b());
    if (cv.relu()) {
      Transforms.relu(y, false);
    }
    PROFILE.addAndGet(2, System.nanoTime() - t2);
    return y.reshape('c', n, oh, ow, out);
  }

  /**
   * Large intermediate arrays of this thread, kept for the next batch instead of freed: the shapes
   * repeat from batch to batch, and a fresh allocation of this size is memory the kernel must map
   * and zero page by page (measured: a quarter of the forward pass). Kept per thread, at most what
   * one forward pass has alive at once for each size.
   */
  private static final ThreadLocal<Arena> ARENA = ThreadLocal.withInitial(Arena::new);

  private static final class Arena {
    private final java.util.Map<Long, java.util.ArrayDeque<INDArray>> free =
        new java.util.HashMap<>();
    private int batch = -1;

    /** Starts a pass over {@code n} images; arrays sized for another batch size are freed. */
    void start(int n) {
      if (n != batch) {
        free.values().forEach(q -> q.forEach(INDArray::close));
        free.clear();
        batch = n;
      }
    }

    INDArray take(long rows, long cols) {
      java.util.ArrayDeque<INDArray> q = free.get(rows * cols);
      INDArray flat = q == null || q.isEmpty() ? null : q.pop();
      if (flat == null) {
        flat = Nd4j.createUninitialized(DataType.FLOAT, new long[] {rows * cols}, 'c');
      }
      return flat.reshape('c', new long[] {rows, cols});
    }

    void give(INDArray a) {
      free.computeIfAbsent(a.length(), k -> new java.util.ArrayDeque<>())
          .push(a.reshape('c', new long[] {a.length()}));
    }
  }

  /** Returns an array made by {@link Arena#take} to this thread's arena. */
  private static void release(INDArray a) {
    ARENA.get().give(a);
  }

  /** Zeros for the parts of a patch outside the image. */
  private static final FloatBuffer ZEROS =
      ByteBuffer.allocateDirect(4 * 8 * 4096).order(ByteOrder.nativeOrder()).asFloatBuffer();

  /** The float memory of a fresh (offset 0, c-order) array, for bulk copies. */
  private static FloatBuffer floats(INDArray a) {
    return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /**
   * [n*oh*ow, k*k*c] patches of an NHWC input with zero padding, columns in (dy, dx, channel)
   * order. In NHWC the k taps of one patch row are k*c consecutive floats both in the input and in
   * the patch, so each (output pixel, dy) is one bulk memory copy; libnd4j's strided assign of the
   * same copies took 40% of the forward pass.
   */
  private static INDArray im2col(INDArray x, int k, int stride, int pad, long oh, long ow) {
    if (x.offset() != 0
        || x.ordering() != 'c'
        || !org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(x)) {
      x = x.dup('c');
    }
    int n = (int) x.size(0);
    int h = (int) x.size(1);
    int w = (int) x.size(2);
    int c = (int) x.size(3);
    int kc = k * c;
    int cols = k * kc;
    INDArray out = ARENA.get().take(n * oh * ow, cols);
    FloatBuffer src = floats(x);
    FloatBuffer dst = floats(out);
    int row = 0;
    for (int b = 0; b < n; b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++, row++) {
          int x0 = ox * stride - pad;
          int lo = Math.max(0, -x0); // taps left of the image
          int hi = Math.min(k, w - x0); // taps up to the right edge
          for (int dy = 0; dy < k; dy++) {
            int iy = oy * stride - pad + dy;
            int base = row * cols + dy * kc;
            if (iy < 0 || iy >= h || hi <= lo) {
              zero(dst, base, kc);
              continue;
            }
            if (lo > 0) {
              zero(dst, base, lo * c);
            }
            dst.put(base + lo * c, src, ((b * h + iy) * w + x0 + lo) * c, (hi - lo) * c);
            if (hi < k) {
              zero(dst, base + hi * c, (k - hi) * c);
            }
          }
        }
      }
    }
    return out;
  }

  private static void zero(FloatBuffer dst, int at, int len) {
    for (int done = 0; done < len; ) {
      int m = Math.min(len - done, ZEROS.capacity());
      dst.put(at + done, ZEROS, 0, m);
      done += m;
    }
  }

  /**
   * Every {@code stride}-th pixel of an NHWC input, as [n*oh*ow, c] (a strided 1x1 convolution).
   */
  private static INDArray subsample(INDArray x, int stride, long oh, long ow) {
    if (x.offset() != 0
        || x.ordering() != 'c'
        || !org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(x)) {
      x = x.dup('c');
    }
    int h = (int) x.size(1);
    int w = (int) x.size(2);
    int c = (int) x.size(3);
    int n = (int) x.size(0);
    INDArray out = ARENA.get().take(n * oh * ow, c);
    FloatBuffer src = floats(x);
    FloatBuffer dst = floats(out);
    int row = 0;
    for (int b = 0; b < n; b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++, row++) {
          dst.put(row * c, src, ((b * h + oy * stride) * w + ox * stride) * c, c);
        }
      }
    }
    return out;
  }

  /**
   * 3x3 max pool, stride 2, padding 1 (outside pixels never win: the input is after a ReLU), on
   * heap copies of the rows: libnd4j's strided max over nine shifted views took 15% of the pass.
   */
  private static INDArray maxPool(INDArray x) {
    if (x.offset() != 0
        || x.ordering() != 'c'
        || !org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(x)) {
      x = x.dup('c');
    }
    int n = (int) x.size(0);
    int h = (int) x.size(1);
    int w = (int) x.size(2);
    int c = (int) x.size(3);
    int oh = (h + 2 - 3) / 2 + 1;
    int ow = (w + 2 - 3) / 2 + 1;
    INDArray out = ARENA.get().take((long) n * oh * ow, c);
    FloatBuffer src = floats(x);
    FloatBuffer dst = floats(out);
    int rowLen = w * c;
    float[][] rows = new float[3][rowLen];
    float[] result = new float[ow * c];
    for (int b = 0; b < n; b++) {
      for (int oy = 0; oy < oh; oy++) {
        java.util.Arrays.fill(result, 0f);
        for (int dy = 0; dy < 3; dy++) {
          int iy = oy * 2 - 1 + dy;
          if (iy < 0 || iy >= h) {
            continue;
          }
          float[] row = rows[dy];
          src.get((b * h + iy) * rowLen, row, 0, rowLen);
          for (int ox = 0; ox < ow; ox++) {
            int o = ox * c;
            for (int dx = 0; dx < 3; dx++) {
              int ix = ox * 2 - 1 + dx;
              if (ix < 0 || ix >= w) {
                continue;
              }
              int p = ix * c;
              for (int ch = 0; ch < c; ch++) {
                result[o + ch] = Math.max(result[o + ch], row[p + ch]);
              }
            }
          }
        }
        dst.put((b * oh + oy) * ow * c, result, 0, ow * c);
      }
    }
    return out.reshape('c', new long[] {n, oh, ow, c});
  }
}
