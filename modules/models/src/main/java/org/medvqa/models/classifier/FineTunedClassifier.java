package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.util.ModelSerializer;
import org.medvqa.features.ResNet50;
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
 * Paper run 5 with the whole ResNet50 trained: the backbone (the DL4J model file of {@code make
 * weights}) loses its ImageNet top, a softmax over the training answers takes the pooled feature,
 * and every layer is updated. For GPU executors: on this CPU a full ResNet50 step runs at about 1.6
 * images/s, so the default run 5 trains the softmax on cached features instead.
 *
 * <p>Its examples carry pixels, not features: {@link Example#image()} is the preprocessed image, 3
 * x size x size floats in NCHW order (the jobs fill it from the image files).
 */
public final class FineTunedClassifier implements VqaModel {
  public static final String KIND = "classifier-finetune";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.PIXELS, false, FineTunedClassifier::fit, FineTunedClassifier::fromJson);
    }
  }

  private static final long serialVersionUID = 1L;

  private final String backbone;
  private final int imageSize;
  private final String preprocessing;
  private final AnswerSet answers;

  FineTunedClassifier(String backbone, int imageSize, String preprocessing, AnswerSet answers) {
    if (backbone.isBlank()) {
      throw new IllegalArgumentException(
          "medvqa.models.classifier-finetune.backbone: the ResNet50 model file is required"
              + " (make weights writes models/resnet50-keras-imagenet.zip)");
    }
    this.backbone = backbone;
    this.imageSize = imageSize;
    this.preprocessing = preprocessing;
    this.answers = answers.requireClasses();
  }

  /** Settings from the {@code medvqa.models.classifier-finetune} block, answers from data. */
  public static FineTunedClassifier fit(Config c, List<Example> training) {
    List<String> targets = new ArrayList<>();
    training.forEach(e -> targets.add(e.answer()));
    return new FineTunedClassifier(
        c.getString("backbone"),
        c.getInt("image-size"),
        c.getString("preprocessing"),
        AnswerSet.fit(targets, c.getInt("min-answer-count")));
  }

  public static FineTunedClassifier fromJson(ObjectNode o) {
    return new FineTunedClassifier(
        o.get("backbone").asText(),
        o.get("image-size").asInt(),
        o.get("preprocessing").asText(),
        AnswerSet.fromJson(o.get("answers")));
  }

  @Override
  public String kind() {
    return KIND;
  }

  public int imageSize() {
    return imageSize;
  }

  /** {@code caffe} (BGR, ImageNet means subtracted) or {@code raw} (RGB 0-255). */
  public String preprocessing() {
    return preprocessing;
  }

  public List<String> answers() {
    return answers.answers();
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    ComputationGraph base;
    try {
      base = ModelSerializer.restoreComputationGraph(new File(backbone), false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the backbone " + backbone, e);
    }
    // The pooled width is what the ImageNet top (when present) reads, else the pool's output size.
    long width =
        base.getLayer(ResNet50.TOP) != null
            ? base.getLayer(ResNet50.TOP).getParam("W").size(0)
            : base.outputSingle(Nd4j.zeros(DataType.FLOAT, 1, 3, imageSize, imageSize)).size(1);
    TransferLearning.GraphBuilder b =
        new TransferLearning.GraphBuilder(base)
            .fineTuneConfiguration(
                new FineTuneConfiguration.Builder().updater(updater).seed(seed).build());
    if (base.getVertex(ResNet50.TOP) != null) {
      b.removeVertexAndConnections(ResNet50.TOP);
    }
    return b.addLayer(
            "answer",
            new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(width)
                .nOut(answers.size())
                .activation(Activation.SOFTMAX)
                .build(),
            ResNet50.POOL)
        .setOutputs("answer")
        .build();
  }

  @Override
  public boolean trainable(Example e) {
    return answers.indexOf(e.answer()) >= 0;
  }

  private INDArray pixels(List<Example> examples) {
    int len = 3 * imageSize * imageSize;
    return Batches.images(examples, len).reshape(examples.size(), 3, imageSize, imageSize);
  }

  @Override
  public MultiDataSet batch(List<Example> examples) {
    return new org.nd4j.linalg.dataset.MultiDataSet(
        pixels(examples), ImageClassifier.oneHot(answers, examples));
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    return answers.top(net.outputSingle(false, pixels(examples)));
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", KIND);
    o.put("backbone", backbone);
    o.put("image-size", imageSize);
    o.put("preprocessing", preprocessing);
    o.set("answers", answers.toJson());
    return o;
  }
}
