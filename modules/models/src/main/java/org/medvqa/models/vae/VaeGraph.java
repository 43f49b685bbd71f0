package org.medvqa.models.vae;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.DuplicateToTimeSeriesVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * The pieces both VAEs are built from, with the vertex names they share. Everything is a built-in
 * DL4J layer or vertex except {@link HalfExp} and the losses, which is what trained correctly under
 * Spark (SameDiff vertices and losses did not).
 */
final class VaeGraph {
  /** Graph input: standard normal noise in training, zeros at inference (z = mu). */
  static final String EPS = "eps";

  static final String MU = "mu";
  static final String LOGVAR = "logvar";
  static final String Z = "z";

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
    return new DenseLayer.Builder().nIn(in).nOut(out).activation(activation).build();
  }

  /**
   * mu and logvar from {@code from}, the vertex {@link #Z} = mu + exp(logvar / 2) * eps, and the
   * output {@link #KL} weighted by {@code klWeight}.
   */
  static void addLatent(GraphBuilder g, String from, int in, int z, double klWeight) {
    g.addLayer(MU, dense(in, z, Activation.IDENTITY), from)
        .addLayer(LOGVAR, dense(in, z, Activation.IDENTITY), from)
        .addLayer("sigma", new ActivationLayer.Builder().activation(new HalfExp()).build(), LOGVAR)
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
   * The teacher-forced decoder: at each step the embedded previous word ({@code tokensIn}, [n, 1,
   * T] ids: rank 3 because DuplicateToTimeSeriesVertex reads the length from dimension 2) next to
   * z, an LSTM, and the softmax output {@code output} over {@code vocabulary} words, with sparse
   * labels [n, 1, T] and cross-entropy weighted by {@code ceWeight}.
   */
  static void addDecoder(
      GraphBuilder g,
      String zVertex,
      String tokensIn,
      int length,
      Sizes s,
      int vocabulary,
      String output,
      double ceWeight) {
    g.addLayer(
            DECODER_EMBEDDING,
            new EmbeddingSequenceLayer.Builder()
                .nIn(vocabulary)
                .nOut(s.embedding())
                .inputLength(length)
                .outputDataFormat(RNNFormat.NCW)
                .build(),
            tokensIn)
        .addVertex("z-steps", new DuplicateToTimeSeriesVertex(tokensIn), zVertex)
        .addVertex("decoder-input", new MergeVertex(), DECODER_EMBEDDING, "z-steps")
        .addLayer(
            DECODER_LSTM,
            new LSTM.Builder()
                .nIn(s.embedding() + s.z())
                .nOut(s.hidden())
                .activation(Activation.TANH)
                .dataFormat(RNNFormat.NCW)
                .build(),
            "decoder-input")
        .addLayer(
            output,
            new RnnOutputLayer.Builder(new Weighted(new LossSparseMCXENT(), ceWeight))
                .nIn(s.hidden())
                .nOut(vocabulary)
                .activation(Activation.SOFTMAX)
                .dataFormat(RNNFormat.NCW)
                .build(),
            DECODER_LSTM);
  }

  /**
   * An MLP z -> {@code target}'s size and the output {@code name}: the squared residual {@code
   * target - reconstruction}, weighted by {@code weight}.
   *
   * <p>Gradients reach both sides of the residual: the target (h_v or h_q) is not detached. DL4J
   * has no stop-gradient vertex, and the pull of the target towards its reconstruction is scaled by
   * the same small weight (0.001) that the reconstruction is, next to the answer's cross-entropy.
   */
  static void addReconstruction(
      GraphBuilder g, String name, String target, int targetSize, Sizes s, double weight) {
    g.addLayer(name + "-hidden", dense(s.z(), s.hidden(), Activation.TANH), Z)
        .addLayer(
            name + "-output", dense(s.hidden(), targetSize, Activation.TANH), name + "-hidden")
        .addVertex(
            name + "-residual",
            new ElementWiseVertex(ElementWiseVertex.Op.Subtract),
            target,
            name + "-output")
        .addLayer(
            name,
            new LossLayer.Builder(new Weighted(new SquaredResidual(), weight))
                .activation(Activation.IDENTITY)
                .build(),
            name + "-residual");
  }

  /**
   * A graph of the decoder alone (inputs {@link #Z} [n, z] and {@code tokensIn} [n, 1, 1], output
   * {@code output}) with the trained graph's decoder parameters, for stepping with rnnTimeStep.
   */
  static ComputationGraph decoderOnly(
      ComputationGraph trained, String tokensIn, Sizes s, int vocabulary, String output) {
    DataType dataType = trained.getConfiguration().getDataType();
    GraphBuilder g = builder(0, new NoOp(), dataType).addInputs(Z, tokensIn);
    addDecoder(g, Z, tokensIn, 1, s, vocabulary, output, 1.0);
    ComputationGraph dec = new ComputationGraph(g.setOutputs(output).build());
    dec.init();
    for (String layer : new String[] {DECODER_EMBEDDING, DECODER_LSTM, output}) {
      dec.getLayer(layer).setParams(trained.getLayer(layer).params().dup());
    }
    return dec;
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
