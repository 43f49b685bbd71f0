package org.medvqa.models.vae;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.medvqa.models.CpuLstm;
import org.medvqa.models.LeanDense;
import org.medvqa.models.LeanRnnOutput;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The pieces both VAEs are built from, with the vertex names they share. Everything is a built-in
 * DL4J layer or vertex (the LSTM, dense and output layers in their subclasses that skip repeated
 * work: CpuLstm, LeanDense, LeanRnnOutput) except {@link HalfExp} and the losses, which is what
 * trained correctly under Spark (SameDiff vertices and losses did not).
 */
final class VaeGraph {
  /** Graph input: standard normal noise in training, zeros at inference (z = mu). */
  static final String EPS = "eps";

  static final String MU = "mu";
  static final String LOGVAR = "logvar";
  static final String Z = "z";

  /** What the decoder reads at every step beside the previous word: [deterministic path, z]. */
  static final String CONDITION = "condition";

  /** The initial bias of logvar: sigma = exp(-5 / 2) = 0.08 at the start of training. */
  static final double LOGVAR_BIAS = -5;

  /** Output: the KL of the posterior against N(0, I). */
  static final String KL = "kl";

  static final String DECODER_EMBEDDING = "decoder-embedding";
  static final String DECODER_LSTM = "decoder-lstm";

  private VaeGraph() {}

  static GraphBuilder builder(long seed, IUpdater updater, DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(dataType)
        .updater(updater)
        .weightInit(WeightInit.XAVIER)
        .graphBuilder();
  }

  static DenseLayer dense(int in, int out, Activation activation) {
    return LeanDense.of(new DenseLayer.Builder().nIn(in).nOut(out).activation(activation).build());
  }

  /**
   * mu and logvar from {@code from}, the vertex {@link #Z} = mu + exp(logvar / 2) * eps, and the
   * output {@link #KL} weighted by {@code klWeight}. logvar starts at {@link #LOGVAR_BIAS}: with a
   * bias of 0, sigma is 1 while mu is of order 0.1, so z starts as almost pure noise and the
   * decoder learns to ignore it before the encoder can make it informative.
   */
  static void addLatent(GraphBuilder g, String from, int in, int z, double klWeight) {
    g.addLayer(MU, dense(in, z, Activation.IDENTITY), from)
        .addLayer(
            LOGVAR,
            LeanDense.of(
                new DenseLayer.Builder()
                    .nIn(in)
                    .nOut(z)
                    .activation(Activation.IDENTITY)
                    .biasInit(LOGVAR_BIAS)
                    .build()),
            from)
        // A copy of logvar for HalfExp to exponentiate in place: ActivationLayer does not copy its
        // input at inference, and without it logvar's activation came out as sigma.
        .addVertex("logvar-copy", new ScaleVertex(1.0), LOGVAR)
        .addLayer(
            "sigma", new ActivationLayer.Builder().activation(new HalfExp()).build(), "logvar-copy")
        .addVertex("noise", new ElementWiseVertex(ElementWiseVertex.Op.Product), "sigma", EPS)
        .addVertex(Z, new ElementWiseVertex(ElementWiseVertex.Op.Add), MU, "noise")
        .addVertex("posterior", new MergeVertex(), MU, LOGVAR)
        .addLayer(
            KL,
            new LossLayer.Builder(new Weighted(new GaussianKl(), klWeight))
                .activation(Activation.IDENTITY)
                .build(),
            "posterior");
  }

  /**
   * The vertex {@link #CONDITION} = [{@code deterministic}, z]: what the decoder reads at every
   * step. The deterministic part (the fused encoding for VQA, h_v for VQG) is the noise-free path
   * the author's decoder gets through its initial state (image feature plus a projection of z);
   * DL4J's LSTM takes no initial state inside a ComputationGraph, so it goes in beside the words.
   * Returns the condition's width.
   */
  static int addCondition(GraphBuilder g, String deterministic, int deterministicSize, Sizes s) {
    g.addVertex(CONDITION, new MergeVertex(), deterministic, Z);
    return deterministicSize + s.z();
  }

