package org.medvqa.features;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ResNet50 forward pass on oneDNN's convolution primitives (engine {@code onednn}), in fp32 or
 * bf16 (fp32 accumulation either way).
 *
 * <p>Why: the gemm engine's SGEMMs run OpenBLAS's AVX2 kernels (this machine pins {@code
 * OPENBLAS_CORETYPE=Haswell}), while oneDNN chooses its kernels from the CPU flags, AVX-512 and AMX
 * included, as PyTorch's convolutions do. Per thread (so per batch size, thread count and
 * precision): one primitive per layer, created once and reused for every batch; the weights, with
 * the batch norms folded in by {@link WeightSet#folded}, reordered once into the layout each
 * primitive prefers and shared between threads; activations in the layout oneDNN chooses ({@code
 * format_tag::any}, blocked) from the first convolution to the last, reordered only at the input
 * and output; ReLU, and the residual sum before its ReLU, fused into the convolutions as post-ops
 * (the last 1x1 of a block adds into the shortcut's memory in place); the stem's max pool a oneDNN
 * pooling primitive; the global average pool a plain mean over the 7x7 map in Java.
 *
 * <p>Activations live in a few buffers per thread, reused along the network (input and 1x1 output
 * of a block, its 3x3 output, and two for the block outputs, which alternate when a projection
 * shortcut needs a fresh one): about 130 MB at batch 16 in fp32, against 600 MB for one buffer per
 * layer.
 *
 * <p>Threads: the presets link oneDNN against OpenMP ({@code libgomp.so.1}, preloaded from the
 * jar). Loaded after ND4J, whose natives bring their own {@code libgomp.so.1}, the dynamic linker
 * resolves oneDNN to ND4J's copy: one OpenMP runtime in the JVM, so ND4J's {@code setOmpNumThreads}
 * ({@link FeatureModel#applyThreads}) sets oneDNN's threads too ({@link OneDnnRuntime} checks that
 * only one is mapped). A primitive fixes its thread count when created, so the plans are per thread
 * and built after the task applied its thread count.
 */
final class OneDnnEngine implements ForwardPass {
  /** One convolution's folded weights [out, in, kh, kw] and bias, with its geometry. */
  private record Conv(ResNet50.ConvSpec spec, int in, int out, FloatPointer w, float[] b) {}

  /** The current activation: its memory and logical dimensions (n, c, h, w). */
  private record Act(memory m, long c, long h, long w) {}

  /** Buffer roles, see the class comment; {@link #EXTRA} holds any reorder between layers. */
  private static final int OUT_A = 0;

  private static final int OUT_B = 1;
  private static final int MID_1 = 2;
  private static final int MID_3 = 3;
  private static final int EXTRA = 4;

  private final Conv conv1;
  private final List<ResNet50.Bottleneck<Conv>> blocks = new ArrayList<>();
  private final int imageSize;
  private final ResNet50 network;
  private final memory.data_type type;

  /** Weights and biases in the primitives' layouts, shared by the threads' plans, by layer. */
  private final Map<String, memory> weights = new ConcurrentHashMap<>();

  private final Map<String, memory> biases = new ConcurrentHashMap<>();
  private final ThreadLocal<Plan> plans = new ThreadLocal<>();

  /**
   * @param bf16 weights and activations in bf16 (the caller checked {@link
   *     OneDnnRuntime#hasBf16()})
   */
  OneDnnEngine(ResNet50 network, WeightSet weightSet, boolean bf16) {
    OneDnnRuntime.require();
    this.imageSize = network.imageSize();
    this.network = network;
    this.type = bf16 ? memory.data_type.bf16 : memory.data_type.f32;
    conv1 = conv(weightSet, ResNet50.CONV1);
    for (ResNet50.Bottleneck<ResNet50.ConvSpec> b : network.bottlenecks()) {
      blocks.add(b.map(spec -> conv(weightSet, spec)));
    }
  }

  private static Conv conv(WeightSet weights, ResNet50.ConvSpec spec) {
    INDArray[] f = weights.folded(spec.name());
    float[] w = f[0].castTo(DataType.FLOAT).dup('c').data().asFloat();
    float[] b = f[1].castTo(DataType.FLOAT).dup('c').data().asFloat();
    return new Conv(spec, (int) f[0].size(1), (int) f[0].size(0), new FloatPointer(w), b);
  }

  @Override
  public INDArray[] run(float[] input, int n, boolean keepMap, int[] stages) {
    Plan p = plans.get();
    if (p == null || p.batch != n || !java.util.Arrays.equals(p.stages, stages)) {
      if (p != null) {
        p.close();
      }
      p = plan(n, stages);
      plans.set(p);
    }
    p.in.put(input, 0, n * 3 * imageSize * imageSize);
    for (int i = 0; i < p.steps.size(); i++) {
      p.steps.get(i).execute(p.stream, p.args.get(i));
    }
    p.stream._wait();
    int c = (int) p.outC;
    int hw = (int) (p.outH * p.outW);
    float[] map = new float[n * hw * c];
    p.out.get(map, 0, map.length);
    float[] pooled = new float[n * c];
    for (int i = 0; i < n; i++) {
      for (int px = 0; px < hw; px++) {
        int at = (i * hw + px) * c;
        for (int ch = 0; ch < c; ch++) {
          pooled[i * c + ch] += map[at + ch];
        }
      }
      for (int ch = 0; ch < c; ch++) {
        pooled[i * c + ch] /= hw;
      }
    }
    List<INDArray> out = new ArrayList<>();
    out.add(Nd4j.create(pooled, new long[] {n, c}, 'c'));
    if (keepMap) {
      out.add(Nd4j.create(map, new long[] {n, p.outH, p.outW, c}, 'c'));
    }
    for (int i = 0; i < stages.length; i++) {
      Act a = p.stageActs.get(i);
      float[] m = new float[(int) (n * a.c() * a.h() * a.w())];
      p.stageOut.get(i).get(m, 0, m.length);
      out.add(Nd4j.create(m, new long[] {n, a.h(), a.w(), a.c()}, 'c'));
    }
    return out.toArray(new INDArray[0]);
  }

  /**
   * The kernels oneDNN chose for this thread's primitives, with counts (e.g. {@code conv
   * brgconv:avx512_core_amx=52}), and any reorders it needed; empty before the first batch. For
   * benchmarks: a {@code ref} kernel would be a slow path.
   */
  String kernels() {
    Plan p = plans.get();
    return p == null ? "" : p.kernels.toString();
  }

  /** What one thread runs for one batch size: the primitives in order and their arguments. */
  private static final class Plan implements AutoCloseable {
    final int batch;
    final stream stream = new stream(OneDnnRuntime.engine());
    final List<primitive> steps = new ArrayList<>();
    final List<IntMemoryMap> args = new ArrayList<>();
    final List<List<memory>> bound = new ArrayList<>();
    final long[] need = new long[EXTRA + 1];
    final List<Pointer> owned = new ArrayList<>();
    final java.util.SortedMap<String, Integer> kernels = new java.util.TreeMap<>();
    final int[] stages;
    final List<FloatPointer> stageOut = new ArrayList<>();
    final List<Act> stageActs = new ArrayList<>();
    FloatPointer in;
    FloatPointer out;
    long outC;
    long outH;
    long outW;

    Plan(int batch, int[] stages) {
      this.batch = batch;
      this.stages = stages.clone();
      for (int i = 0; i <= EXTRA; i++) {
        bound.add(new ArrayList<>());
      }
    }

    /** A memory of {@code d} in buffer {@code role}, which gets its address in {@link #bind}. */
    memory buffer(memory.desc d, int role) {
      memory m = new memory(d, OneDnnRuntime.engine(), (Pointer) null);
      bound.get(role).add(m);
      need[role] = Math.max(need[role], d.get_size());
      return m;
    }

    void step(primitive p, Object... argsAndMemories) {
      IntMemoryMap map = new IntMemoryMap();
      for (int i = 0; i < argsAndMemories.length; i += 2) {
        map.put((Integer) argsAndMemories[i], (memory) argsAndMemories[i + 1]);
      }
      steps.add(p);
      args.add(map);
    }

    /** Allocates each role's buffer once, at the largest size it holds, and points its memories. */
    void bind() {
      for (int role = 0; role <= EXTRA; role++) {
        if (need[role] == 0) {
          continue;
        }
        memory storage = new memory(desc(memory.data_type.u8, 'x', need[role]), engine());
        owned.add(storage);
        for (memory m : bound.get(role)) {
          m.set_data_handle(storage.get_data_handle());
        }
      }
    }

    private static engine engine() {
      return OneDnnRuntime.engine();
    }

    @Override
    public void close() {
      steps.forEach(Pointer::close);
      args.forEach(Pointer::close);
      bound.forEach(l -> l.forEach(Pointer::close));
      owned.forEach(Pointer::close);
      in.close();
      out.close();
      stageOut.stream().filter(q -> q != out).forEach(Pointer::close);
      stream.close();
    }
  }

  /** Builds this thread's primitives for batches of {@code n}, copying out {@code stages}' maps. */
  private Plan plan(int n, int[] stages) {
    Plan p = new Plan(n, stages);
    p.in = new FloatPointer((long) n * 3 * imageSize * imageSize);
    memory userIn =
        new memory(
            desc(memory.data_type.f32, 'n', n, 3, imageSize, imageSize),
            OneDnnRuntime.engine(),
            p.in);
    p.owned.add(userIn);
    Act x = conv(p, conv1, new Act(userIn, 3, imageSize, imageSize), null, OUT_A);
    x = maxPool(p, x, OUT_B);
    int xRole = OUT_B;
    int block = 0;
    for (ResNet50.Bottleneck<Conv> b : blocks) {
      Act a = conv(p, b.a(), x, null, MID_1);
      Act m = conv(p, b.b(), a, null, MID_3);
      int sumRole = xRole;
      Act shortcut = x;
      if (b.shortcut() != null) {
        sumRole = xRole == OUT_A ? OUT_B : OUT_A;
        shortcut = conv(p, b.shortcut(), x, null, sumRole);
      }
      x = conv(p, b.c(), m, shortcut, sumRole);
      xRole = sumRole;
      for (int stage : stages) {
        // The last block's output is copied out once below, as the network's output.
        if (network.lastBlock(stage) == block && block < blocks.size() - 1) {
          p.stageActs.add(x);
          p.stageOut.add(copyOut(p, x));
        }
      }
      block++;
    }
    p.outC = x.c();
    p.outH = x.h();
    p.outW = x.w();
    p.out = copyOut(p, x);
    for (int stage : stages) {
      if (network.lastBlock(stage) == blocks.size() - 1) {
        p.stageActs.add(x);
        p.stageOut.add(p.out);
      }
    }
    p.bind();
    return p;
  }

  /**
   * One convolution with its bias and ReLU and, when {@code sum} is given, the residual added
   * before the ReLU into {@code sum}'s memory (which is then also the output).
   */
  private Act conv(Plan p, Conv cv, Act src, Act sum, int role) {
    ResNet50.ConvSpec s = cv.spec();
    long oh = (src.h() + 2L * s.pad() - s.kernel()) / s.stride() + 1;
    long ow = (src.w() + 2L * s.pad() - s.kernel()) / s.stride() + 1;
    long n = p.batch;
    memory.desc dst = sum != null ? sum.m().get_desc() : desc(type, 'a', n, cv.out(), oh, ow);
    post_ops ops = new post_ops();
    if (sum != null) {
      ops.append_sum(); // scale 1: dst = conv + dst
    }
    if (s.relu() || sum != null) {
      ops.append_eltwise(1.0f, dnnl.algorithm.eltwise_relu, 0f, 0f);
    }
    primitive_attr attr = new primitive_attr();
    attr.set_post_ops(ops);
    long[] stride = {s.stride(), s.stride()};
    long[] pad = {s.pad(), s.pad()};
    convolution_forward.primitive_desc pd =
        new convolution_forward.primitive_desc(
            new convolution_forward.desc(
                dnnl.prop_kind.forward_inference,
                dnnl.algorithm.convolution_direct,
                desc(type, 'a', n, cv.in(), src.h(), src.w()),
                desc(type, 'a', cv.out(), cv.in(), s.kernel(), s.kernel()),
                desc(memory.data_type.f32, 'x', cv.out()),
                dst,
                new LongPointer(stride),
                new LongPointer(pad),
                new LongPointer(pad)),
            attr,
            OneDnnRuntime.engine());
    p.kernels.merge("conv " + pd.impl_info_str().getString(), 1, Integer::sum);
    memory from = reorderIfNeeded(p, src.m(), pd.src_desc());
    memory to = sum != null ? sum.m() : p.buffer(pd.dst_desc(), role);
    p.step(
        new convolution_forward(pd),
        dnnl.DNNL_ARG_SRC,
        from,
        dnnl.DNNL_ARG_WEIGHTS,
        weights(p, cv, pd.weights_desc()),
        dnnl.DNNL_ARG_BIAS,
        bias(p, cv),
        dnnl.DNNL_ARG_DST,
        to);
    return new Act(to, cv.out(), oh, ow);
  }

  /** 3x3 max pool, stride 2, padding 1 (padding never wins in oneDNN, as zeros after a ReLU). */
  private Act maxPool(Plan p, Act x, int role) {
    long oh = (x.h() + 2 - 3) / 2 + 1;
    long ow = (x.w() + 2 - 3) / 2 + 1;
    long[] two = {2, 2};
    long[] one = {1, 1};
    pooling_forward.primitive_desc pd =
        new pooling_forward.primitive_desc(
            new pooling_forward.desc(
                dnnl.prop_kind.forward_inference,
                dnnl.algorithm.pooling_max,
                x.m().get_desc(),
                desc(type, 'a', p.batch, x.c(), oh, ow),
                new LongPointer(two),
                new LongPointer(new long[] {3, 3}),
                new LongPointer(one),
                new LongPointer(one)),
            OneDnnRuntime.engine());
    p.kernels.merge("pool " + pd.impl_info_str().getString(), 1, Integer::sum);
    memory y = p.buffer(pd.dst_desc(), role);
    p.step(new pooling_forward(pd), dnnl.DNNL_ARG_SRC, x.m(), dnnl.DNNL_ARG_DST, y);
    return new Act(y, x.c(), oh, ow);
  }

  /**
   * A reorder of {@code x} into a plain fp32 NHWC buffer of its own, run at this point of the plan
   * (the activation buffers are reused by the layers after it).
   */
  private static FloatPointer copyOut(Plan p, Act x) {
    FloatPointer dst = new FloatPointer(p.batch * x.c() * x.h() * x.w());
    memory user =
        new memory(
            desc(memory.data_type.f32, 'n', p.batch, x.c(), x.h(), x.w()),
            OneDnnRuntime.engine(),
            dst);
    p.owned.add(user);
    p.step(
        new reorder(new reorder.primitive_desc(x.m(), user)),
        dnnl.DNNL_ARG_FROM,
        x.m(),
        dnnl.DNNL_ARG_TO,
        user);
    return dst;
  }

  /**
   * {@code m}, or a reorder of it into {@code wanted} when the primitive chose another layout than
   * its producer (the network input always; between layers only if oneDNN wants it).
   */
  private static memory reorderIfNeeded(Plan p, memory m, memory.desc wanted) {
    if (m.get_desc().equals(wanted)) {
      return m;
    }
    p.kernels.merge(
        p.steps.isEmpty() ? "reorder input" : "reorder between layers", 1, Integer::sum);
    memory r = p.buffer(wanted, p.steps.isEmpty() ? MID_1 : EXTRA);
    p.step(
        new reorder(new reorder.primitive_desc(m, r)), dnnl.DNNL_ARG_FROM, m, dnnl.DNNL_ARG_TO, r);
    return r;
  }

  /**
   * The layer's weights in {@code layout}, reordered from [out, in, kh, kw] fp32 once and shared by
   * the threads' plans (a thread whose primitive wants another layout gets its own copy).
   */
  private memory weights(Plan p, Conv cv, memory.desc layout) {
    String name = cv.spec().name();
    memory shared = weights.get(name);
    if (shared != null && shared.get_desc().equals(layout)) {
      return shared;
    }
    int k = cv.spec().kernel();
    memory user =
        new memory(
            desc(memory.data_type.f32, 'o', cv.out(), cv.in(), k, k),
            OneDnnRuntime.engine(),
            cv.w());
    memory target = new memory(layout, OneDnnRuntime.engine());
    new reorder(new reorder.primitive_desc(user, target)).execute(p.stream, user, target);
    p.stream._wait();
    user.close();
    if (shared == null) {
      weights.putIfAbsent(name, target);
    } else {
      p.owned.add(target);
    }
    return target;
  }

  private memory bias(Plan p, Conv cv) {
    return biases.computeIfAbsent(
        cv.spec().name(),
        name -> {
          memory m = new memory(desc(memory.data_type.f32, 'x', cv.out()), OneDnnRuntime.engine());
          new FloatPointer(m.get_data_handle()).put(cv.b());
          return m;
        });
  }

  /**
   * A memory descriptor: layout {@code 'a'} any (oneDNN chooses), {@code 'n'} nhwc, {@code 'o'}
   * oihw, {@code 'x'} a plain vector.
   */
  static memory.desc desc(memory.data_type type, char layout, long... dims) {
    memory.format_tag tag =
        switch (layout) {
          case 'a' -> memory.format_tag.any;
          case 'n' -> memory.format_tag.nhwc;
          case 'o' -> memory.format_tag.oihw;
          default -> memory.format_tag.x;
        };
    return new memory.desc(new LongPointer(dims), type, tag);
  }
}
