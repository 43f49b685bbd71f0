package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.rnn.LastTimeStepVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.EmbeddingSequenceLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.medvqa.models.Batches;
import org.medvqa.models.CpuLstm;
import org.medvqa.models.Example;
import org.medvqa.models.VqaModel;
import org.medvqa.models.text.Tokens;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A classifier that reads the question as well as the image. VQA-Med asks several kinds of question
 * about the same image (2019: modality, plane, organ, abnormality), so the answer depends on the
 * question; the 2020 winners turned the task into one classification per question kind.
 *
 * <p>Graph: {@code image} [batch, features] -> dense ReLU projection; {@code question} [batch,
 * length] left-padded word ids -> embedding -> LSTM -> last step; both merged -> dense ReLU ->
 * {@code answer}, a softmax over every training answer.
 *
 * <p>Routing ({@code route-by-category}): at prediction the argmax runs only over the answers seen
 * with the question's category in training (the manifest's category: from the release's files, or
 * inferred from the question's keywords), so a plane question cannot get an organ answer. A
 * category never seen in training uses all answers. (Per-category softmax heads trained through
 * label masks would say the same thing in the graph, but DL4J's minibatch merging breaks
 * per-example label masks of feed-forward outputs, so the restriction is applied here.)
 */
public final class QuestionAwareClassifier implements VqaModel {
  public static final String KIND = "qaware";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(
          KIND,
          Input.FEATURES,
          false,
          QuestionAwareClassifier::fit,
          QuestionAwareClassifier::fromJson);
    }
  }

  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final int features;
  private final Map<String, Integer> sizes;
  private final double dropout;
  private final double l2;
  private final int maxQuestionLength;
  private final boolean route;
  private final Vocabulary words;
  private final AnswerSet answers;

  /** Category -> the answers (as indices) seen with it in training. */
  private final Map<String, BitSet> allowed;

  /**
   * Independent copies of the network in one graph, each with its own softmax and loss, whose
   * probabilities are averaged: an ensemble trained in one fit. {@code qaware} has one.
   */
  private final int members;

  private QuestionAwareClassifier(
      int features,
      Map<String, Integer> sizes,
      double dropout,
      double l2,
      int maxQuestionLength,
      boolean route,
      Vocabulary words,
      AnswerSet answers,
      Map<String, BitSet> allowed,
      int members) {
    if (members < 1) {
      throw new IllegalArgumentException("members must be at least 1, got " + members);
    }
    this.members = members;
    this.features = features;
    this.sizes = Map.copyOf(sizes);
    this.dropout = dropout;
    this.l2 = l2;
    this.maxQuestionLength = maxQuestionLength;
    this.route = route;
    this.words = words;
    this.answers = answers.requireClasses();
    this.allowed = Map.copyOf(allowed);
  }

  /** Settings from {@code c} (the {@code medvqa.models.qaware} block), vocabularies from data. */
  public static QuestionAwareClassifier fit(Config c, List<Example> training) {
    List<List<String>> questions = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    for (Example e : training) {
      questions.add(Tokens.wordsAndMarks(e.question()));
      targets.add(e.answer());
    }
    AnswerSet answers = AnswerSet.fit(targets, c.getInt("min-answer-count"));
    Map<String, BitSet> allowed = new TreeMap<>();
    for (Example e : training) {
      int k = answers.indexOf(e.answer());
      if (k >= 0) {
        allowed.computeIfAbsent(e.category(), x -> new BitSet()).set(k);
      }
    }
    Map<String, Integer> sizes = new TreeMap<>();
    for (String k : List.of("embedding", "lstm", "image-projection", "hidden")) {
      sizes.put(k, c.getInt(k));
    }
    return new QuestionAwareClassifier(
        Batches.featureSize(training),
        sizes,
        c.getDouble("dropout"),
        c.getDouble("l2"),
        c.getInt("max-question-length"),
        c.getBoolean("route-by-category"),
        Vocabulary.build(questions, c.getInt("min-word-count")),
        answers,
        allowed,
        1);
  }

  /** The same model with {@code n} ensemble members (see {@link #members}). */
  QuestionAwareClassifier withMembers(int n) {
    return new QuestionAwareClassifier(
        features, sizes, dropout, l2, maxQuestionLength, route, words, answers, allowed, n);
  }

  public static QuestionAwareClassifier fromJson(ObjectNode o) {
    Map<String, Integer> sizes = new TreeMap<>();
    o.get("sizes").fields().forEachRemaining(e -> sizes.put(e.getKey(), e.getValue().asInt()));
    AnswerSet answers = AnswerSet.fromJson(o.get("answers"));
    Map<String, BitSet> allowed = new TreeMap<>();
    o.get("answers_by_category")
        .fields()
        .forEachRemaining(
            e -> {
              BitSet b = new BitSet();
              e.getValue().forEach(a -> b.set(answers.indexOf(a.asText())));
              allowed.put(e.getKey(), b);
            });
    return new QuestionAwareClassifier(
        o.get("features").asInt(),
        sizes,
        o.get("dropout").asDouble(),
        o.get("l2").asDouble(),
        o.get("max-question-length").asInt(),
        o.get("route-by-category").asBoolean(),
        Vocabulary.fromJson(o.get("words").toString()),
        answers,
        allowed,
        o.has("members") ? o.get("members").asInt() : 1);
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public String describe() {
    return "answer classes: " + answers().size() + ", per category: " + answersPerCategory();
  }

  public List<String> answers() {
    return answers.answers();
  }

  /** The class of {@code answer}, or -1 when it is not one. */
  int answerIndex(String answer) {
    return answers.indexOf(answer);
  }

  /** Categories seen in training, each with the number of answers seen with it. */
  public Map<String, Integer> answersPerCategory() {
    Map<String, Integer> out = new TreeMap<>();
    allowed.forEach((k, v) -> out.put(k, v.cardinality()));
    return out;
  }

  /**
   * The answers (as indices) a question of {@code category} may get: those seen with it in training
   * when routing by category, else all {@code n}.
   */
  BitSet allowed(String category, int n) {
    BitSet ok = route ? allowed.get(category) : null;
    if (ok == null) {
      ok = new BitSet();
      ok.set(0, n);
    }
    return (BitSet) ok.clone();
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    // Sizes are explicit rather than inferred from input types: the inference sets the embedding's
    // nIn to the width of the id input (1) instead of the vocabulary size.
    ComputationGraphConfiguration.GraphBuilder b =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .dataType(DataType.FLOAT)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .l2(l2)
            .graphBuilder()
            .addInputs("image", "question");
    String[] outputs = new String[members];
    for (int m = 0; m < members; m++) {
      // One member keeps the layer names qaware always had, so that its saved models still load.
      String prefix = members == 1 ? "" : "m" + (m + 1) + "-";
      outputs[m] = addMember(b, prefix);
    }
    ComputationGraph net = new ComputationGraph(b.setOutputs(outputs).build());
    net.init();
    return net;
  }

  /** One copy of the network, its layers named with {@code prefix}; returns its output's name. */
  private String addMember(ComputationGraphConfiguration.GraphBuilder b, String prefix) {
    OutputLayer.Builder out =
        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
            .nIn(sizes.get("hidden"))
            .nOut(answers.size())
            .activation(Activation.SOFTMAX);
    if (dropout > 0) {
      out.dropOut(new Dropout(1 - dropout)); // on the fused layer's output; DL4J takes keep-prob
    }
    b.addLayer(
            prefix + "image-projection",
            new DenseLayer.Builder()
                .nIn(features)
                .nOut(sizes.get("image-projection"))
                .activation(Activation.RELU)
                .build(),
            "image")
        .addLayer(
            prefix + "embedding",
            new EmbeddingSequenceLayer.Builder()
                .nIn(words.size())
                .nOut(sizes.get("embedding"))
                .inputLength(maxQuestionLength)
                .build(),
            "question")
        .addLayer(
            prefix + "question-lstm",
            CpuLstm.of(
                new LSTM.Builder()
                    .nIn(sizes.get("embedding"))
                    .nOut(sizes.get("lstm"))
                    .activation(Activation.TANH)
                    .build()),
            prefix + "embedding")
        .addVertex(
            prefix + "question-last", new LastTimeStepVertex("question"), prefix + "question-lstm")
        .addVertex(
            prefix + "fused-input",
            new MergeVertex(),
            prefix + "image-projection",
            prefix + "question-last")
        .addLayer(
            prefix + "fused",
            new DenseLayer.Builder()
                .nIn(sizes.get("image-projection") + sizes.get("lstm"))
                .nOut(sizes.get("hidden"))
                .activation(Activation.RELU)
                .build(),
            prefix + "fused-input")
        .addLayer(prefix + "answer", out.build(), prefix + "fused");
    return prefix + "answer";
  }

  /** Word ids [n, length], left-padded without a mask ({@link Batches#leftPadded} says why). */
  private INDArray questions(List<Example> examples) {
    List<List<String>> texts = new ArrayList<>(examples.size());
    examples.forEach(e -> texts.add(Tokens.wordsAndMarks(e.question())));
    return Batches.leftPadded(texts, words, maxQuestionLength);
  }

  @Override
  public boolean trainable(Example e) {
    return answers.indexOf(e.answer()) >= 0;
  }

  @Override
  public MultiDataSet batch(List<Example> examples) {
    INDArray[] labels = new INDArray[members];
    java.util.Arrays.fill(labels, ImageClassifier.oneHot(answers, examples));
    return new org.nd4j.linalg.dataset.MultiDataSet(
        new INDArray[] {Batches.images(examples, features), questions(examples)}, labels);
  }

  /** Softmax outputs [n, answers] for {@code examples}, the mean over the members. */
  public INDArray probabilities(ComputationGraph net, List<Example> examples) {
    INDArray[] out = net.output(false, Batches.images(examples, features), questions(examples));
    INDArray p = out[0].dup();
    for (int m = 1; m < out.length; m++) {
      p.addi(out[m]);
    }
    return p.divi(out.length);
  }

  /** Validation accuracy per category ({@link Batches#accuracyByCategory}). */
  @Override
  public java.util.Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    return Batches.accuracyByCategory(predict(net, validation), validation);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    INDArray p = probabilities(net, examples);
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      BitSet ok = allowed(examples.get(i).category(), answers.size());
      out.add(List.of(answers.answer(argmax(p, i, ok))));
    }
    return out;
  }

  /** The most probable of the {@code candidates} answers in row {@code row} of {@code p}. */
  static int argmax(INDArray p, int row, BitSet candidates) {
    int best = -1;
    double bestP = -1;
    for (int k = candidates.nextSetBit(0); k >= 0; k = candidates.nextSetBit(k + 1)) {
      double v = p.getDouble(row, k);
      if (v > bestP) {
        bestP = v;
        best = k;
      }
    }
    return best;
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", KIND);
    o.put("features", features);
    ObjectNode s = o.putObject("sizes");
    sizes.forEach(s::put);
    o.put("dropout", dropout);
    o.put("l2", l2);
    o.put("max-question-length", maxQuestionLength);
    o.put("route-by-category", route);
    try {
      o.set("words", JSON.readTree(words.toJson()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    o.set("answers", answers.toJson());
    if (members > 1) {
      o.put("members", members);
    }
    ObjectNode by = o.putObject("answers_by_category");
    allowed.forEach(
        (k, v) -> {
          var a = by.putArray(k);
          v.stream().forEach(i -> a.add(answers.answer(i)));
        });
    return o;
  }
}
