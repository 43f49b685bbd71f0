package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.learning.config.Adam;

class ClassifierTest {
  private static final Config CONFIG =
      ConfigFactory.parseString(
              "medvqa.models.qaware { embedding = 8, lstm = 16, image-projection = 16, hidden = 16,"
                  + " dropout = 0 }")
          .withFallback(ConfigFactory.defaultReference())
          .resolve();

  static Example ex(String id, String category, float v, String question, String answer) {
    return new Example(id, id, category, new float[] {v, 1 - v, 0.5f}, question, List.of(answer));
  }

  @Test
  void answersAreClassesFromTrainingOnly() {
    List<Example> train = List.of(ex("a", "c", 0, "q", "X "), ex("b", "c", 1, "q", "y"));
    VqaModel m = ModelKinds.fit("classifier", CONFIG, train);
    assertEquals(List.of("x", "y"), ((ImageClassifier) m).answers());
    assertTrue(m.trainable(ex("c", "c", 0, "q", "x")));
    assertFalse(m.trainable(ex("d", "c", 0, "q", "never seen")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> m.batch(List.of(ex("d", "c", 0, "q", "never seen"))));
    assertEquals("example d: answer 'never seen' is not one of the classes", e.getMessage());
  }

  /**
   * Two question kinds about the same images: "side" questions answer from the image, "kind"
   * questions always "scan". The image-only classifier cannot tell them apart; the question-aware
   * one must, and its routing keeps each kind's answers apart.
   */
  @Test
  void questionAwareClassifierUsesTheQuestion() throws Exception {
    Random r = new Random(3);
    List<Example> train = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      float v = r.nextBoolean() ? 0 : 1;
      train.add(ex("s" + i, "side", v, "which side is it?", v == 0 ? "left" : "right"));
      train.add(ex("k" + i, "kind", v, "what kind of image?", "scan"));
    }
    QuestionAwareClassifier m = (QuestionAwareClassifier) ModelKinds.fit("qaware", CONFIG, train);
    ComputationGraph net = m.newGraph(1, new Adam(0.02));
    for (int epoch = 0; epoch < 30; epoch++) {
      for (int i = 0; i < train.size(); i += 40) {
        net.fit(m.batch(train.subList(i, i + 40)));
      }
    }
    List<Example> test =
        List.of(
            ex("t1", "side", 0, "which side is it?", "left"),
            ex("t2", "side", 1, "which side is it?", "right"),
            ex("t3", "kind", 1, "what kind of image?", "scan"),
            ex("t4", "kind", 0, "what kind of image?", "scan"));
    assertEquals(1.0, m.validationScore(net, test));

    // The spec round-trips, and the reloaded spec answers the same with the same weights.
    ObjectNode json = m.toJson();
    VqaModel back = ModelKinds.fromJson(new ObjectMapper().writeValueAsString(json));
    assertEquals(m.predict(net, test), back.predict(net, test));
    assertEquals(java.util.Map.of("kind", 1, "side", 2), m.answersPerCategory());
  }

  /** What the trainer does: save a minibatch, read it back with the model's loader, fit it. */
  @Test
  void exportedMinibatchesReadBackAndFit() throws Exception {
    List<Example> train =
        List.of(ex("a", "c", 0, "which side?", "left"), ex("b", "c", 1, "which side?", "right"));
    for (String kind : List.of("classifier", "qaware")) {
      VqaModel m = ModelKinds.fit(kind, CONFIG, train);
      java.nio.file.Path f = java.nio.file.Files.createTempFile("batch", ".bin");
      try (var os = java.nio.file.Files.newOutputStream(f)) {
        org.medvqa.models.MinibatchFile.write(m.batch(train), os);
      }
      org.nd4j.linalg.dataset.api.MultiDataSet back =
          m.loader()
              .load(new org.nd4j.common.loader.LocalFileSourceFactory().getSource(f.toString()));
      ComputationGraph net = m.newGraph(1, new Adam(0.01));
      net.fit(back);
      assertTrue(Double.isFinite(net.score()), kind);
      java.nio.file.Files.delete(f);
    }
  }

  /** Test questions whose answers or categories training never saw still get an answer. */
  @Test
  void unseenAnswersAndCategoriesAtPredictionTime() {
    List<Example> train =
        List.of(
            ex("a", "side", 0, "which side?", "left"), ex("b", "side", 1, "which side?", "right"));
    QuestionAwareClassifier m = (QuestionAwareClassifier) ModelKinds.fit("qaware", CONFIG, train);
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    List<Example> test =
        List.of(
            ex("c", "side", 0, "which side?", "never seen"),
            ex("d", "colour", 1, "what colour is it?", "blue"));
    List<List<String>> p = m.predict(net, test);
    assertEquals(2, p.size());
    assertTrue(List.of("left", "right").contains(p.get(0).get(0)), p.toString());
    assertTrue(List.of("left", "right").contains(p.get(1).get(0)), p.toString());
    assertEquals(0.0, m.validationScore(net, test));
  }
}
