package org.medvqa.models.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.models.Batches;
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
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The VAE that asks (Sarrouti, "NLM at VQA-Med 2020", section 4, the VQG task): the image feature
 * is encoded into a Gaussian latent z, and an LSTM generates a question from z. Several questions
 * per image come from several draws of z around the posterior mean.
 *
 * <p>Graph inputs, in {@link #batch} order: {@code image} [n, features] standardised per dimension
 * ({@link FeatureScaler}); {@code question-in} [n, 1, output-length] the previous question word at
 * each step ({@code <s> w1 .. wk </s> <pad> ..}, no mask array: see {@link
 * Sequences#teacherForcing}); {@code eps} [n, z]. Encoder: image -> dense ReLU = h_v -> mu, logvar;
 * z = mu + exp(logvar / 2) * eps. Decoder: at each step [embedding of the previous word (with word
 * dropout), h_v, z] -> LSTM -> softmax; h_v is the noise-free image path ({@link
 * VaeGraph#addCondition}). Outputs: {@code question} (cross-entropy of the real tokens, λ1), {@code
 * kl} (λ2) and, when switched on, {@code image-reconstruction} (an MLP z -> h_v against h_v
 * detached, λ3), both with dummy [n, 1] labels.
 *
 * <p>Questions are split with {@link Tokens#wordsAndMarks}, so "plane?" and "plane" share the word
 * "plane" and the question mark is a token of its own; the generated tokens are joined with single
 * spaces ("what is the plane ?"), which the VQG evaluator's lower-casing and punctuation stripping
 * turns into the same words as the reference.
 */
public final class VaeVqg implements VqaModel, ScaledFeatures {
  public static final String KIND = "vae-vqg";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.FEATURES, true, VaeVqg::fit, VaeVqg::fromJson);
    }
  }

  public static final String IMAGE = "image";
  public static final String QUESTION_IN = "question-in";
  public static final String EPS = VaeGraph.EPS;
  public static final String QUESTION = "question";
  public static final String KL = VaeGraph.KL;
  public static final String IMAGE_RECONSTRUCTION = "image-reconstruction";

  /** h_v: the image's encoding, the decoder's noise-free condition. */
  static final String IMAGE_ENCODER = "image-encoder";

  /** Index of {@link #EPS} among the inputs. */
  public static final int EPS_INPUT = 2;

  /** How the questions after the first are chosen: draws of z, or the beam's next best. */
  static final List<String> QUESTIONS = List.of("sampled", "beams");

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 128;

  private final int features;
  private final VaeGraph.Sizes sizes;
  private final double lambdaQuestion;
  private final double lambdaKl;
  private final double lambdaImage;
  private final boolean reconstructImage;
  private final int outputLength;
  private final String decoding;
  private final int beamWidth;
  private final int questionsPerImage;
  private final long seed;
  private final Vocabulary words;
  private final double wordDropout;
  private final double temperature;
  private final String questions;
  private final double lengthNorm;
  private final FeatureScaler scaler;

  VaeVqg(
      int features,
      VaeGraph.Sizes sizes,
      double lambdaQuestion,
      double lambdaKl,
      double lambdaImage,
      boolean reconstructImage,
      int outputLength,
      String decoding,
      int beamWidth,
      int questionsPerImage,
      long seed,
      Vocabulary words,
      double wordDropout,
      double temperature,
      String questions,
      double lengthNorm,
      FeatureScaler scaler) {
    new VaeVqa.Losses(lambdaQuestion, lambdaKl, lambdaImage, 0, reconstructImage, false);
    if (outputLength < 1) {
      throw new IllegalArgumentException("output-length must be at least 1, got " + outputLength);
    }
    if (questionsPerImage < 1) {
      throw new IllegalArgumentException(
          "questions-per-image must be at least 1, got " + questionsPerImage);
    }
    VaeVqa.checkDecoding(decoding, beamWidth);
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
    if (!QUESTIONS.contains(questions)) {
      throw new IllegalArgumentException(
          "questions must be one of " + QUESTIONS + ", got '" + questions + "'");
    }
    if (!(lengthNorm >= 0) || Double.isInfinite(lengthNorm)) {
      throw new IllegalArgumentException("length-norm must be finite and >= 0, got " + lengthNorm);
    }
    scaler.requireWidth(features);
    this.features = features;
    this.sizes = sizes;
    this.lambdaQuestion = lambdaQuestion;
    this.lambdaKl = lambdaKl;
    this.lambdaImage = lambdaImage;
    this.reconstructImage = reconstructImage;
    this.outputLength = outputLength;
    this.decoding = decoding;
    this.beamWidth = beamWidth;
    this.questionsPerImage = questionsPerImage;
    this.seed = seed;
    this.words = words;
    this.wordDropout = wordDropout;
    this.temperature = temperature;
    this.questions = questions;
    this.lengthNorm = lengthNorm;
    this.scaler = scaler;
  }

  /**
   * Settings from {@code c} (the {@code medvqa.models.vae-vqg} block); feature statistics from
   * those of {@code training} that carry a feature ({@link #withScaler} replaces them); the
   * question vocabulary from {@code training}.
   */
  public static VaeVqg fit(Config c, List<Example> training) {
    c.checkValid(ConfigFactory.defaultReference().getConfig("medvqa.models." + KIND));
    List<List<String>> questions = new ArrayList<>();
    training.forEach(e -> questions.add(Tokens.wordsAndMarks(e.question())));
    int features = Batches.featureSize(training);
    return new VaeVqg(
        features,
        new VaeGraph.Sizes(c.getInt("embedding"), c.getInt("hidden"), c.getInt("z")),
        c.getDouble("lambda-question"),
        c.getDouble("lambda-kl"),
        c.getDouble("lambda-image"),
        c.getBoolean("reconstruct-image"),
        c.getInt("output-length"),
        c.getString("decoding"),
        c.getInt("beam-width"),
        c.getInt("questions-per-image"),
        c.getLong("seed"),
        Vocabulary.build(questions, c.getInt("min-word-count")),
        c.getDouble("word-dropout"),
        c.getDouble("temperature"),
        c.getString("questions"),
        c.getDouble("length-norm"),
        FeatureScaler.fit(training, features));
  }

  /**
   * Reads what {@link #toJson} wrote. A spec written before the decoder read the deterministic path
   * (no feature statistics) belongs to a graph of another layout and is refused by name.
   */
  public static VaeVqg fromJson(ObjectNode o) {
    VaeGraph.requireCurrentLayout(o, KIND);
    return new VaeVqg(
        o.get("features").asInt(),
        new VaeGraph.Sizes(o.get("embedding").asInt(), o.get("hidden").asInt(), o.get("z").asInt()),
        o.get("lambda-question").asDouble(),
        o.get("lambda-kl").asDouble(),
        o.get("lambda-image").asDouble(),
        o.get("reconstruct-image").asBoolean(),
        o.get("output-length").asInt(),
        o.get("decoding").asText(),
        o.get("beam-width").asInt(),
        o.get("questions-per-image").asInt(),
        o.get("seed").asLong(),
        Vocabulary.fromJson(o.get("words").toString()),
        o.get("word-dropout").asDouble(),
        o.get("temperature").asDouble(),
        // Models saved before these settings sampled their questions from summed log-probabilities.
        o.path("questions").asText("sampled"),
        o.path("length-norm").asDouble(0),
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
    o.put("lambda-question", lambdaQuestion);
    o.put("lambda-kl", lambdaKl);
    o.put("lambda-image", lambdaImage);
    o.put("reconstruct-image", reconstructImage);
    o.put("output-length", outputLength);
    o.put("decoding", decoding);
    o.put("beam-width", beamWidth);
    o.put("questions-per-image", questionsPerImage);
    o.put("seed", seed);
    o.put("word-dropout", wordDropout);
    o.put("temperature", temperature);
    o.put("questions", questions);
    o.put("length-norm", lengthNorm);
    o.set("feature-scaler", scaler.toJson());
    try {
      o.set("words", JSON.readTree(words.toJson()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return o;
  }

  @Override
  public VaeVqg withScaler(FeatureScaler newScaler) {
    return new VaeVqg(
        features,
        sizes,
        lambdaQuestion,
        lambdaKl,
        lambdaImage,
        reconstructImage,
        outputLength,
        decoding,
        beamWidth,
        questionsPerImage,
        seed,
        words,
        wordDropout,
        temperature,
        questions,
        lengthNorm,
        newScaler);
  }

  @Override
  public String kind() {
    return KIND;
  }

  /** Input names in {@link #batch} order. */
  public List<String> inputs() {
    return List.of(IMAGE, QUESTION_IN, EPS);
  }

  /** Output names in {@link #batch} label order. */
  public List<String> outputs() {
    return reconstructImage ? List.of(QUESTION, KL, IMAGE_RECONSTRUCTION) : List.of(QUESTION, KL);
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    return newGraph(seed, updater, DataType.FLOAT);
  }

  /** {@link #newGraph(long, IUpdater)} in another precision (gradient checks need DOUBLE). */
  public ComputationGraph newGraph(long seed, IUpdater updater, DataType dataType) {
    GraphBuilder g =
        VaeGraph.builder(seed, updater, dataType)
            .addInputs(inputs().toArray(new String[0]))
            .addLayer(
                IMAGE_ENCODER, VaeGraph.dense(features, sizes.hidden(), Activation.RELU), IMAGE);
    VaeGraph.addLatent(g, IMAGE_ENCODER, sizes.hidden(), sizes.z(), lambdaKl);
    VaeGraph.addDecoder(
        g,
        VaeGraph.CONDITION,
        VaeGraph.addCondition(g, IMAGE_ENCODER, sizes.hidden(), sizes),
        QUESTION_IN,
        outputLength,
        sizes,
        words.size(),
        QUESTION,
        lambdaQuestion,
        wordDropout);
    if (reconstructImage) {
      VaeGraph.addReconstruction(
          g, IMAGE_RECONSTRUCTION, IMAGE_ENCODER, sizes.hidden(), sizes, lambdaImage);
    }
    ComputationGraph net =
        new ComputationGraph(g.setOutputs(outputs().toArray(new String[0])).build());
    net.init();
    return net;
  }

  /** {@link #batch} with the given noise [n, z]. */
  MultiDataSet batch(List<Example> examples, INDArray eps) {
    int n = examples.size();
    List<List<String>> questions = new ArrayList<>(n);
    examples.forEach(e -> questions.add(Tokens.wordsAndMarks(e.question())));
    INDArray[] q = Sequences.teacherForcing(questions, words, outputLength);
    INDArray[] labels =
        reconstructImage
            ? new INDArray[] {q[1], Sequences.dummy(n), Sequences.dummy(n)}
            : new INDArray[] {q[1], Sequences.dummy(n)};
    return new org.nd4j.linalg.dataset.MultiDataSet(
        new INDArray[] {scaler.apply(examples), q[0], eps}, labels);
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

  /** h_v, the posterior's mu and logvar, each [n, ·], for {@code examples}. */
  INDArray[] encode(ComputationGraph net, List<Example> examples) {
    int n = examples.size();
    DataType dt = net.getConfiguration().getDataType();
    INDArray[] in = {
      scaler.apply(examples).castTo(dt),
      Nd4j.zeros(dt, n, 1, outputLength),
      Nd4j.zeros(dt, n, sizes.z())
    };
    // No masks; but a previous score() leaves its minibatch's masks on the graph.
    net.clearLayerMaskArrays();
    Map<String, INDArray> acts = net.feedForward(in, false);
    return new INDArray[] {
      acts.get(IMAGE_ENCODER).castTo(DataType.FLOAT),
      acts.get(VaeGraph.MU).castTo(DataType.FLOAT),
      acts.get(VaeGraph.LOGVAR).castTo(DataType.FLOAT)
    };
  }

  /**
   * Up to {@code questions-per-image} distinct questions per example, from the posterior mean (the
   * image's most likely questions) and, where those are too few, from draws of z.
   *
   * <ul>
   *   <li>{@code questions = sampled}: the mean's question decoded with the configured search, then
   *       questions sampled word by word (at the configured temperature) from draws z = mu + sigma
   *       * eps at the model's own sigma, up to four draws per question wanted so duplicates can be
   *       replaced. Nearby latents decode to the same mode, so sampling is what makes them differ.
   *   <li>{@code questions = beams}: the distinct best hypotheses of one beam search from the
   *       posterior mean (width {@code beam-width}, at least the number wanted), ranked with {@code
   *       length-norm}: the image's most likely questions rather than random ones, which is what a
   *       best-pair BLEU against template questions rewards. Draws fill in if the beam finishes
   *       fewer.
   * </ul>
   *
   * The draws are seeded by the configured seed and the image id, so an image gets the same
   * questions whatever batch it is in.
   */
  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    ComputationGraph decoderOnly = decoderOnly(net);
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int from = 0; from < examples.size(); from += CHUNK) {
      List<Example> chunk = examples.subList(from, Math.min(examples.size(), from + CHUNK));
      INDArray[] post = encode(net, chunk);
      INDArray mode = Nd4j.concat(1, post[0], post[1]);
      List<List<int[]>> ranked = new ArrayList<>();
      if (questions.equals("beams")) {
        int width = Math.max(beamWidth, questionsPerImage);
        ranked.addAll(
            Decoding.decodeNBest(
                decoderOnly, mode, width, outputLength, lengthNorm, questionsPerImage));
      } else {
        Decoding.decode(
                decoderOnly,
                mode,
                decoding,
                beamWidth,
                outputLength,
                lengthNorm,
                Decoding.Constraint.NONE)
            .forEach(w -> ranked.add(List.of(w)));
      }
      List<Set<String>> distinct = new ArrayList<>();
      boolean fewer = false;
      for (List<int[]> r : ranked) {
        Set<String> d = new LinkedHashSet<>();
        r.forEach(w -> addQuestion(d, w));
        distinct.add(d);
        fewer |= d.size() < questionsPerImage;
      }
      if (fewer) {
        int draws = 4 * questionsPerImage;
        List<int[]> sampled = sampled(decoderOnly, post, chunk, draws);
        for (int i = 0; i < chunk.size(); i++) {
          for (int d = 0; d < draws && distinct.get(i).size() < questionsPerImage; d++) {
            addQuestion(distinct.get(i), sampled.get(i * draws + d));
          }
        }
      }
      distinct.forEach(d -> out.add(List.copyOf(d)));
    }
    return out;
  }

  /**
   * {@code draws} questions per example, row {@code i * draws + d}, each sampled word by word from
   * its own draw of z = mu + sigma * eps.
   */
  private List<int[]> sampled(
      ComputationGraph decoderOnly, INDArray[] post, List<Example> chunk, int draws) {
    int n = chunk.size();
    INDArray sigma = Transforms.exp(post[2].mul(0.5), false);
    INDArray condition = Nd4j.zeros(DataType.FLOAT, n * draws, sizes.hidden() + sizes.z());
    Random[] random = new Random[n * draws];
    for (int i = 0; i < n; i++) {
      Random r = new Random(seed * 31 + String.valueOf(chunk.get(i).imageId()).hashCode());
      for (int d = 0; d < draws; d++) {
        INDArray z =
            post[1]
                .getRow(i)
                .add(sigma.getRow(i).mul(Sequences.noise(1, sizes.z(), r).reshape(sizes.z())));
        condition.putRow(i * draws + d, Nd4j.concat(0, post[0].getRow(i), z));
        random[i * draws + d] = new Random(r.nextLong());
      }
    }
    return Decoding.sample(
        new Decoding.GraphStepper(decoderOnly, condition),
        n * draws,
        outputLength,
        random,
        temperature,
        Decoding.Constraint.NONE);
  }

  /** {@link Probes} on the first 128 of {@code validation}. */
  @Override
  public Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    List<Example> some = validation.subList(0, Math.min(CHUNK, validation.size()));
    if (some.size() < 2) {
      return Map.of();
    }
    INDArray[] post = encode(net, some);
    List<List<String>> questions = new ArrayList<>();
    some.forEach(e -> questions.add(Tokens.wordsAndMarks(e.question())));
    return Probes.measure(
        net,
        decoderOnly(net),
        Nd4j.concat(1, post[0], post[1]),
        post[1],
        post[2],
        Sequences.teacherForcing(questions, words, outputLength),
        sizes.embedding(),
        sizes.hidden());
  }

  private ComputationGraph decoderOnly(ComputationGraph net) {
    return VaeGraph.decoderOnly(
        net, QUESTION_IN, sizes.hidden() + sizes.z(), sizes, words.size(), QUESTION);
  }

  private void addQuestion(Set<String> distinct, int[] ids) {
    String q = Tokens.join(words.decode(ids));
    if (!q.isEmpty()) {
      distinct.add(q);
    }
  }

  /** Minus the mean validation loss (all weighted terms), with noise drawn from the seed. */
  @Override
  public String validationMetric() {
    return "neg-loss";
  }

  @Override
  public double validationScore(ComputationGraph net, List<Example> validation) {
    if (validation.isEmpty()) {
      return Double.NaN;
    }
    Random r = new Random(seed);
    DataType dt = net.getConfiguration().getDataType();
    double total = 0;
    for (int from = 0; from < validation.size(); from += CHUNK) {
      List<Example> chunk = validation.subList(from, Math.min(validation.size(), from + CHUNK));
      MultiDataSet mds = batch(chunk, Sequences.noise(chunk.size(), sizes.z(), r));
      if (dt != DataType.FLOAT) {
        for (int k = 0; k < mds.getFeatures().length; k++) {
          mds.setFeatures(k, mds.getFeatures(k).castTo(dt));
        }
      }
      total += net.score(mds) * chunk.size();
    }
    return -total / validation.size();
  }
}
