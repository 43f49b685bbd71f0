package org.medvqa.features;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ResNet50 as a DL4J {@link ComputationGraph}, layer for layer the Keras {@code ResNet50} of
 * keras-applications (K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
 * Recognition", CVPR 2016, Table 1, 50-layer column), with the Keras layer names ({@code conv1},
 * {@code bn_conv1}, {@code res2a_branch2a}, {@code bn2a_branch2a}, ..., {@code fc1000}) so that
 * Keras weights load by name.
 *
 * <p>Why not DL4J's zoo {@code ResNet50} configuration: it differs from the Keras network the
 * weights were trained in (stride 2 already in stage 2, no padding before the first max pool, a 3x3
 * max pool where Keras averages globally), so Keras weights loaded into it do not classify.
 *
 * <p>For inference the batch norms can be folded into the convolutions ({@link
 * Builder#optFoldBatchNorm}): the graph then has no batch-norm layers, and the convolutions before
 * a ReLU apply it themselves. Small variants (fewer blocks, narrower layers, smaller input) with
 * the same names serve the unit tests.
 */
public final class ResNet50 {
  /** The graph input. */
  public static final String INPUT = "input_1";

  /** The global average pool: the 2048-wide image feature. */
  public static final String POOL = "avg_pool";

  /** The ImageNet classifier (softmax over 1000 classes). */
  public static final String TOP = "fc1000";

  /** Width of the pooled feature of the full network. */
  public static final int FEATURES = 2048;

  /** ImageNet classes of {@link #TOP}. */
  public static final int CLASSES = 1000;

  /** Keras' batch-norm epsilon in ResNet50 (DL4J's default is 1e-5). */
  public static final double BN_EPSILON = 1e-3;

  /** Blocks per stage (conv2_x .. conv5_x) of the 50-layer network. */
  private static final int[] BLOCKS_50 = {3, 4, 6, 3};

  private static final int[] WIDTHS = {64, 128, 256, 512};

  private final int imageSize;
  private final CNN2DFormat format;
  private final boolean foldBatchNorm;
  private final boolean top;
  private final boolean map;
  private final int[] stageMaps;
  private final int widthDivisor;
  private final int[] blocks;
  private final long seed;

  private ResNet50(Builder b) {
    this.imageSize = b.imageSize;
    this.format = b.format;
    this.foldBatchNorm = b.foldBatchNorm;
    this.top = b.top;
    this.map = b.map;
    this.stageMaps = b.stageMaps.clone();
    this.widthDivisor = b.widthDivisor;
    this.blocks = b.blocks.clone();
    this.seed = b.seed;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of the graph; every one has the full network's default. */
  public static final class Builder {
    private int imageSize = 224;
    private CNN2DFormat format = CNN2DFormat.NCHW;
    private boolean foldBatchNorm;
    private boolean top;
    private boolean map;
    private int[] stageMaps = {};
    private int widthDivisor = 1;
    private int[] blocks = BLOCKS_50;
    private long seed = 12345;

    private Builder() {}

    /** Side of the square input (default 224). */
    public Builder optImageSize(int size) {
      this.imageSize = size;
      return this;
    }

    /** Activation layout, NCHW (default) or NHWC. */
    public Builder optFormat(CNN2DFormat f) {
      this.format = f;
      return this;
    }

    /** Batch norms folded into the convolutions, for inference (default false). */
    public Builder optFoldBatchNorm(boolean fold) {
      this.foldBatchNorm = fold;
      return this;
    }

    /** Also output the ImageNet classifier {@link #TOP} (default false). */
    public Builder optTop(boolean withTop) {
      this.top = withTop;
      return this;
    }

    /** Also output the last convolutional map, see {@link ResNet50#mapLayer()} (default false). */
    public Builder optMap(boolean withMap) {
      this.map = withMap;
      return this;
    }

    /**
     * Also output the maps at the end of these stages (3..5), after the map and top, in this order
     * (default none; for {@link Pooling}).
     */
    public Builder optStageMaps(int... stages) {
      for (int s : stages) {
        if (s < 3 || s > 5) {
          throw new IllegalArgumentException("stage maps are of stages 3..5, got " + s);
        }
      }
      this.stageMaps = stages.clone();
      return this;
    }

    /** Divides every layer width (default 1; tests use small networks). */
    public Builder optWidthDivisor(int d) {
      this.widthDivisor = d;
      return this;
    }

    /** Blocks per stage 2..5 (default 3, 4, 6, 3). */
    public Builder optBlocks(int... perStage) {
      if (perStage.length != 4) {
        throw new IllegalArgumentException("ResNet50 has 4 stages, got " + perStage.length);
      }
      this.blocks = perStage.clone();
      return this;
    }

    /** Seed of the random initialisation (default 12345). */
    public Builder optSeed(long s) {
      this.seed = s;
      return this;
    }

    public ResNet50 build() {
      if (imageSize < 32) {
        throw new IllegalArgumentException("image size must be at least 32, got " + imageSize);
      }
      if (widthDivisor < 1 || 64 % widthDivisor != 0) {
        throw new IllegalArgumentException("width divisor must divide 64, got " + widthDivisor);
      }
      return new ResNet50(this);
    }
  }

  /** Width of the pooled feature of this variant (2048 for the full network). */
  public int featureWidth() {
    return stageWidth(5);
  }

  /** Channels at the end of {@code stage} (2..5; 2048 for stage 5 of the full network). */
  public int stageWidth(int stage) {
    return WIDTHS[stage - 2] * 4 / widthDivisor;
  }

  /** Side of the last convolutional map (7 for a 224 input). */
  public int mapSide() {
    return stageSide(5);
  }

  /** Side of the map at the end of {@code stage} (2..5; 14 for stage 4 at 224). */
  public int stageSide(int stage) {
    int s = (imageSize + 6 - 7) / 2 + 1; // conv1: pad 3, 7x7, stride 2
    s = (s + 2 - 3) / 2 + 1; // pool1: pad 1, 3x3, stride 2
    for (int st = 3; st <= stage; st++) {
      s = (s - 1) / 2 + 1; // 1x1 stride-2 convolutions
    }
    return s;
  }

  /** The name of the last block's output, the map {@link Builder#optMap} adds as an output. */
  public String mapLayer() {
    return stageLayer(5);
  }

  /** The name of the output of {@code stage}'s last block (3..5). */
  public String stageLayer(int stage) {
    return blockName(stage, blocks[stage - 2] - 1) + "_relu";
  }

  /** Index, in {@link #bottlenecks()}, of the last block of {@code stage} (2..5). */
  int lastBlock(int stage) {
    int n = 0;
    for (int s = 2; s <= stage; s++) {
      n += blocks[s - 2];
    }
    return n - 1;
  }

  public CNN2DFormat format() {
    return format;
  }

  /** Blocks per stage 2..5. */
  int[] blocks() {
    return blocks.clone();
  }

  public int imageSize() {
    return imageSize;
  }

  /** The graph's outputs, in order: pool, then map and top where enabled, then the stage maps. */
  public List<String> outputs() {
    List<String> o = new ArrayList<>();
    o.add(POOL);
    if (map) {
      o.add(mapLayer());
    }
    if (top) {
      o.add(TOP);
    }
    for (int s : stageMaps) {
      if (!o.contains(stageLayer(s))) {
        o.add(stageLayer(s));
      }
    }
    return o;
  }

  /** The batch-norm layer that follows a convolution, by the Keras naming rule. */
  public static String batchNormFor(String conv) {
    return conv.equals("conv1") ? "bn_conv1" : "bn" + conv.substring("res".length());
  }

  /** Keras block names: {@code res2a}, {@code res2b}, ... */
  static String blockName(int stage, int index) {
    return "res" + stage + (char) ('a' + index);
  }

  /**
   * One convolution as the inference engines run it, its batch norm folded in: Keras pads conv1 by
   * 3 and the 3x3 convolutions "same" (pad 1); the 1x1 convolutions have no padding.
   *
   * @param relu whether a ReLU follows directly (the last 1x1 of a block gets its ReLU after the
   *     residual sum)
   */
  record ConvSpec(String name, int kernel, int stride, int pad, boolean relu) {}

  /**
   * One bottleneck block of the inference engines: the 1x1, 3x3 and 1x1 convolutions and, in the
   * first block of a stage, the 1x1 projection shortcut (null: the identity). {@code C} is what an
   * engine keeps per convolution ({@link ConvSpec} here, its prepared weights in an engine).
   */
  record Bottleneck<C>(C a, C b, C c, C shortcut) {
    /** The same block with {@code f} applied to each convolution. */
    <D> Bottleneck<D> map(java.util.function.Function<C, D> f) {
      return new Bottleneck<>(
          f.apply(a), f.apply(b), f.apply(c), shortcut == null ? null : f.apply(shortcut));
    }
  }

  /** The stem convolution (7x7, stride 2, pad 3, ReLU); a 3x3 stride-2 max pool follows. */
  static final ConvSpec CONV1 = new ConvSpec("conv1", 7, 2, 3, true);

  /**
   * The bottleneck blocks in order, as {@link #configuration()} builds them: stride 2 in the first
   * 1x1 of stages 3 to 5, as in Keras.
   */
  List<Bottleneck<ConvSpec>> bottlenecks() {
    List<Bottleneck<ConvSpec>> out = new ArrayList<>();
    for (int stage = 2; stage <= 5; stage++) {
      for (int i = 0; i < blocks[stage - 2]; i++) {
        String base = blockName(stage, i) + "_branch";
        int stride = stage > 2 && i == 0 ? 2 : 1;
        out.add(
            new Bottleneck<>(
                new ConvSpec(base + "2a", 1, stride, 0, true),
                new ConvSpec(base + "2b", 3, 1, 1, true),
                new ConvSpec(base + "2c", 1, 1, 0, false),
                i == 0 ? new ConvSpec(base + "1", 1, stride, 0, false) : null));
      }
    }
    return out;
  }

  /** A freshly initialised graph (random weights). */
  public ComputationGraph init() {
    ComputationGraph g = new ComputationGraph(configuration());
    g.init();
    return g;
  }

  public ComputationGraphConfiguration configuration() {
    ComputationGraphConfiguration.GraphBuilder g =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .dataType(DataType.FLOAT)
            .weightInit(WeightInit.RELU)
            .activation(Activation.IDENTITY)
            .convolutionMode(ConvolutionMode.Truncate)
            .trainingWorkspaceMode(WorkspaceMode.ENABLED)
            .inferenceWorkspaceMode(WorkspaceMode.ENABLED)
            .graphBuilder()
            .addInputs(INPUT)
            .setInputTypes(InputType.convolutional(imageSize, imageSize, 3, format));

    g.addLayer("conv1_pad", new ZeroPaddingLayer.Builder(3, 3).dataFormat(format).build(), INPUT);
    String x = conv(g, "conv1", 7, 2, 64 / widthDivisor, false, true, "conv1_pad");
    g.addLayer("pool1_pad", new ZeroPaddingLayer.Builder(1, 1).dataFormat(format).build(), x);
    g.addLayer(
        "max_pooling2d",
        new SubsamplingLayer.Builder(
                SubsamplingLayer.PoolingType.MAX, new int[] {3, 3}, new int[] {2, 2})
            .dataFormat(format)
            .build(),
        "pool1_pad");
    x = "max_pooling2d";
    for (int stage = 2; stage <= 5; stage++) {
      int width = WIDTHS[stage - 2] / widthDivisor;
      for (int i = 0; i < blocks[stage - 2]; i++) {
        int stride = stage > 2 && i == 0 ? 2 : 1;
        x = block(g, stage, i, width, stride, i == 0, x);
      }
    }
    g.addLayer(POOL, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), x);
    if (top) {
      g.addLayer(
          TOP, new DenseLayer.Builder().nOut(CLASSES).activation(Activation.SOFTMAX).build(), POOL);
    }
    g.setOutputs(outputs().toArray(new String[0]));
    return g.build();
  }

  /**
   * One bottleneck block: 1x1, 3x3, 1x1 convolutions, plus a 1x1 projection shortcut in the first
   * block of a stage (Keras' conv_block; the stride sits in the first 1x1 as in Keras).
   */
  private String block(
      ComputationGraphConfiguration.GraphBuilder g,
      int stage,
      int index,
      int width,
      int stride,
      boolean projection,
      String in) {
    String name = blockName(stage, index);
    String base = name + "_branch";
    String x = conv(g, base + "2a", 1, stride, width, false, true, in);
    x = conv(g, base + "2b", 3, 1, width, true, true, x);
    x = conv(g, base + "2c", 1, 1, width * 4, false, false, x);
    String shortcut = projection ? conv(g, base + "1", 1, stride, width * 4, false, false, in) : in;
    g.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), x, shortcut);
    g.addLayer(
        name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), name);
    return name + "_relu";
  }

  /**
   * A convolution with its batch norm and optional ReLU; folded, the convolution does all three.
   *
   * @return the name of the output vertex
   */
  private String conv(
      ComputationGraphConfiguration.GraphBuilder g,
      String name,
      int kernel,
      int stride,
      int nOut,
      boolean same,
      boolean relu,
      String in) {
    ConvolutionLayer.Builder c =
        new ConvolutionLayer.Builder(new int[] {kernel, kernel}, new int[] {stride, stride})
            .nOut(nOut)
            .dataFormat(format)
            .convolutionMode(same ? ConvolutionMode.Same : ConvolutionMode.Truncate);
    if (foldBatchNorm) {
      g.addLayer(name, c.activation(relu ? Activation.RELU : Activation.IDENTITY).build(), in);
      return name;
    }
    g.addLayer(name, c.build(), in);
    String bn = batchNormFor(name);
    g.addLayer(
        bn,
        new BatchNormalization.Builder()
            .eps(BN_EPSILON)
            .useLogStd(false)
            .dataFormat(format)
            .build(),
        name);
    if (!relu) {
      return bn;
    }
    g.addLayer(
        name + "_relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), bn);
    return name + "_relu";
  }
}
