package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.models.Example;
import org.medvqa.models.text.Tokens;
import org.nd4j.linalg.learning.config.Adam;

class VaeVqgTest {
  private static final int FEATURES = 16;
  private static final String SMALL =
      "embedding = 16, hidden = 32, z = 8, output-length = 12, questions-per-image = 3";

  static ComputationGraph train(VaeVqg m, List<Example> train, int epochs) {
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int i = 0; i < train.size(); i += 32) {
        net.fit(m.batch(train.subList(i, Math.min(train.size(), i + 32))));
      }
    }
    return net;
  }

  /**
   * Each image class has its question: the first question generated for a held-out image (from the
   * posterior mean) is its class's, tokenised as words and marks and joined by spaces.
   */
  @Test
  void asksTheQuestionsOfTheImageClass() {
    List<Example> train = Synthetic.vqg(160, 1, FEATURES, 0.3);
    List<Example> test = Synthetic.vqg(40, 2, FEATURES, 0.3);
    VaeVqg m = VaeVqg.fit(Synthetic.config("vae-vqg", SMALL), train);
    ComputationGraph untrained = m.newGraph(1, new Adam(0.01));
    double before = m.validationScore(untrained, test);
    ComputationGraph net = train(m, train, 30);
    double after = m.validationScore(net, test);
    assertTrue(after > before && after < 0, "neg-loss " + before + " -> " + after);
    assertEquals("neg-loss", m.validationMetric());
    List<List<String>> generated = m.predict(net, test);
    int right = 0;
    for (int i = 0; i < test.size(); i++) {
      List<String> qs = generated.get(i);
      assertTrue(!qs.isEmpty() && qs.size() <= 3, "questions " + qs);
      assertEquals(qs.size(), new HashSet<>(qs).size(), "distinct: " + qs);
      String expected = Tokens.join(Tokens.wordsAndMarks(test.get(i).question()));
      right += qs.get(0).equals(expected) ? 1 : 0;
    }
    assertTrue(right >= 0.8 * test.size(), right + " of " + test.size());
    // Seeded by image: the same questions again, whatever the batch.
    assertEquals(generated.subList(5, 10), m.predict(net, test.subList(5, 10)));
  }

  /**
   * The sigma activation must not overwrite logvar: DL4J's ActivationLayer hands its input over
   * without a copy at inference, and HalfExp used to exponentiate it in place, so logvar read after
   * an inference pass was sigma.
   */
  @Test
  void logvarIsTheSameInTrainingAndInference() {
    List<Example> data = Synthetic.vqg(16, 1, FEATURES, 0.3);
    VaeVqg m = VaeVqg.fit(Synthetic.config("vae-vqg", SMALL), data);
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    org.nd4j.linalg.api.ndarray.INDArray[] in = m.batch(data).getFeatures();
    org.nd4j.linalg.api.ndarray.INDArray training =
        net.feedForward(in, true).get(VaeGraph.LOGVAR).dup();
    org.nd4j.linalg.api.ndarray.INDArray inference =
        net.feedForward(in, false).get(VaeGraph.LOGVAR).dup();
    assertEquals(training, inference);
    assertEquals(VaeGraph.LOGVAR_BIAS, inference.meanNumber().doubleValue(), 1.0);
  }

  /**
   * Several questions per image come from sampled draws: on a partly trained model most images get
   * more than one distinct question, and different images do not all get the same list.
   */
  @Test
  void drawsGiveDifferentQuestions() {
    List<Example> train = Synthetic.vqg(160, 1, FEATURES, 0.3);
    List<Example> test = Synthetic.vqg(20, 2, FEATURES, 0.3);
    VaeVqg m = VaeVqg.fit(Synthetic.config("vae-vqg", SMALL + ", temperature = 1.5"), train);
    ComputationGraph net = train(m, train, 3);
    List<List<String>> generated = m.predict(net, test);
    long several = generated.stream().filter(q -> q.size() > 1).count();
    assertTrue(several >= test.size() / 2, several + " images with >1 question: " + generated);
    assertTrue(new HashSet<>(generated).size() > 1, "all alike: " + generated.get(0));
  }

  /**
   * With {@code questions = beams} every image gets its wanted number of distinct questions, the
   * first being the one the beam decodes from the posterior mean in the sampled mode too.
   */
  @Test
  void beamsGiveTheMostLikelyDistinctQuestions() {
    List<Example> train = Synthetic.vqg(160, 1, FEATURES, 0.3);
    List<Example> test = Synthetic.vqg(20, 2, FEATURES, 0.3);
    String beam = SMALL + ", decoding = beam, beam-width = 4";
    VaeVqg beams = VaeVqg.fit(Synthetic.config("vae-vqg", beam + ", questions = beams"), train);
    VaeVqg sampled = VaeVqg.fit(Synthetic.config("vae-vqg", beam), train);
    ComputationGraph net = train(beams, train, 3);
    List<List<String>> b = beams.predict(net, test);
    List<List<String>> s = sampled.predict(net, test);
    for (int i = 0; i < test.size(); i++) {
      assertEquals(3, b.get(i).size(), "image " + i + ": " + b.get(i));
      assertEquals(3, new HashSet<>(b.get(i)).size(), "image " + i + ": " + b.get(i));
      assertEquals(s.get(i).get(0), b.get(i).get(0), "image " + i);
    }
  }

  @Test
  void savedAndReloadedModelAsksTheSame(@TempDir Path dir) throws Exception {
    List<Example> train = Synthetic.vqg(64, 1, FEATURES, 0.3);
    VaeVqg m = VaeVqg.fit(Synthetic.config("vae-vqg", SMALL + ", decoding = beam"), train);
    ComputationGraph net = train(m, train, 3);
    File file = dir.resolve("model.zip").toFile();
    ModelSerializer.writeModel(net, file, false);
    String json = new ObjectMapper().writeValueAsString(m.toJson());
    ComputationGraph net2 = ModelSerializer.restoreComputationGraph(file, false);
    VaeVqg m2 = VaeVqg.fromJson((ObjectNode) new ObjectMapper().readTree(json));
    assertEquals(m.toJson(), m2.toJson());
    List<Example> test = Synthetic.vqg(10, 2, FEATURES, 0.3);
    assertEquals(m.predict(net, test), m2.predict(net2, test));
    assertEquals(m.validationScore(net, test), m2.validationScore(net2, test), 1e-6);
    assertEquals(List.of("image", "question-in", "eps"), m.inputs());
    assertEquals(List.of("question", "kl", "image-reconstruction"), m.outputs());
  }
}
