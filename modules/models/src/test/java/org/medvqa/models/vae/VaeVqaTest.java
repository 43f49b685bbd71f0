package org.medvqa.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.models.Example;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;

class VaeVqaTest {
  private static final int FEATURES = 16;
  private static final String SMALL = "embedding = 16, hidden = 32, z = 8, output-length = 6";

  static ComputationGraph train(VaeVqa m, List<Example> train, int epochs) {
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int i = 0; i < train.size(); i += 32) {
        net.fit(m.batch(train.subList(i, Math.min(train.size(), i + 32))));
      }
    }
    return net;
  }

  /**
   * Four image classes, two question templates, the answer (one to four words) fixed by the class:
   * answers of held-out images must be generated word for word, well above the 25% of guessing.
   */
  @Test
  void learnsToAnswerHeldOutImages() {
    List<Example> train = Synthetic.vqa(160, 1, FEATURES, 0.3);
    List<Example> test = Synthetic.vqa(40, 2, FEATURES, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), train);
    ComputationGraph net = train(m, train, 30);
    double beam = m.validationScore(net, test);
    double greedy = m.withDecoding("greedy", 1).validationScore(net, test);
    assertTrue(beam >= 0.8, "beam accuracy " + beam);
    assertTrue(greedy >= 0.8, "greedy accuracy " + greedy);
    assertEquals("accuracy", m.validationMetric());
    // Answers come out as the reference text, not as word lists.
    assertTrue(
        m.predict(net, test).stream().anyMatch(p -> p.get(0).equals("right kidney with cyst")));
  }

  /**
   * In a training step the answer layer's score comes from its gradient's softmax (TokenXent's kept
   * scores), once per minibatch (LossesTest checks that those scores are the ones computed afresh).
   */
  @Test
  void aTrainingStepScoresFromItsGradientsSoftmax() {
    List<Example> train = Synthetic.vqa(96, 1, FEATURES, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), train);
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    MultiDataSet batch = m.batch(train.subList(0, 32));
    long before = TokenXent.KeptScores.REUSED.get();
    for (int i = 0; i < 3; i++) {
      net.fit(batch);
    }
    assertEquals(before + 3, TokenXent.KeptScores.REUSED.get());
  }

  /**
   * Four categories of question and four image classes, the answer fixed by both: reading only the
   * image or only the question gets at most about a quarter right. (With features at ResNet50's
   * scale, neither scaled nor standardised, this scored 0.26.)
   */
  @Test
  void answersDependOnTheQuestionAndTheImage() {
    // ResNet50's width: the image input's scale matters at this fan-in (FeatureScaler).
    int dim = 2048;
    List<Example> train = Synthetic.vqaByCategory(480, 3, dim, 0.3);
    List<Example> test = Synthetic.vqaByCategory(80, 4, dim, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL + ", decoding = greedy"), train);
    ComputationGraph net = train(m, train, 30);
    double acc = m.validationScore(net, test);
    assertTrue(acc >= 0.8, "accuracy " + acc + " " + m.predict(net, test.subList(0, 12)));
  }

  /**
   * The probes on a trained model: the latent differs between examples, and the decoder's loss
   * rises when it reads another example's condition (image, question and z) instead of its own, so
   * the decoder's output depends on its input rather than on the answers' marginal distribution.
   */
  @Test
  void decoderDependsOnItsInputAndProbesShowIt() {
    List<Example> train = Synthetic.vqaByCategory(480, 3, 64, 0.3);
    List<Example> test = Synthetic.vqaByCategory(80, 4, 64, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL + ", decoding = greedy"), train);
    ComputationGraph net = train(m, train, 20);
    java.util.Map<String, Double> p = m.probes(net, test);
    assertEquals(
        List.of(
            "mu-spread",
            "sigma",
            "weight-words",
            "weight-path",
            "weight-z",
            "loss-own",
            "loss-other",
            "loss-other-z"),
        List.copyOf(p.keySet()));
    assertTrue(p.get("mu-spread") > 0.05, "probes " + p);
    assertTrue(p.get("loss-other") > p.get("loss-own") + 1.0, "probes " + p);
    assertTrue(p.get("loss-own") < 0.5, "probes " + p);
  }

  /**
   * A closed category (at most category-answers-max distinct training answers) is answered only
   * with its own answers, even by an untrained decoder; with the limit at 0 nothing is restricted.
   */
  @Test
  void closedCategoriesAreAnsweredWithTheirOwnAnswers() {
    List<Example> train = Synthetic.vqaByCategory(200, 3, FEATURES, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), train);
    ComputationGraph untrained = m.newGraph(1, new Adam(0.01));
    List<Example> test = Synthetic.vqaByCategory(40, 4, FEATURES, 0.3);
    List<List<String>> out = m.predict(untrained, test);
    for (int i = 0; i < test.size(); i++) {
      int cat = Integer.parseInt(test.get(i).category().substring(1));
      assertTrue(
          List.of(Synthetic.CATEGORY_ANSWERS[cat]).contains(out.get(i).get(0)),
          test.get(i).category() + ": " + out.get(i));
    }
    assertEquals(
        java.util.Map.of(),
        VaeVqa.closedCategories(train, 0, 6),
        "category-answers-max = 0 restricts nothing");
    // Answers longer than the output length cannot be written, so they are not offered.
    assertEquals(
        java.util.Set.of("axial", "sagittal", "coronal"),
        java.util.Set.copyOf(VaeVqa.closedCategories(train, 100, 6).get("c1")));
    assertTrue(
        VaeVqa.closedCategories(train, 100, 2).get("c2").stream()
            .noneMatch(a -> a.equals("lung, mediastinum, pleura")));
  }

  /**
   * With by-question-form, a yes/no question gets yes or no (closed category or not), and a choice
   * question of a closed category one of the options it names; without it, any answer of the
   * category.
   */
  @Test
  void questionFormLimitsTheAnswer() {
    List<Example> train = new java.util.ArrayList<>(Synthetic.vqaByCategory(200, 3, FEATURES, 0.3));
    float[] f = train.get(0).image();
    String[][] extra = {
      {"c0", "is this an ultrasound?", "yes"},
      {"c0", "is this an mri?", "no"},
      {"c0", "is this a t1 or a t2 image?", "t2"},
      {"c0", "is this a t1 or a t2 image?", "t1"},
      {"c3", "is this image normal?", "no"}
    };
    for (int i = 0; i < extra.length; i++) {
      train.add(new Example("x" + i, "xi" + i, extra[i][0], f, extra[i][1], List.of(extra[i][2])));
    }
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), train);
    ComputationGraph untrained = m.newGraph(1, new Adam(0.01));
    List<Example> test =
        List.of(
            new Example("t0", "ti0", "c0", f, "is this a ct?", List.of("no")),
            new Example("t1", "ti1", "c0", f, "is this a t1 or a t2 image?", List.of("t1")),
            new Example("t2", "ti2", "c3", f, "is there a fracture?", List.of("no")));
    List<List<String>> out = m.predict(untrained, test);
    assertTrue(List.of("yes", "no").contains(out.get(0).get(0)), "yes/no: " + out.get(0));
    assertTrue(List.of("t1", "t2").contains(out.get(1).get(0)), "choice: " + out.get(1));
    assertTrue(List.of("yes", "no").contains(out.get(2).get(0)), "open category: " + out.get(2));
  }

  @Test
  void savedAndReloadedModelAnswersTheSame(@TempDir Path dir) throws Exception {
    List<Example> train = Synthetic.vqa(64, 1, FEATURES, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), train);
    ComputationGraph net = train(m, train, 3);
    File file = dir.resolve("model.zip").toFile();
    ModelSerializer.writeModel(net, file, false);
    String json = new ObjectMapper().writeValueAsString(m.toJson());
    ComputationGraph net2 = ModelSerializer.restoreComputationGraph(file, false);
    VaeVqa m2 = VaeVqa.fromJson((ObjectNode) new ObjectMapper().readTree(json));
    assertEquals(m.toJson(), m2.toJson());
    List<Example> test = Synthetic.vqa(20, 2, FEATURES, 0.3);
    assertEquals(m.predict(net, test), m2.predict(net2, test));
    // A spec of the first layout (no feature statistics) is refused by name, not misread.
    ObjectNode old = m.toJson();
    old.remove("feature-scaler");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VaeVqa.fromJson(old));
    assertTrue(e.getMessage().contains("earlier version"), e.getMessage());
  }

  @Test
  void batchHasTheDocumentedInputsAndOutputs() {
    List<Example> data = Synthetic.vqa(5, 1, FEATURES, 0.3);
    VaeVqa m = VaeVqa.fit(Synthetic.config("vae-vqa", SMALL), data);
    MultiDataSet mds = m.batch(data);
    assertEquals(List.of("image", "question", "answer-in", "eps"), m.inputs());
    assertEquals(
        List.of("answer", "kl", "image-reconstruction", "question-reconstruction"), m.outputs());
    assertEquals(4, mds.getFeatures().length);
    assertEquals(4, mds.getLabels().length);
    assertEquals(List.of(5L, 1L, 6L), List.of(box(mds.getFeatures(2).shape())));
    assertEquals(List.of(5L, 8L), List.of(box(mds.getFeatures(VaeVqa.EPS_INPUT).shape())));
    ComputationGraph net = m.newGraph(1, new Adam(0.01));
    assertEquals(m.inputs(), net.getConfiguration().getNetworkInputs());
    assertEquals(m.outputs(), net.getConfiguration().getNetworkOutputs());
    net.fit(mds);

    VaeVqa bare =
        VaeVqa.fit(
            Synthetic.config(
                "vae-vqa", SMALL + ", reconstruct-image = false, reconstruct-question = false"),
            data);
    assertEquals(List.of("answer", "kl"), bare.outputs());
    assertEquals(2, bare.batch(data).getLabels().length);
    bare.newGraph(1, new Adam(0.01)).fit(bare.batch(data));
  }

  private static Long[] box(long[] a) {
    Long[] out = new Long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T> T javaRoundTrip(T o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  /**
   * The loader (shipped to executors, so Java-serialisable) reads an exported minibatch back with
   * everything as written except eps, which is new standard normal noise on every load.
   */
  @Test
  void loaderDrawsFreshNoiseOnEveryLoad() throws Exception {
    List<Example> data = Synthetic.vqa(64, 1, FEATURES, 0.3);
    VaeVqa m = javaRoundTrip(VaeVqa.fit(Synthetic.config("vae-vqa", SMALL + ", z = 50"), data));
    MultiDataSet mds = m.batch(data);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    org.medvqa.models.MinibatchFile.write(mds, bytes);
    Source source =
        new Source() {
          @Override
          public InputStream getInputStream() {
            return new ByteArrayInputStream(bytes.toByteArray());
          }

          @Override
          public String getPath() {
            return "memory";
          }
        };
    MultiDataSetLoader loader = javaRoundTrip(m.loader());
    MultiDataSet a = loader.load(source);
    MultiDataSet b = loader.load(source);
    for (int k = 0; k < 3; k++) {
      assertEquals(mds.getFeatures(k), a.getFeatures(k));
    }
    for (int k = 0; k < mds.getLabels().length; k++) {
      assertEquals(mds.getLabels(k), a.getLabels(k));
    }
    assertNull(a.getFeaturesMaskArrays());
    assertNull(a.getLabelsMaskArrays());
    INDArray ea = a.getFeatures(VaeVqa.EPS_INPUT);
    INDArray eb = b.getFeatures(VaeVqa.EPS_INPUT);
    assertEquals(mds.getFeatures(VaeVqa.EPS_INPUT).shapeInfoToString(), ea.shapeInfoToString());
    assertNotEquals(mds.getFeatures(VaeVqa.EPS_INPUT), ea);
    assertNotEquals(ea, eb);
    assertEquals(0.0, ea.meanNumber().doubleValue(), 0.1); // 3200 draws: sd of the mean ~0.018
    assertEquals(1.0, ea.stdNumber().doubleValue(), 0.1);
  }

  @Test
  void invalidSettingsAreRejectedByName() {
    List<Example> data = Synthetic.vqa(5, 1, FEATURES, 0.3);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> VaeVqa.fit(Synthetic.config("vae-vqa", "decoding = sampled"), data));
    assertEquals("decoding must be greedy or beam, got 'sampled'", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> VaeVqa.fit(Synthetic.config("vae-vqa", "lambda-kl = -1"), data));
    assertThrows(
        IllegalArgumentException.class,
        () -> VaeVqa.fit(Synthetic.config("vae-vqa", "output-length = 0"), data));
  }
}
