package org.medvqa.models.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.core.QuestionForm;
import org.medvqa.models.Batches;
import org.medvqa.models.CpuLstm;
import org.medvqa.models.Example;
import org.medvqa.models.FeatureScaler;
import org.medvqa.models.ScaledFeatures;
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
 * <p>Graph inputs, in {@link #batch} order: {@code image} [n, features] standardised per dimension
 * with the training statistics ({@link FeatureScaler}); {@code question} [n, max-question-length]
 * word ids, left-padded ({@link Batches#leftPadded}); {@code answer-in} [n, 1, output-length] the
 * previous answer word at each step ({@code <s> w1 .. wk </s> <pad> ..}); {@code eps} [n, z] noise.
 * No input or label carries a mask array (they did not survive Spark training intact; see {@link
 * Sequences#teacherForcing}). Encoder: image -> dense ReLU = h_v; question -> embedding -> LSTM ->
 * last step = h_q; [h_v, h_q] -> dense tanh = the fused encoding -> mu, logvar; z = mu + exp(logvar
 * / 2) * eps. Decoder: at each step [embedding of the previous word (with word dropout), fused
 * encoding, z] -> LSTM -> softmax. The fused encoding beside z is the noise-free path of the
 * author's decoder (which gets it through its initial state); without it the decoder learned to
 * ignore z, and answered every question alike.
 *
 * <p>Outputs, in order: {@code answer} (cross-entropy of the real tokens {@code w1 .. wk </s>},
 * weight λ1), {@code kl} (KL to N(0, I), λ2), and when switched on {@code image-reconstruction}
 * (mean squared error of an MLP z -> h_v against h_v detached, λ3) and {@code
 * question-reconstruction} (z -> h_q, λ4). The last three take dummy [n, 1] labels.
 *
 * <p>Answers are decoded from z = mu (eps = 0), greedily or by length-normalised beam search, until
 * {@code </s>} or {@code output-length} steps, and their words joined with single spaces; for a
 * category with few distinct training answers only those answers can be written ({@link
 * AnswerTrie}).
 */
public final class VaeVqa implements VqaModel, ScaledFeatures {
  public static final String KIND = "vae-vqa";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.FEATURES, false, VaeVqa::fit, VaeVqa::fromJson);
    }
  }

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
  private final Decoder decoder;
  private final FeatureScaler scaler;
  private transient Map<String, AnswerTrie> tries;

  /**
   * How answers are written and with what freedom.
   *
   * @param wordDropout share of the decoder's word-embedding units dropped in training
   * @param lengthNorm exponent of the beam's length normalisation (0 = summed log-probabilities)
   * @param categoryAnswers per category, the only answers the decoder may write (categories with
   *     few distinct training answers); other categories are decoded freely
   * @param byForm whether the question's form limits the answer further ({@link QuestionForm}):
   *     yes/no questions get yes or no, choice questions of a closed category one of the options
   *     they name
   */
  record Decoder(
      double wordDropout,
      double lengthNorm,
      Map<String, List<String>> categoryAnswers,
      boolean byForm)
      implements java.io.Serializable {
    Decoder {
      if (!(wordDropout >= 0 && wordDropout < 1)) {
        throw new IllegalArgumentException("word-dropout must be in [0, 1), got " + wordDropout);
      }
      if (!(lengthNorm >= 0) || Double.isInfinite(lengthNorm)) {
        throw new IllegalArgumentException(
            "length-norm must be finite and >= 0, got " + lengthNorm);
      }
      categoryAnswers = Map.copyOf(categoryAnswers);
    }
  }

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
      Vocabulary answerWords,
      Decoder decoder,
      FeatureScaler scaler) {
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
    this.decoder = decoder;
    this.scaler = scaler;
    scaler.requireWidth(features);
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
   * Settings from {@code c} (the {@code medvqa.models.vae-vqa} block); feature statistics from
   * those of {@code training} that carry a feature ({@link #withScaler} replaces them); question
   * and answer vocabularies from {@code training} (questions split with {@link
   * Tokens#wordsAndMarks}, first answers with {@link Tokens#words}).
   */
  public static VaeVqa fit(Config c, List<Example> training) {
    c.checkValid(ConfigFactory.defaultReference().getConfig("medvqa.models." + KIND));
    List<List<String>> questions = new ArrayList<>();
    List<List<String>> answers = new ArrayList<>();
    for (Example e : training) {
      questions.add(Tokens.wordsAndMarks(e.question()));
      answers.add(Tokens.words(e.answer()));
    }
    int features = Batches.featureSize(training);
    int outputLength = c.getInt("output-length");
    return new VaeVqa(
        features,
        new VaeGraph.Sizes(c.getInt("embedding"), c.getInt("hidden"), c.getInt("z")),
        new Losses(
            c.getDouble("lambda-answer"),
            c.getDouble("lambda-kl"),
            c.getDouble("lambda-image"),
            c.getDouble("lambda-question"),
            c.getBoolean("reconstruct-image"),
            c.getBoolean("reconstruct-question")),
        c.getInt("max-question-length"),
        outputLength,
        c.getString("decoding"),
        c.getInt("beam-width"),
        Vocabulary.build(questions, c.getInt("min-word-count")),
        Vocabulary.build(answers, c.getInt("min-answer-word-count")),
        new Decoder(
            c.getDouble("word-dropout"),
            c.getDouble("length-norm"),
            closedCategories(training, c.getInt("category-answers-max"), outputLength),
            c.getBoolean("by-question-form")),
        FeatureScaler.fit(training, features));
  }

  /**
   * Per category with at most {@code max} distinct training answers (none when {@code max} is 0),
   * those answers that fit in {@code outputLength} steps, in first-seen order.
   */
  static Map<String, List<String>> closedCategories(
      List<Example> training, int max, int outputLength) {
    if (max < 0) {
      throw new IllegalArgumentException("category-answers-max must be >= 0, got " + max);
    }
    Map<String, Set<String>> seen = new TreeMap<>();
    for (Example e : training) {
      if (e.category() != null && !e.answer().isBlank()) {
        seen.computeIfAbsent(e.category(), k -> new LinkedHashSet<>())
            .add(Tokens.join(Tokens.words(e.answer())));
      }
    }
    Map<String, List<String>> out = new TreeMap<>();
    seen.forEach(
        (category, answers) -> {
          if (answers.size() <= max) {
            out.put(
                category,
                answers.stream().filter(a -> Tokens.words(a).size() <= outputLength).toList());
          }
        });
    return out;
  }

  /**
   * Reads what {@link #toJson} wrote. A spec written before the decoder read the deterministic path
   * (no feature statistics) belongs to a graph of another layout and is refused by name.
   */
  public static VaeVqa fromJson(ObjectNode o) {
    VaeGraph.requireCurrentLayout(o, KIND);
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
        Vocabulary.fromJson(o.get("answer-words").toString()),
        new Decoder(
            o.get("word-dropout").asDouble(),
            o.get("length-norm").asDouble(),
            JSON.convertValue(
                o.get("category-answers"),
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, List<String>>>() {}),
            // Absent in specs written before the option existed: decoded as they were then.
            o.path("by-question-form").asBoolean(false)),
        FeatureScaler.fromJson(o.get("feature-scaler")));
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
    o.put("word-dropout", decoder.wordDropout());
    o.put("length-norm", decoder.lengthNorm());
    o.set("category-answers", JSON.valueToTree(new TreeMap<>(decoder.categoryAnswers())));
    o.put("by-question-form", decoder.byForm());
    o.set("feature-scaler", scaler.toJson());
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

  @Override
  public VaeVqa withScaler(FeatureScaler newScaler) {
    return new VaeVqa(
        features,
        sizes,
        losses,
        maxQuestionLength,
        outputLength,
        decoding,
        beamWidth,
        questionWords,
        answerWords,
        decoder,
        newScaler);
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
        answerWords,
        decoder,
        scaler);
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
            // ReLU on standardised features, as the question-aware classifier reads its image.
            .addLayer("image-encoder", VaeGraph.dense(features, h, Activation.RELU), IMAGE)
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
                CpuLstm.of(
                    new LSTM.Builder()
                        .nIn(sizes.embedding())
                        .nOut(h)
                        .activation(Activation.TANH)
                        .build()),
                "question-embedding")
            .addVertex("question-encoder", new LastTimeStepVertex(QUESTION), "question-lstm")
            .addVertex("fusion-input", new MergeVertex(), "image-encoder", "question-encoder")
            .addLayer("fusion", VaeGraph.dense(2 * h, h, Activation.TANH), "fusion-input");
    VaeGraph.addLatent(g, "fusion", h, sizes.z(), losses.kl());
    VaeGraph.addDecoder(
        g,
        VaeGraph.CONDITION,
        VaeGraph.addCondition(g, "fusion", h, sizes),
        ANSWER_IN,
        outputLength,
        sizes,
        answerWords.size(),
        ANSWER,
        losses.answer(),
        decoder.wordDropout());
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
        new INDArray[] {scaler.apply(examples), questions(examples), a[0], eps},
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

  /**
   * What the decoder reads for {@code examples} when answering: [fused encoding, z = mu] [n, hidden
   * + z] (eps = 0).
   */
  INDArray encode(ComputationGraph net, List<Example> examples) {
    return activations(net, examples).get(VaeGraph.CONDITION);
  }

  /** Every layer's and vertex's activations at inference (eps = 0) for {@code examples}. */
  Map<String, INDArray> activations(ComputationGraph net, List<Example> examples) {
    int n = examples.size();
    DataType dt = net.getConfiguration().getDataType();
    INDArray[] in = {
      scaler.apply(examples).castTo(dt),
      questions(examples).castTo(dt),
      Nd4j.zeros(dt, n, 1, outputLength),
      Nd4j.zeros(dt, n, sizes.z())
    };
    // No masks; but a previous score() leaves its minibatch's masks on the graph.
    net.clearLayerMaskArrays();
    return net.feedForward(in, false);
  }

  /** The width of {@link #encode}'s rows. */
  int conditionSize() {
    return sizes.hidden() + sizes.z();
  }

  /**
   * Decoded word ids for each row of {@code condition}, with the configured search, each within the
   * answers of its example's category where that category is closed ({@link Decoder}).
   */
  List<int[]> decode(ComputationGraph decoderOnly, INDArray condition, List<Example> examples) {
    return Decoding.decode(
        decoderOnly,
        condition,
        decoding,
        beamWidth,
        outputLength,
        decoder.lengthNorm(),
        constraint(examples));
  }

  /**
   * The answers each of {@code examples} may get, sequence i being example i: for a closed category
   * its training answers, limited by the question's form when that leaves any; for an open category
   * nothing, or yes and no for a yes/no question.
   */
  Decoding.Constraint constraint(List<Example> examples) {
    if (tries == null) {
      tries = new HashMap<>();
    }
    AnswerTrie[] perExample = new AnswerTrie[examples.size()];
    for (int i = 0; i < perExample.length; i++) {
      Example e = examples.get(i);
      List<String> closed = decoder.categoryAnswers().get(String.valueOf(e.category()));
      QuestionForm form = decoder.byForm() ? QuestionForm.of(e.question()) : QuestionForm.OPEN;
      List<String> allowed;
      if (closed != null) {
        List<String> byForm = closed.stream().filter(a -> form.allows(e.question(), a)).toList();
        allowed = byForm.isEmpty() ? closed : byForm;
      } else {
        allowed = form == QuestionForm.YES_NO ? List.of("yes", "no") : null;
      }
      if (allowed != null) {
        perExample[i] = tries.computeIfAbsent(String.join("|", allowed), k -> trie(allowed));
      }
    }
    return (sequence, prefix) ->
        perExample[sequence] == null ? null : perExample[sequence].next(prefix);
  }

  /** A trie of {@code answers} as answer word ids; answers with unknown words are left out. */
  private AnswerTrie trie(List<String> answers) {
    List<int[]> ids = new ArrayList<>();
    for (String a : answers) {
      List<String> w = Tokens.words(a);
      int[] enc = answerWords.encode(w, w.size());
      if (Arrays.stream(enc).noneMatch(id -> id == Vocabulary.UNKNOWN_ID)) {
        ids.add(enc);
      }
    }
    return AnswerTrie.of(ids);
  }

  /** {@link Probes} on the first 256 of {@code validation}. */
  @Override
  public Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    List<Example> some = validation.subList(0, Math.min(CHUNK, validation.size()));
    if (some.size() < 2) {
      return Map.of();
    }
    Map<String, INDArray> acts = activations(net, some);
    List<List<String>> answers = new ArrayList<>();
    some.forEach(e -> answers.add(Tokens.words(e.answer())));
    return Probes.measure(
        net,
        decoder(net),
        acts.get(VaeGraph.CONDITION),
        acts.get(VaeGraph.MU),
        acts.get(VaeGraph.LOGVAR),
        Sequences.teacherForcing(answers, answerWords, outputLength),
        sizes.embedding(),
        sizes.hidden());
  }

  ComputationGraph decoder(ComputationGraph net) {
    return VaeGraph.decoderOnly(net, ANSWER_IN, conditionSize(), sizes, answerWords.size(), ANSWER);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    ComputationGraph decoderOnly = decoder(net);
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int from = 0; from < examples.size(); from += CHUNK) {
      List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + CHUNK));
      for (int[] ids : decode(decoderOnly, encode(net, chunk), chunk)) {
        out.add(List.of(Tokens.join(answerWords.decode(ids))));
      }
    }
    return out;
  }
}