  /**
   * The teacher-forced decoder: at each step the embedded previous word ({@code tokensIn}, [n, 1,
   * T] ids: rank 3 because DuplicateToTimeSeriesVertex reads the length from dimension 2), with
   * {@code wordDropout} of its units dropped in training (the author's 0.3: it makes the decoder
   * lean on the condition rather than on the previous words alone), next to {@code condition} [n,
   * conditionSize]; an LSTM; the softmax output {@code output} over {@code vocabulary} words, with
   * sparse labels [n, 1, T] and the real tokens' cross-entropy ({@link TokenXent}) weighted by
   * {@code ceWeight}.
   */
  static void addDecoder(
      GraphBuilder g,
      String condition,
      int conditionSize,
      String tokensIn,
      int length,
      Sizes s,
      int vocabulary,
      String output,
      double ceWeight,
      double wordDropout) {
    if (!(wordDropout >= 0 && wordDropout < 1)) {
      throw new IllegalArgumentException("word-dropout must be in [0, 1), got " + wordDropout);
    }
    g.addLayer(
        DECODER_EMBEDDING,
        new EmbeddingSequenceLayer.Builder()
            .nIn(vocabulary)
            .nOut(s.embedding())
            .inputLength(length)
            .outputDataFormat(RNNFormat.NCW)
            .build(),
        tokensIn);
    String words = DECODER_EMBEDDING;
    if (wordDropout > 0) {
      // DL4J's dropout argument is the probability of keeping a unit.
      g.addLayer("word-dropout", new DropoutLayer.Builder(1 - wordDropout).build(), words);
      words = "word-dropout";
    }
    g.addVertex("condition-steps", new DuplicateToTimeSeriesVertex(tokensIn), condition)
        .addVertex("decoder-input", new MergeVertex(), words, "condition-steps")
        .addLayer(
            DECODER_LSTM,
            CpuLstm.of(
                new LSTM.Builder()
                    .nIn(s.embedding() + conditionSize)
                    .nOut(s.hidden())
                    .activation(Activation.TANH)
                    .dataFormat(RNNFormat.NCW)
                    .build()),
            "decoder-input")
        .addLayer(
            output,
            LeanRnnOutput.of(
                new RnnOutputLayer.Builder(new Weighted(new TokenXent(), ceWeight))
                    .nIn(s.hidden())
                    .nOut(vocabulary)
                    .activation(Activation.SOFTMAX)
                    .dataFormat(RNNFormat.NCW)
                    .build()),
            DECODER_LSTM);
  }

  /**
   * An MLP z -> {@code target}'s size and the output {@code name}: the squared error between {@code
   * target} and the reconstruction with the target detached ({@link DetachedSquaredError}),
   * weighted by {@code weight}. The last layer is linear: h_v is a ReLU output, not bounded by 1.
   */
  static void addReconstruction(
      GraphBuilder g, String name, String target, int targetSize, Sizes s, double weight) {
    g.addLayer(name + "-hidden", dense(s.z(), s.hidden(), Activation.TANH), Z)
        .addLayer(
            name + "-output", dense(s.hidden(), targetSize, Activation.IDENTITY), name + "-hidden")
        .addVertex(name + "-pair", new MergeVertex(), target, name + "-output")
        .addLayer(
            name,
            new LossLayer.Builder(new Weighted(new DetachedSquaredError(), weight))
                .activation(Activation.IDENTITY)
                .build(),
            name + "-pair");
  }

  /**
   * A graph of the decoder alone (inputs {@link #CONDITION} [n, conditionSize] and {@code tokensIn}
   * [n, 1, 1], output {@code output}) with the trained graph's decoder parameters, for stepping
   * with rnnTimeStep.
   */
  static ComputationGraph decoderOnly(
      ComputationGraph trained,
      String tokensIn,
      int conditionSize,
      Sizes s,
      int vocabulary,
      String output) {
    DataType dataType = trained.getConfiguration().getDataType();
    GraphBuilder g = builder(0, new NoOp(), dataType).addInputs(CONDITION, tokensIn);
    addDecoder(g, CONDITION, conditionSize, tokensIn, 1, s, vocabulary, output, 1.0, 0);
    ComputationGraph dec = new ComputationGraph(g.setOutputs(output).build());
    dec.init();
    for (String layer : new String[] {DECODER_EMBEDDING, DECODER_LSTM, output}) {
      dec.getLayer(layer).setParams(trained.getLayer(layer).params().dup());
    }
    return dec;
  }

  /**
   * Refuses a spec saved by the first VAE layout (z alone at the decoder, features at unit norm):
   * its graph would not load into this one. It has no feature statistics.
   */
  static void requireCurrentLayout(
      com.fasterxml.jackson.databind.node.ObjectNode spec, String kind) {
    if (!spec.has("feature-scaler")) {
      throw new IllegalArgumentException(
          kind
              + " model saved by an earlier version (decoder on z alone, no feature statistics in"
              + " spec.json): retrain it with this version");
    }
  }

  /** Layer sizes shared by the encoder, the latent and the decoder. */
  record Sizes(int embedding, int hidden, int z) implements java.io.Serializable {
    Sizes {
      if (embedding < 1 || hidden < 1 || z < 1) {
        throw new IllegalArgumentException(
            "embedding, hidden and z must be at least 1, got "
                + embedding
                + ", "
                + hidden
                + ", "
                + z);
      }
    }
  }
}
