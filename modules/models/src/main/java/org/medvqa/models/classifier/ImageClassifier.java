package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.medvqa.models.Batches;
import org.medvqa.models.Example;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Paper run 5: the pooled ResNet50 feature of the image feeds a softmax over the answers seen in
 * training (the paper removes ResNet50's top and trains the rest; with the backbone frozen, as here
 * by default, that is this softmax on cached features). It ignores the question, so on a release
 * that asks four kinds of question about each image it can only give each image one answer: the
 * question-aware classifier exists because of that.
 *
 * <p>Graph: input {@code image} [batch, features] -> optional dense ReLU layer -> output {@code
 * answer}, softmax with cross-entropy. A training example whose answer is not a class (seen fewer
 * than {@code min-answer-count} times) is not {@link #trainable}.
 */
public final class ImageClassifier implements VqaModel {
  public static final String KIND = "classifier";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.FEATURES, false, ImageClassifier::fit, ImageClassifier::fromJson);
    }
  }

  private static final long serialVersionUID = 1L;

  private final int features;
  private final int hidden;
  private final double dropout;
  private final double l2;
  private final AnswerSet answers;

  ImageClassifier(int features, int hidden, double dropout, double l2, AnswerSet answers) {
    this.features = features;
    this.hidden = hidden;
    this.dropout = dropout;
    this.l2 = l2;
    this.answers = answers.requireClasses();
  }

  /** Settings from {@code c} (the {@code medvqa.models.classifier} block), answers from data. */
  public static ImageClassifier fit(Config c, List<Example> training) {
    int features = Batches.featureSize(training);
    List<String> targets = new ArrayList<>();
    training.forEach(e -> targets.add(e.answer()));
    return new ImageClassifier(
        features,
        c.getInt("hidden"),
        c.getDouble("dropout"),
        c.getDouble("l2"),
        AnswerSet.fit(targets, c.getInt("min-answer-count")));
  }

  public static ImageClassifier fromJson(ObjectNode o) {
    return new ImageClassifier(
        o.get("features").asInt(),
        o.get("hidden").asInt(),
        o.get("dropout").asDouble(),
        o.get("l2").asDouble(),
        AnswerSet.fromJson(o.get("answers")));
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public String describe() {
    return "answer classes: " + answers().size();
  }

  public List<String> answers() {
    return answers.answers();
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    ComputationGraphConfiguration.GraphBuilder g =
        new NeuralNetConfiguration.Builder()
            .seed(seed)
            .dataType(DataType.FLOAT)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .l2(l2)
            .graphBuilder()
            .addInputs("image")
            .setInputTypes(InputType.feedForward(features));
    String last = "image";
    OutputLayer.Builder out =
        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
            .nOut(answers.size())
            .activation(Activation.SOFTMAX);
    if (hidden > 0) {
      DenseLayer.Builder d = new DenseLayer.Builder().nOut(hidden).activation(Activation.RELU);
      if (dropout > 0) {
        d.dropOut(new Dropout(1 - dropout)); // DL4J takes the probability of keeping a unit
      }
      g.addLayer("hidden", d.build(), last);
      last = "hidden";
    } else if (dropout > 0) {
      out.dropOut(new Dropout(1 - dropout));
    }
    g.addLayer("answer", out.build(), last).setOutputs("answer");
    ComputationGraph net = new ComputationGraph(g.build());
    net.init();
    return net;
  }

  @Override
  public boolean trainable(Example e) {
    return answers.indexOf(e.answer()) >= 0;
  }

  @Override
  public MultiDataSet batch(List<Example> examples) {
    // No label masks: DL4J's MultiDataSet.merge turns [n, 1] masks into per-output masks, which
    // softmax cross-entropy refuses; so untrainable examples are kept out instead (trainable()).
    return new org.nd4j.linalg.dataset.MultiDataSet(
        Batches.images(examples, features), oneHot(answers, examples));
  }

  static INDArray oneHot(AnswerSet answers, List<Example> examples) {
    INDArray y = Nd4j.zeros(DataType.FLOAT, examples.size(), answers.size());
    for (int i = 0; i < examples.size(); i++) {
      int k = answers.indexOf(examples.get(i).answer());
      if (k < 0) {
        throw new IllegalArgumentException(
            "example "
                + examples.get(i).sampleId()
                + ": answer '"
                + examples.get(i).answer()
                + "' is not one of the classes");
      }
      y.putScalar(i, k, 1f);
    }
    return y;
  }

  /** Validation accuracy per category ({@link Batches#accuracyByCategory}). */
  @Override
  public java.util.Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    return Batches.accuracyByCategory(predict(net, validation), validation);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    return answers.top(net.outputSingle(false, Batches.images(examples, features)));
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", KIND);
    o.put("features", features);
    o.put("hidden", hidden);
    o.put("dropout", dropout);
    o.put("l2", l2);
    o.set("answers", answers.toJson());
    return o;
  }
}
