package org.medvqa.models.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.models.Batches;
import org.medvqa.models.Example;
import org.medvqa.models.VqaModel;
import org.medvqa.models.text.Tokens;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The VAE that answers (Sarrouti, "NLM at VQA-Med 2020", section 4): an encoder of the image
 * feature and the question, a Gaussian latent z, and an LSTM that generates the answer word by word
 * from z, so answers are not limited to a fixed set of classes.
 *
 * <p>Graph inputs, in {@link #batch} order: {@code image} [n, features] at unit L2 norm ({@link
 * Batches#imagesAtUnitNorm}); {@code question} [n, max-question-length] word ids, left-padded
 * ({@link Batches#leftPadded}); {@code answer-in} [n, 1, output-length] the previous answer word at
 * each step ({@code <s> w1 .. wk </s> ..}); {@code eps} [n, z] noise. No input or label carries a
 * mask (they did not survive Spark training intact; see {@link Sequences#teacherForcing}). Encoder:
 * image -> dense tanh = h_v; question -> embedding -> LSTM -> last step = h_q; [h_v, h_q] -> dense
 * tanh -> mu, logvar; z = mu + exp(logvar / 2) * eps. Decoder: [embedding of the previous word, z]
 * at each step -> LSTM -> softmax.
 *
 * <p>Outputs, in order: {@code answer} (cross-entropy against {@code w1 .. wk </s>}, weight λ1),
 * {@code kl} (KL to N(0, I), λ2), and when switched on {@code image-reconstruction} (mean squared
 * error of an MLP z -> h_v against h_v, λ3) and {@code question-reconstruction} (z -> h_q, λ4). The
 * last three take dummy [n, 1] labels.
 *
 * <p>Answers are decoded from z = mu (eps = 0), greedily or by beam search, until {@code </s>} or
 * {@code output-length} steps, and their words joined with single spaces.
 */
public final class VaeVqa implements VqaModel {
  public static final String KIND = "vae-vqa";

  public static final String IMAGE = "image";
  public static final String QUESTION = "question";
  public static final String ANSWER_IN = "answer-in";
  public static final String EPS = VaeGraph.EPS;
  public static final String ANSWER = "answer";
  public static final String KL = VaeGraph.KL;
  public static final String IMAGE_RECONSTRUCTION = "image-reconstruction";
  public static final String QUESTION_RECONSTRUCTION = "question-reconstruction";

  /** Index of {@link #EPS} among the inputs. */
  public static final int EPS_INPUT = 3;

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 256;

  private final int features;
  private final VaeGraph.Sizes sizes;
  private final Losses losses;
  private final int maxQuestionLength;
  private final int outputLength;
  private final String decoding;
  private final int beamWidth;
  private final Vocabulary questionWords;
  private final Vocabulary answerWords;

  /**
   * The loss weights and which reconstructions exist.
   *
   * @param answer λ1, cross-entropy of the answer words
   * @param kl λ2
   * @param image λ3, reconstruction of h_v
   * @param question λ4, reconstruction of h_q
   */
  record Losses(
      double answer,
      double kl,
      double image,
      double question,
      boolean reconstructImage,
      boolean reconstructQuestion)
      implements java.io.Serializable {
    Losses {
      for (double w : new double[] {answer, kl, image, question}) {
        if (!(w >= 0) || Double.isInfinite(w)) {
          throw new IllegalArgumentException("loss weights must be finite and >= 0, got " + w);
        }
      }
    }
  }

  VaeVqa(
      int features,
      VaeGraph.Sizes sizes,
      Losses losses,
      int maxQuestionLength,
      int outputLength,
      String decoding,
      int beamWidth,
      Vocabulary questionWords,
      Vocabulary answerWords) {
    if (maxQuestionLength < 1) {
      throw new IllegalArgumentException(
          "max-question-length must be at least 1, got " + maxQuestionLength);
    }
    if (outputLength < 1) {
      throw new IllegalArgumentException("output-length must be at least 1, got " + outputLength);
    }
    checkDecoding(decoding, beamWidth);
    this.features = features;
    this.sizes = sizes;
    this.losses = losses;
    this.maxQuestionLength = maxQuestionLength;
    this.outputLength = outputLength;
    this.decoding = decoding;
    this.beamWidth = beamWidth;
    this.questionWords = questionWords;
    this.answerWords = answerWords;
  }

  static void checkDecoding(String decoding, int beamWidth) {
    if (!decoding.equals("greedy") && !decoding.equals("beam")) {
      throw new IllegalArgumentException("decoding must be greedy or beam, got '" + decoding + "'");
    }
    if (beamWidth < 1) {
      throw new IllegalArgumentException("beam-width must be at least 1, got " + beamWidth);
    }
  }

  /**
   * Settings from {@code c} (the {@code medvqa.models.vae-vqa} block); question and answer
   * vocabularies from {@code training} (questions split with {@link Tokens#wordsAndMarks}, first
   * answers with {@link Tokens#words}).
   */
  public static VaeVqa fit(Config c, List<Example> training) {
    c.checkValid(ConfigFactory.defaultReference().getConfig("medvqa.models." + KIND));
    List<List<String>> questions = new ArrayList<>();
    List<List<String>> answers = new ArrayList<>();
    for (Example e : training) {
      questions.add(Tokens.wordsAndMarks(e.question()));
      answers.add(Tokens.words(e.answer()));
    }
    return new VaeVqa(
        Batches.featureSize(training),
        new VaeGraph.Sizes(c.getInt("embedding"), c.getInt("hidden"), c.getInt("z")),
        new Losses(
            c.getDouble("lambda-answer"),
            c.getDouble("lambda-kl"),
            c.getDouble("lambda-image"),
            c.getDouble("lambda-question"),
            c.getBoolean("reconstruct-image"),
            c.getBoolean("reconstruct-question")),
        c.getInt("max-question-length"),
        c.getInt("output-length"),
        c.getString("decoding"),
        c.getInt("beam-width"),
        Vocabulary.build(questions, c.getInt("min-word-count")),
        Vocabulary.build(answers, c.getInt("min-answer-word-count")));
  }

  /** Reads what {@link #toJson} wrote. */
  public static VaeVqa fromJson(ObjectNode o) {
    return new VaeVqa(
        o.get("features").asInt(),
        new VaeGraph.Sizes(o.get("embedding").asInt(), o.get("hidden").asInt(), o.get("z").asInt()),
        new Losses(
            o.get("lambda-answer").asDouble(),
            o.get("lambda-kl").asDouble(),
            o.get("lambda-image").asDouble(),
            o.get("lambda-question").asDouble(),
            o.get("reconstruct-image").asBoolean(),
            o.get("reconstruct-question").asBoolean()),
        o.get("max-question-length").asInt(),
        o.get("output-length").asInt(),
        o.get("decoding").asText(),
        o.get("beam-width").asInt(),
        Vocabulary.fromJson(o.get("question-words").toString()),
        Vocabulary.fromJson(o.get("answer-words").toString()));
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", KIND);
    o.put("features", features);
    o.put("embedding", sizes.embedding());
    o.put("hidden", sizes.hidden());
    o.put("z", sizes.z());
    o.put("lambda-answer", losses.answer());
    o.put("lambda-kl", losses.kl());
    o.put("lambda-image", losses.image());
    o.put("lambda-question", losses.question());
    o.put("reconstruct-image", losses.reconstructImage());
    o.put("reconstruct-question", losses.reconstructQuestion());
    o.put("max-question-length", maxQuestionLength);
    o.put("output-length", outputLength);
    o.put("decoding", decoding);
    o.put("beam-width", beamWidth);
    try {
      o.set("question-words", JSON.readTree(questionWords.toJson()));
      o.set("answer-words", JSON.readTree(answerWords.toJson()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return o;
  }

  @Override
  public String kind() {
    return KIND;
  }

  /** The same model decoding otherwise. */
  VaeVqa withDecoding(String how, int width) {
    return new VaeVqa(
        features,
        sizes,
        losses,
        maxQuestionLength,
        outputLength,
        how,
        width,
        questionWords,
        answerWords);
  }

  int outputLength() {
    return outputLength;
  }

  /** Input names in {@link #batch} order. */
  public List<String> inputs() {
    return List.of(IMAGE, QUESTION, ANSWER_IN, EPS);
  }

  /** Output names in {@link #batch} label order. */
  public List<String> outputs() {
    List<String> out = new ArrayList<>(List.of(ANSWER, KL));
    if (losses.reconstructImage()) {
      out.add(IMAGE_RECONSTRUCTION);
    }
    if (losses.reconstructQuestion()) {
      out.add(QUESTION_RECONSTRUCTION);
    }
    return out;
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    return newGraph(seed, updater, DataType.FLOAT);
  }

  /** {@link #newGraph(long, IUpdater)} in another precision (gradient checks need DOUBLE). */
  public ComputationGraph newGraph(long seed, IUpdater updater, DataType dataType) {
    int h = sizes.hidden();
    GraphBuilder g =
        VaeGraph.builder(seed, updater, dataType)
            .addInputs(inputs().toArray(new String[0]))
            .addLayer("image-encoder", VaeGraph.dense(features, h, Activation.TANH), IMAGE)
            // Sizes are explicit rather than inferred from input types: the inference sets an
            // embedding's nIn to the width of its id input (1) instead of the vocabulary size.
            .addLayer(
                "question-embedding",
                new EmbeddingSequenceLayer.Builder()
                    .nIn(questionWords.size())
                    .nOut(sizes.embedding())
                    .inputLength(maxQuestionLength)
                    .build(),
                QUESTION)
            .addLayer(
                "question-lstm",
                new LSTM.Builder()
                    .nIn(sizes.embedding())
                    .nOut(h)
                    .activation(Activation.TANH)
                    .build(),
                "question-embedding")
            .addVertex("question-encoder", new LastTimeStepVertex(QUESTION), "question-lstm")
            .addVertex("fusion-input", new MergeVertex(), "image-encoder", "question-encoder")
            .addLayer("fusion", VaeGraph.dense(2 * h, h, Activation.TANH), "fusion-input");
    VaeGraph.addLatent(g, "fusion", h, sizes.z(), losses.kl());
    VaeGraph.addDecoder(
        g, VaeGraph.Z, ANSWER_IN, outputLength, sizes, answerWords.size(), ANSWER, losses.answer());
    if (losses.reconstructImage()) {
      VaeGraph.addReconstruction(
          g, IMAGE_RECONSTRUCTION, "image-encoder", h, sizes, losses.image());
    }
    if (losses.reconstructQuestion()) {
      VaeGraph.addReconstruction(
          g, QUESTION_RECONSTRUCTION, "question-encoder", h, sizes, losses.question());
    }
    ComputationGraph net =
        new ComputationGraph(g.setOutputs(outputs().toArray(new String[0])).build());
    net.init();
    return net;
  }

  private INDArray questions(List<Example> examples) {
    List<List<String>> texts = new ArrayList<>(examples.size());
    examples.forEach(e -> texts.add(Tokens.wordsAndMarks(e.question())));
    return Batches.leftPadded(texts, questionWords, maxQuestionLength);
  }

  /** {@link #batch} with the given noise [n, z]. */
  MultiDataSet batch(List<Example> examples, INDArray eps) {
    int n = examples.size();
    List<List<String>> answers = new ArrayList<>(n);
    examples.forEach(e -> answers.add(Tokens.words(e.answer())));
    INDArray[] a = Sequences.teacherForcing(answers, answerWords, outputLength);
    List<INDArray> labels = new ArrayList<>(List.of(a[1]));
    for (int k = 1; k < outputs().size(); k++) {
      labels.add(Sequences.dummy(n));
    }
    return new org.nd4j.linalg.dataset.MultiDataSet(
        new INDArray[] {
          Batches.imagesAtUnitNorm(examples, features), questions(examples), a[0], eps
        },
        labels.toArray(new INDArray[0]));
  }

  /** Inputs in {@link #inputs} order, labels in {@link #outputs} order; eps is N(0, 1) noise. */
  @Override
  public MultiDataSet batch(List<Example> examples) {
    return batch(examples, Nd4j.randn(DataType.FLOAT, examples.size(), sizes.z()));
  }

  @Override
  public MultiDataSetLoader loader() {
    return new NoiseLoader(EPS_INPUT);
  }

  /** The posterior means [n, z] of {@code examples} (the latent used for answering). */
  INDArray encode(ComputationGraph net, List<Example> examples) {
    int n = examples.size();
    DataType dt = net.getConfiguration().getDataType();
    INDArray[] in = {
      Batches.imagesAtUnitNorm(examples, features).castTo(dt),
      questions(examples).castTo(dt),
      Nd4j.zeros(dt, n, 1, outputLength),
      Nd4j.zeros(dt, n, sizes.z())
    };
    // No masks; but a previous score() leaves its minibatch's masks on the graph.
    net.clearLayerMaskArrays();
    return net.feedForward(in, false).get(VaeGraph.MU);
  }

  /** Decoded word ids for each row of {@code z}, with the configured search. */
  List<int[]> decode(ComputationGraph decoder, INDArray z) {
    return Decoding.decode(decoder, z, decoding, beamWidth, outputLength);
  }

  ComputationGraph decoder(ComputationGraph net) {
    return VaeGraph.decoderOnly(net, ANSWER_IN, sizes, answerWords.size(), ANSWER);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    ComputationGraph decoder = decoder(net);
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int from = 0; from < examples.size(); from += CHUNK) {
      List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + CHUNK));
      for (int[] ids : decode(decoder, encode(net, chunk))) {
        out.add(List.of(Tokens.join(answerWords.decode(ids))));
      }
    }
    return out;
  }
}
