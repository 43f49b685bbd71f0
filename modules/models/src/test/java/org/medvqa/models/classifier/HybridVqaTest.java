package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The hybrid kind's two ways of answering, checked on an untrained graph so that what is asserted
 * comes from them and not from learning: nearest-neighbour answers from its memory, and answers
 * restricted by the question's form.
 */
class HybridVqaTest {
  private static final int DIM = 32;

  /**
   * Realistic features: non-negative (pooled ReLU), with a large component shared by every image,
   * so that a case's own signal is a small part of each vector; two images per case, the case's
   * diagnosis its abnormality answer.
   */
  static List<Example> cases(int n, long seed, String suffix) {
    return cases(n, seed, suffix, 0);
  }

  /**
   * {@link #cases} with the shared component scaled per image by a factor drawn from [1, 1 + {@code
   * spread}] (exposure, body size): the case's signal is then a smaller or larger part of the
   * vector from one image to the next.
   */
  static List<Example> cases(int n, long seed, String suffix, double spread) {
    Random centres = new Random(3);
    Random r = new Random(seed);
    float[] shared = new float[DIM];
    for (int j = 0; j < DIM; j++) {
      shared[j] = 2 + centres.nextFloat();
    }
    List<Example> out = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      float[] centre = new float[DIM];
      for (int j = 0; j < DIM; j++) {
        centre[j] = shared[j] + 0.5f * Math.abs((float) centres.nextGaussian());
      }
      float[] f = new float[DIM];
      float amplitude = (float) (spread * r.nextDouble());
      for (int j = 0; j < DIM; j++) {
        f[j] = Math.max(0, centre[j] + amplitude * shared[j] + 0.05f * (float) r.nextGaussian());
      }
      String img = "case" + c + suffix;
      out.add(
          new Example(
              img + "-a", img, "abnormality", f, "what is abnormal?", List.of("diagnosis " + c)));
      out.add(
          new Example(
              img + "-y",
              img,
              "abnormality",
              f,
              "is this image normal?",
              List.of(c % 2 == 0 ? "yes" : "no")));
      out.add(
          new Example(
              img + "-m",
              img,
              "modality",
              f,
              "is this a t1, t2, or flair image?",
              List.of(List.of("t1", "t2", "flair").get(c % 3))));
    }
    return out;
  }

  /** The kind fitted on {@code train} with the default settings, {@code train} in its memory. */
  private static HybridVqa remembering(List<Example> train) {
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    m.remember(train);
    return m;
  }

  /** {@link #config()} with {@code hocon} over it. */
  private static Config config(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(config()).resolve();
  }

  private static Config config() {
    return ConfigFactory.parseString(
            "medvqa.models.qaware { embedding = 4, lstm = 4, image-projection = 4, hidden = 4 }")
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  @Test
  void openAbnormalityQuestionsGetTheirNearestCaseAndOthersObeyTheirForm() {
    List<Example> train = cases(40, 1, "");
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    m.remember(train);
    assertEquals(40, m.memorySize(), "one per (image, answer) of the kNN categories' open ones");
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = cases(40, 2, "'"); // the same cases, other images
    List<List<String>> out = m.predict(net, test);
    int right = 0;
    for (int i = 0; i < test.size(); i++) {
      Example e = test.get(i);
      String a = out.get(i).get(0);
      switch (e.sampleId().substring(e.sampleId().length() - 1)) {
        case "a" -> right += a.equals(e.answer()) ? 1 : 0;
        case "y" -> assertTrue(Set.of("yes", "no").contains(a), e.question() + " -> " + a);
        default -> assertTrue(Set.of("t1", "t2", "flair").contains(a), e.question() + " -> " + a);
      }
    }
    assertEquals(40, right, "every open abnormality question answered by its case's twin");
  }

  @Test
  void aQuerysNeighboursAreSearchedOnceWhileTheMemoryStaysAndAgainWhenItChanges() {
    HybridVqa m = remembering(cases(20, 1, ""));
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = cases(20, 2, "'");
    List<List<String>> first = m.predict(net, test);
    long searched = m.searches();
    assertTrue(searched >= 20, "each open abnormality question searched: " + searched);
    assertEquals(first, m.predict(net, test));
    assertEquals(searched, m.searches(), "a second pass over the same examples searches nothing");

    // The same samples asked with other features (each with the next case's image) are searched
    // again: the open abnormality questions get the next case's diagnosis.
    List<Example> moved = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      moved.add(test.get(i).withImage(test.get((i + 3) % test.size()).image()));
    }
    List<List<String>> movedAnswers = m.predict(net, moved);
    for (int i = 0; i < test.size(); i++) {
      if (test.get(i).sampleId().endsWith("-a")) {
        assertEquals(
            test.get((i + 3) % test.size()).answer(),
            movedAnswers.get(i).get(0),
            test.get(i).sampleId());
      }
    }

    // The test images themselves join the memory with other diagnoses: the answers follow them.
    List<Example> twins = new ArrayList<>();
    for (Example e : test) {
      twins.add(
          new Example(
              e.sampleId() + "-twin",
              e.imageId() + "-twin",
              e.category(),
              e.image(),
              e.question(),
              List.of(e.answer() + " again")));
    }
    m.remember(twins);
    List<List<String>> after = m.predict(net, test);
    int again = 0;
    for (int i = 0; i < test.size(); i++) {
      if (test.get(i).sampleId().endsWith("-a")) {
        assertEquals(test.get(i).answer() + " again", after.get(i).get(0), test.get(i).sampleId());
        again++;
      }
    }
    assertEquals(20, again);
    assertTrue(m.searches() >= 3 * searched, "searched again after the memory changed");
  }

  @Test
  void questionsAskedTogetherGetTheAnswersTheyGetOneByOne() {
    for (String similarity : List.of("cosine", "within")) {
      HybridVqa m =
          (HybridVqa)
              ModelKinds.fit(
                  HybridVqa.KIND,
                  config("medvqa.models.hybrid.knn.similarity = " + similarity),
                  cases(30, 1, "", 0.5));
      m.remember(cases(30, 1, "", 0.5));
      ComputationGraph net = m.newGraph(1, new Adam(1e-3));
      List<Example> test = cases(30, 2, "'", 0.5);
      List<List<String>> oneByOne = new ArrayList<>();
      for (Example e : test) {
        oneByOne.addAll(m.predict(net, List.of(e)));
      }
      long searched = m.searches();
      m.remember(List.of()); // forgets what was found, keeps the memory
      assertEquals(oneByOne, m.predict(net, test), similarity);
      assertEquals(2 * searched, m.searches(), similarity + ": each question searched once more");
    }
  }

  @Test
  void theSearchOfManyQueriesRanksAsADotProductPerPairWould() {
    Random r = new Random(11);
    int[] widths = {7, 5};
    int nq = 600; // more than one block of queries
    int nm = 30;
    List<List<float[]>> queries = new ArrayList<>();
    List<List<float[]>> keys = new ArrayList<>();
    for (int w : widths) {
      List<float[]> q = new ArrayList<>();
      for (int i = 0; i < nq; i++) {
        q.add(gaussian(r, w));
      }
      List<float[]> k = new ArrayList<>();
      for (int j = 0; j < nm; j++) {
        k.add(gaussian(r, w));
      }
      k.set(7, k.get(3).clone()); // a tie: entry 3 first, as the memory has it
      queries.add(q);
      keys.add(k);
    }
    List<Integer> ids = new ArrayList<>();
    for (int j = 0; j < nm; j++) {
      ids.add(100 + 2 * j);
    }
    List<List<double[]>> found = HybridVqa.nearestByProduct(queries, keys, ids, 4);
    assertEquals(nq, found.size());
    for (int i = 0; i < nq; i++) {
      double[] mean = new double[nm];
      for (int p = 0; p < widths.length; p++) {
        for (int j = 0; j < nm; j++) {
          double d = 0;
          for (int t = 0; t < widths[p]; t++) {
            d += (double) queries.get(p).get(i)[t] * keys.get(p).get(j)[t];
          }
          mean[j] += d / widths.length;
        }
      }
      List<Integer> order = new ArrayList<>();
      for (int j = 0; j < nm; j++) {
        order.add(j);
      }
      order.sort((a, b) -> Double.compare(mean[b], mean[a]));
      assertEquals(4, found.get(i).size());
      for (int rank = 0; rank < 4; rank++) {
        double[] got = found.get(i).get(rank);
        int j = order.get(rank);
        assertEquals(ids.get(j), (int) got[0], "query " + i + " rank " + rank);
        assertEquals(mean[j], got[1], 1e-12, "query " + i + " rank " + rank);
      }
    }
    // A query equal to entry 3 (and 7) in both parts finds the two, 3 first.
    List<List<float[]>> twin = List.of(List.of(keys.get(0).get(3)), List.of(keys.get(1).get(3)));
    List<double[]> top = HybridVqa.nearestByProduct(twin, keys, ids, 2).get(0);
    assertEquals(List.of(106, 114), List.of((int) top.get(0)[0], (int) top.get(1)[0]));
  }

  /** A random unit vector of width {@code w}, as the memory's keys are. */
  private static float[] gaussian(Random r, int w) {
    float[] v = new float[w];
    double n = 0;
    for (int t = 0; t < w; t++) {
      v[t] = (float) r.nextGaussian();
      n += v[t] * v[t];
    }
    for (int t = 0; t < w; t++) {
      v[t] /= (float) Math.sqrt(n);
    }
    return v;
  }

  @Test
  void theMemorySurvivesSavingAndKnnOffAnswersFromTheClassifier() {
    List<Example> train = cases(20, 1, "");
    HybridVqa m = remembering(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = cases(20, 2, "'");
    VqaModel back = ModelKinds.fromJson(m.toJson().toString());
    assertEquals(m.predict(net, test), back.predict(net, test));
    assertEquals(20, ((HybridVqa) back).memorySize());

    Config noKnn = config("medvqa.models.hybrid.knn.categories = []");
    HybridVqa plain = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, noKnn, train);
    plain.remember(train);
    assertEquals(0, plain.memorySize());
    long distinct =
        plain.predict(net, test).stream()
            .filter(x -> x.get(0).startsWith("diagnosis"))
            .map(x -> x.get(0))
            .distinct()
            .count();
    assertTrue(distinct < 20, "an untrained classifier does not name every case: " + distinct);
  }

  @Test
  void centredFeaturesFindTheCaseWhenTheSharedPartVariesFromImageToImage() {
    List<Example> train = cases(40, 1, "", 5);
    List<Example> test = cases(40, 2, "'", 5);
    ComputationGraph net = null;
    java.util.Map<String, Integer> right = new java.util.HashMap<>();
    for (String similarity : HybridVqa.SIMILARITIES) {
      Config c = config("medvqa.models.hybrid.knn.similarity = " + similarity);
      HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, c, train);
      m.remember(train);
      net = net == null ? m.newGraph(1, new Adam(1e-3)) : net;
      List<List<String>> out = ModelKinds.fromJson(m.toJson().toString()).predict(net, test);
      int n = 0;
      for (int i = 0; i < test.size(); i++) {
        if (test.get(i).sampleId().endsWith("-a")) {
          n += out.get(i).get(0).equals(test.get(i).answer()) ? 1 : 0;
        }
      }
      right.put(similarity, n);
    }
    assertEquals(40, right.get("centred"), right.toString());
    assertEquals(40, right.get("standardised"), right.toString());
    // The plain cosine is pulled towards the images whose shared part is largest.
    assertTrue(right.get("cosine") < 40, right.toString());
  }

  /**
   * {@link #cases} plus, per image, the open question "what organ system is shown?", answered with
   * one of four organ systems by case.
   */
  private static List<Example> withOrgans(int n, long seed, String suffix) {
    List<Example> out = new ArrayList<>();
    for (Example e : cases(n, seed, suffix)) {
      out.add(e);
      if (e.sampleId().endsWith("-a")) {
        int c = Integer.parseInt(e.imageId().replaceAll("\\D", ""));
        out.add(
            new Example(
                e.imageId() + "-o",
                e.imageId(),
                "organ",
                e.image(),
                "what organ system is shown?",
                List.of("organ " + c % 4)));
      }
    }
    return out;
  }

  /** The references of {@code t}'s organ questions, in order. */
  private static List<List<String>> organTruth(List<Example> t) {
    return t.stream().filter(e -> e.category().equals("organ")).map(Example::answers).toList();
  }

  private static List<List<String>> organAnswers(
      VqaModel m, ComputationGraph net, List<Example> t) {
    List<List<String>> out = new ArrayList<>();
    List<List<String>> all = m.predict(net, t);
    for (int i = 0; i < t.size(); i++) {
      if (t.get(i).category().equals("organ")) {
        out.add(all.get(i));
      }
    }
    return out;
  }

  @Test
  void blendedCategoriesMixTheNetworkWithTheNeighboursVote() {
    List<Example> train = withOrgans(40, 1, "");
    List<Example> test = withOrgans(40, 2, "'");
    List<List<String>> truth = organTruth(test);
    String blend = "medvqa.models.hybrid.blend { categories = [organ], k = 1, weight = ";
    HybridVqa votes = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(blend + "1 }"), train);
    votes.remember(train);
    assertEquals(80, votes.memorySize(), "abnormality and organ, one per image each");
    ComputationGraph net = votes.newGraph(1, new Adam(1e-3));
    assertEquals(truth, organAnswers(votes, net, test), "weight 1: the twin's organ");
    VqaModel saved = ModelKinds.fromJson(votes.toJson().toString());
    assertEquals(truth, organAnswers(saved, net, test), "saved and read back");
    assertEquals(40, votes.toJson().get("features").size(), "each image's feature saved once");

    HybridVqa none = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(blend + "0 }"), train);
    none.remember(train);
    HybridVqa off = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    off.remember(train);
    assertEquals(40, off.memorySize(), "no organ entries without the blend");
    List<List<String>> byNetwork = organAnswers(off, net, test);
    assertEquals(byNetwork, organAnswers(none, net, test), "weight 0: the network's answers");
    assertTrue(!byNetwork.equals(truth), "the untrained network alone is not right");
  }

  @Test
  void theValidationShareChoosesTheBlendsWeightPerCategory() {
    List<Example> train = withOrgans(40, 1, "");
    List<Example> validation = withOrgans(40, 2, "'");
    List<Example> test = withOrgans(40, 3, "''");
    List<List<String>> truth = organTruth(test);
    HybridVqa m =
        (HybridVqa)
            ModelKinds.fit(
                HybridVqa.KIND,
                config(
                    "medvqa.models.hybrid.blend { categories = [organ, plane], k = 1, weight = 0,"
                        + " weight-choices = [0, 0.5, 1] }"),
                train);
    m.remember(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<List<String>> byNetwork = organAnswers(m, net, test);
    assertTrue(!byNetwork.equals(truth), "weight 0: the untrained network is not right");

    String said = m.choose(net, validation);
    // The twin in memory answers every organ question at 0.5 and 1; of the two, 0.5 is nearer the
    // configured 0. No plane question: plane keeps it.
    assertTrue(said.contains("organ 0.5 (right of 40 by weight 0.0: "), said);
    assertTrue(said.contains("0.5: 40, 1.0: 40)"), said);
    assertTrue(said.contains("plane none asked (weight 0.0)"), said);
    com.fasterxml.jackson.databind.JsonNode chosen = m.toJson().get("blend_chosen_weights");
    assertEquals(0.5, chosen.get("organ").asDouble());
    assertTrue(!chosen.has("plane"), chosen.toString());
    assertEquals(truth, organAnswers(m, net, test), "the chosen weight answers");
    VqaModel saved = ModelKinds.fromJson(m.toJson().toString());
    assertEquals(truth, organAnswers(saved, net, test), "saved and read back");
    com.fasterxml.jackson.databind.node.ObjectNode tampered = m.toJson();
    ((com.fasterxml.jackson.databind.node.ObjectNode) tampered.get("blend_chosen_weights"))
        .put("organ", 2.0);
    IllegalArgumentException bad =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> ModelKinds.fromJson(tampered.toString()));
    assertTrue(bad.getMessage().contains("blend_chosen_weights"), bad.getMessage());

    HybridVqa without =
        (HybridVqa)
            ModelKinds.fit(
                HybridVqa.KIND,
                config("medvqa.models.hybrid.blend { categories = [organ], k = 1, weight = 0 }"),
                train);
    without.remember(train);
    assertEquals("", without.choose(net, validation), "no choices: nothing chosen");
    assertEquals(byNetwork, organAnswers(without, net, test));
  }

  /**
   * {@link #withOrgans} whose organ answer is shifted by {@code shift} systems: with a shift, a
   * twin remembered from the unshifted training set has another organ than its reference.
   */
  private static List<Example> shiftedOrgans(int n, long seed, String suffix, int shift) {
    List<Example> out = new ArrayList<>();
    for (Example e : withOrgans(n, seed, suffix)) {
      if (!e.category().equals("organ")) {
        out.add(e);
        continue;
      }
      int c = Integer.parseInt(e.imageId().replaceAll("\\D", ""));
      out.add(
          new Example(
              e.sampleId(),
              e.imageId(),
              "organ",
              e.image(),
              e.question(),
              List.of("organ " + (c + shift) % 4)));
    }
    return out;
  }

  private static final String SAME_CASE =
      "medvqa.models.hybrid.case { categories = [organ], threshold-choices = [0.999, 0.5] }";

  @Test
  void theValidationShareTurnsTheSameCaseGateOnWhereTheCasesTwinKnowsTheOrgan() {
    List<Example> train = withOrgans(40, 1, "");
    List<Example> validation = withOrgans(40, 2, "'");
    List<Example> test = withOrgans(40, 3, "''");
    List<List<String>> truth = organTruth(test);
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(SAME_CASE), train);
    m.remember(train);
    assertEquals(80, m.memorySize(), "abnormality and organ, one per image each");
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<List<String>> byNetwork = organAnswers(m, net, test);
    assertTrue(!byNetwork.equals(truth), "before the choice, the untrained network answers");

    String said = m.choose(net, validation);
    // Every twin is the nearest image of its case in the diagnosis memory (cosine above 0.999: the
    // features share a large part), and its organ is the reference's: both thresholds answer all
    // 40, and of the two the higher is kept.
    assertTrue(
        said.startsWith("hybrid: same-case thresholds chosen on the validation share:"), said);
    assertTrue(said.contains("organ 0.999 (right of 40: off "), said);
    assertTrue(said.endsWith(", 0.999: 40, 0.5: 40)"), said);
    assertEquals(truth, organAnswers(m, net, test), "the twin's organ");
    assertEquals(
        0.999, m.toJson().get("case_chosen_thresholds").get("organ").asDouble(), "saved with it");
    VqaModel saved = ModelKinds.fromJson(m.toJson().toString());
    assertEquals(truth, organAnswers(saved, net, test), "saved and read back");

    // A threshold above every similarity: the network's answers again.
    com.fasterxml.jackson.databind.node.ObjectNode strict = m.toJson();
    ((com.fasterxml.jackson.databind.node.ObjectNode) strict.get("case_chosen_thresholds"))
        .put("organ", 1.0);
    assertEquals(byNetwork, organAnswers(ModelKinds.fromJson(strict.toString()), net, test));
    // Abnormality questions are the neighbours' as before.
    List<List<String>> all = m.predict(net, test);
    for (int i = 0; i < test.size(); i++) {
      if (test.get(i).sampleId().endsWith("-a")) {
        assertEquals(test.get(i).answers(), all.get(i), test.get(i).sampleId());
      }
    }
  }

  @Test
  void theGateStaysOffWhereTheTwinsOrganIsNotTheReference() {
    List<Example> train = withOrgans(40, 1, "");
    List<Example> validation = shiftedOrgans(40, 2, "'", 1);
    List<Example> test = withOrgans(40, 3, "''");
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(SAME_CASE), train);
    m.remember(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<List<String>> byNetwork = organAnswers(m, net, test);
    String said = m.choose(net, validation);
    // Every twin's organ is wrong for the shifted validation references: the gate loses there.
    assertTrue(said.contains("organ off (right of 40: off "), said);
    assertTrue(said.endsWith(", 0.5: 0)"), said);
    assertTrue(m.toJson().get("case_chosen_thresholds").isEmpty(), m.toJson().toString());
    assertEquals(byNetwork, organAnswers(m, net, test), "the network's answers");

    HybridVqa without = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    without.remember(train);
    assertEquals(40, without.memorySize(), "no organ entries without the setting");
    assertEquals("", without.choose(net, validation), "nothing to choose");
  }

  @Test
  void aStandardisedNetworkInputIsTheFeatureLessTheTrainingMeanOverItsSpread() {
    List<Example> train = withOrgans(12, 1, "");
    int width = train.get(0).image().length;
    float[] mean = new float[width];
    float[] std = new float[width];
    for (int j = 0; j < width; j++) {
      mean[j] = 2;
      std[j] = 0.5f;
    }
    org.medvqa.models.FeatureScaler scaler = new org.medvqa.models.FeatureScaler(mean, std);
    List<Example> one = train.subList(0, 1);
    float[] f = one.get(0).image();

    HybridVqa raw = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    assertTrue(!raw.scalesFeatures(), "raw: the trainer need not compute the statistics");
    raw.withScaler(scaler);
    assertEquals(f[3], raw.batch(one).getFeatures(0).getFloat(0, 3), 1e-6, "raw: as it is");
    assertTrue(!raw.toJson().has("network_scaler"));

    HybridVqa m =
        (HybridVqa)
            ModelKinds.fit(
                HybridVqa.KIND, config("medvqa.models.hybrid.network-input = standardised"), train);
    assertTrue(m.scalesFeatures());
    m.withScaler(scaler);
    assertEquals((f[3] - 2) / 0.5f, m.batch(one).getFeatures(0).getFloat(0, 3), 1e-5);
    m.remember(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = withOrgans(12, 2, "'");
    VqaModel saved = ModelKinds.fromJson(m.toJson().toString());
    assertEquals(
        m.batch(one).getFeatures(0), saved.batch(one).getFeatures(0), "the scaler is saved");
    assertEquals(m.predict(net, test), saved.predict(net, test));
    assertRefused("medvqa.models.hybrid.network-input = whitened", "network-input");
  }

  @Test
  void aModelSavedWithEveryFeatureInItsEntriesStillReads() throws Exception {
    List<Example> train = withOrgans(12, 1, "");
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    m.remember(train);
    com.fasterxml.jackson.databind.node.ObjectNode json = m.toJson();
    // The layout before the shared feature list and the blend: each entry holds its feature.
    com.fasterxml.jackson.databind.JsonNode features = json.remove("features");
    for (String list : List.of("memory", "attribute_memory")) {
      for (com.fasterxml.jackson.databind.JsonNode x : json.get(list)) {
        com.fasterxml.jackson.databind.node.ObjectNode entry =
            (com.fasterxml.jackson.databind.node.ObjectNode) x;
        entry.set("feature", features.get(entry.remove("feature_ref").asInt()));
      }
    }
    List.of(
            "blend_categories",
            "blend_k",
            "blend_weight",
            "blend_parts",
            "blend_weight_choices",
            "blend_chosen_weights")
        .forEach(json::remove);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = withOrgans(12, 2, "'");
    assertEquals(m.predict(net, test), ModelKinds.fromJson(json.toString()).predict(net, test));
  }

  @Test
  void refusesBadSettingsNamingThem() {
    assertRefused("medvqa.models.hybrid.blend.weight = 1.5", "blend.weight");
    assertRefused("medvqa.models.hybrid.blend.weight = -0.1", "blend.weight");
    assertRefused("medvqa.models.hybrid.blend.k = 0", "blend.k");
    assertRefused("medvqa.models.hybrid.blend.weight-choices = [0.5, 2]", "blend.weight-choices");
    assertRefused("medvqa.models.hybrid.knn.similarity = euclid", "knn.similarity");
    assertRefused(
        "medvqa.models.hybrid.blend.parts = [res4-mean]", "blend.parts"); // not in the layout
    assertRefused(
        "medvqa.models.hybrid { knn.categories = [], case.categories = [organ] }",
        "case.categories");
    assertRefused("medvqa.models.hybrid.case.categories = [abnormality]", "case.categories");
    assertRefused("medvqa.models.hybrid.case.threshold-choices = [0.4, 1.5]", "threshold-choices");
  }

  /** Fitting with {@code hocon} fails with a message that names {@code setting}. */
  private static void assertRefused(String hocon, String setting) {
    Config c = config(hocon);
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> ModelKinds.fit(HybridVqa.KIND, c, cases(4, 1, "")),
            hocon);
    assertTrue(e.getMessage().contains(setting), e.getMessage());
  }

  /**
   * Images of two families around their own centres (non-negative, a large shared part), the
   * training question "what modality is shown?" answered with the family and contrast: CT with
   * contrast, MR without.
   */
  static List<Example> families(int n, long seed, String suffix, String question) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      boolean ct = c % 2 == 0;
      float[] f = new float[DIM];
      for (int j = 0; j < DIM; j++) {
        float own = (j < DIM / 2) == ct ? 1.5f : 0f;
        f[j] = Math.max(0, 2 + own + 0.3f * (float) r.nextGaussian());
      }
      String answer;
      if (question == null) {
        answer = ct ? "ct w/contrast (iv)" : "mr - t1w - noncontrast";
      } else if (question.contains("ct scan")) {
        answer = ct ? "yes" : "no";
      } else {
        answer = ct ? "no" : "yes";
      }
      String img = "img" + c + suffix;
      out.add(
          new Example(
              img + "-m",
              img,
              "modality",
              f,
              question == null ? "what modality is shown?" : question,
              List.of(answer)));
    }
    return out;
  }

  @Test
  void familyQuestionsGetTheVoteOfTheImagesThatLookAlike() {
    List<Example> train = families(30, 1, "", null);
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    m.remember(train);
    assertEquals(30, m.attributeMemorySize());
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    Config off = config("medvqa.models.hybrid.attributes.categories = []");
    HybridVqa plain = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, off, train);
    plain.remember(train);
    assertEquals(0, plain.attributeMemorySize());
    VqaModel saved = ModelKinds.fromJson(m.toJson().toString());
    for (String q : List.of("is this a ct scan?", "is this an mri image?")) {
      List<Example> test = families(30, 2, "'", q);
      assertEquals(answers(test), m.predict(net, test), q);
      assertEquals(answers(test), saved.predict(net, test), q + " (saved and read back)");
      List<List<String>> byNetwork = plain.predict(net, test);
      assertTrue(
          !byNetwork.equals(answers(test)), q + ": the untrained network alone is not right");
    }
  }

  @Test
  void aContrastQuestionAboutOneFamilyAsksOnlyItsImages() {
    List<Example> train = families(30, 1, "", null);
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train);
    m.remember(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    // CT-looking images asked about an MRI: only MR images (here all without contrast) vote.
    List<Example> ctImages = families(30, 2, "'", "was the mri taken with contrast?");
    for (List<String> a : m.predict(net, ctImages)) {
      assertEquals(List.of("no"), a);
    }
    List<Example> asCt = families(30, 2, "'", "was the ct scan taken with contrast?");
    for (List<String> a : m.predict(net, asCt)) {
      assertEquals(List.of("yes"), a);
    }
  }

  /**
   * MR images of two weightings around their own centres, as in {@link #families}: T1 answered "mr
   * - t1w - noncontrast" to "what modality is shown?" (or "t1" to a choice question), T2 "mr - t2
   * weighted" (or "t2").
   */
  static List<Example> weightings(int n, long seed, String suffix, String choiceQuestion) {
    // families' two clusters, relabelled: its CT images are T1 here, its MR images T2.
    List<Example> out = new ArrayList<>();
    for (Example e : families(n, seed, suffix, null)) {
      boolean t1 = e.answer().startsWith("ct");
      String answer =
          choiceQuestion != null
              ? (t1 ? "t1" : "t2")
              : (t1 ? "mr - t1w - noncontrast" : "mr - t2 weighted");
      out.add(
          new Example(
              e.sampleId(),
              e.imageId(),
              e.category(),
              e.image(),
              choiceQuestion == null ? e.question() : choiceQuestion,
              List.of(answer)));
    }
    return out;
  }

  @Test
  void aChoiceBetweenValuesOfOneAttributeGetsTheOptionTheVotePrefers() throws Exception {
    String q = "is this a t1 weighted, t2 weighted, or flair image?";
    List<Example> train = new ArrayList<>(weightings(30, 1, "", null));
    train.addAll(weightings(4, 3, "c", q)); // so that t1 and t2 are answers the model knows
    HybridVqa m =
        (HybridVqa)
            ModelKinds.fit(
                HybridVqa.KIND, config("medvqa.models.hybrid.attributes.choice = true"), train);
    m.remember(train);
    HybridVqa off = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, config(), train); // the default
    off.remember(train);
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    List<Example> test = weightings(30, 2, "'", q);
    assertEquals(answers(test), m.predict(net, test));
    String json = m.toJson().toString();
    assertEquals(answers(test), ModelKinds.fromJson(json).predict(net, test), "read back");
    List<List<String>> byNetwork = off.predict(net, test);
    assertTrue(!byNetwork.equals(answers(test)), "the untrained network alone is not right");
    for (List<String> a : byNetwork) {
      assertTrue(Set.of("t1", "t2", "flair").contains(a.get(0)), "still one of the options: " + a);
    }
    // A model saved before the setting answers choice questions with the network.
    com.fasterxml.jackson.databind.node.ObjectNode old =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    old.remove("attribute_choice");
    assertEquals(byNetwork, ModelKinds.fromJson(old.toString()).predict(net, test));
  }

  /**
   * Two or three images per case whose first half of the feature is large per-image noise (the
   * patient, the window) and whose second half carries the case, by a small margin.
   */
  private static List<Example> noisyCases(int n, List<String> images) {
    Random centres = new Random(7);
    Random r = new Random(11);
    List<Example> out = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      float[] centre = new float[DIM];
      for (int j = DIM / 2; j < DIM; j++) {
        centre[j] = 2 + 0.3f * (float) centres.nextGaussian();
      }
      for (String suffix : images) {
        float[] f = new float[DIM];
        for (int j = 0; j < DIM; j++) {
          f[j] =
              j < DIM / 2
                  ? 2 + 1.5f * Math.abs((float) r.nextGaussian())
                  : Math.max(0, centre[j] + 0.03f * (float) r.nextGaussian());
        }
        out.add(diagnosis("case" + c + suffix, c, f));
      }
    }
    return out;
  }

  /** The open abnormality question of image {@code img} of case {@code c}: its diagnosis. */
  private static Example diagnosis(String img, int c, float[] f) {
    return new Example(
        img + "-a", img, "abnormality", f, "what is abnormal?", List.of("diagnosis " + c));
  }

  @Test
  void withinWhiteningFindsTheCaseThroughNoiseThatMisleadsTheCosine() {
    List<Example> train = noisyCases(20, List.of("", "b", "c"));
    List<Example> test = noisyCases(20, List.of("'"));
    java.util.Map<String, Integer> right = new java.util.HashMap<>();
    ComputationGraph net = null;
    for (String similarity : List.of("cosine", "within")) {
      Config c = config("medvqa.models.hybrid.knn.similarity = " + similarity);
      HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, c, train);
      m.remember(train);
      net = net == null ? m.newGraph(1, new Adam(1e-3)) : net;
      List<List<String>> out = m.predict(net, test);
      assertEquals(
          out,
          ModelKinds.fromJson(m.toJson().toString()).predict(net, test),
          similarity + ": read back");
      int n = 0;
      for (int i = 0; i < test.size(); i++) {
        n += out.get(i).get(0).equals(test.get(i).answer()) ? 1 : 0;
      }
      right.put(similarity, n);
    }
    // Seeded: 19 of 20 against 1 when written; the margin is for rounding, not for chance.
    assertTrue(right.get("within") >= 18, right.toString());
    assertTrue(right.get("cosine") <= 5, right.toString());
  }

  private static List<List<String>> answers(List<Example> examples) {
    List<List<String>> out = new ArrayList<>();
    examples.forEach(e -> out.add(List.of(e.answer())));
    return out;
  }

  /**
   * Features laid out as [res5-mean, res4-mean] (2048 + 1024 values): noise in the first part, the
   * case in the second.
   */
  private static List<Example> twoParts(int n, long seed, String suffix) {
    Random centres = new Random(3);
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      float[] f = new float[3072];
      for (int j = 0; j < 2048; j++) {
        f[j] = 5 * r.nextFloat();
      }
      for (int j = 2048; j < 3072; j++) {
        f[j] = 1 + centres.nextFloat() + 0.05f * (float) r.nextGaussian();
      }
      out.add(diagnosis("case" + c + suffix, c, f));
    }
    return out;
  }

  @Test
  void theNeighboursCompareThePartOfTheFeatureTheyAreSetTo() {
    List<Example> train = twoParts(20, 1, "");
    List<Example> test = twoParts(20, 2, "'");
    java.util.Map<String, Integer> right = new java.util.HashMap<>();
    for (String part : List.of("all", "res4-mean")) {
      Config c =
          config(
              "medvqa.features.pooling = [res5-mean, res4-mean], medvqa.models.hybrid.knn.part = "
                  + part);
      right.put(part, rightAfterReading(c, train, test));
    }
    assertEquals(20, right.get("res4-mean"), right.toString());
    assertTrue(right.get("all") < 20, right.toString());
  }

  /**
   * How many of {@code test}'s questions a model fitted with {@code c} on {@code train}, saved and
   * read back (as predict runs), answers right; its untrained network plays no part in the answers
   * the tests count.
   */
  private static int rightAfterReading(Config c, List<Example> train, List<Example> test) {
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, c, train);
    m.remember(train);
    List<List<String>> out =
        ModelKinds.fromJson(m.toJson().toString()).predict(m.newGraph(1, new Adam(1e-3)), test);
    int n = 0;
    for (int i = 0; i < test.size(); i++) {
      n += out.get(i).get(0).equals(test.get(i).answer()) ? 1 : 0;
    }
    return n;
  }

  /**
   * Organ questions on [res5-mean, res4-mean] features (2048 + 1024 values), one organ per case,
   * each part the case's centre plus noise of its own, so that either part alone often finds
   * another case's image and the two together less often (the noise of the narrower part is
   * smaller, so that the two alone are about as good).
   */
  private static List<Example> noisyOrgans(int n, long seed, String suffix) {
    Random centres = new Random(5);
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      float[] f = new float[3072];
      for (int j = 0; j < f.length; j++) {
        f[j] =
            3 + (float) centres.nextGaussian() + (j < 2048 ? 4f : 3.4f) * (float) r.nextGaussian();
      }
      String img = "case" + c + suffix;
      out.add(
          new Example(
              img + "-o", img, "organ", f, "what organ system is shown?", List.of("organ " + c)));
    }
    return out;
  }

  @Test
  void theBlendsNeighboursAverageTheSimilarityOfTheirParts() {
    List<Example> train = noisyOrgans(30, 1, "");
    List<Example> test = noisyOrgans(30, 2, "'");
    java.util.Map<String, Integer> right = new java.util.HashMap<>();
    for (String parts : List.of("[res5-mean]", "[res4-mean]", "[res5-mean, res4-mean]")) {
      Config c =
          config(
              "medvqa.features.pooling = [res5-mean, res4-mean], medvqa.models.hybrid {"
                  + " knn { part = res4-mean, similarity = centred },"
                  + " blend { categories = [organ], k = 1, weight = 1, parts = "
                  + parts
                  + " } }");
      right.put(parts, rightAfterReading(c, train, test));
    }
    // Seeded: 23 and 20 of 30 alone, 29 together when written.
    assertTrue(right.get("[res5-mean, res4-mean]") >= 28, right.toString());
    assertTrue(right.get("[res5-mean]") <= 25 && right.get("[res4-mean]") <= 25, right.toString());
  }

  @Test
  void theNetworkReadsItsPartOfTheFeature() {
    List<Example> train = twoParts(6, 1, "");
    Config c =
        config(
            "medvqa.features.pooling = [res5-mean, res4-mean],"
                + " medvqa.models.hybrid { network-part = res5-mean, knn.part = res4-mean }");
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, c, train);
    assertEquals(2048, m.batch(train).getFeatures(0).size(1));
    ComputationGraph net = m.newGraph(1, new Adam(1e-3));
    VqaModel back = ModelKinds.fromJson(m.toJson().toString());
    assertEquals(2048, back.batch(train).getFeatures(0).size(1), "read back from its JSON");
    assertEquals(6, back.predict(net, train).size());
  }

  @Test
  void aPartOutsideTheLayoutOrAFeatureOfAnotherWidthIsRefused() {
    Config c = config("medvqa.models.hybrid.knn.part = res4-max");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> ModelKinds.fit(HybridVqa.KIND, c, cases(4, 1, "")));
    assertTrue(e.getMessage().contains("knn.part"), e.getMessage());
    Config twoParts =
        config(
            "medvqa.features.pooling = [res5-mean, res4-mean], medvqa.models.hybrid.knn.part = res4-mean");
    // 32 values cannot be [res5-mean, res4-mean] of any ResNet50 width.
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> ModelKinds.fit(HybridVqa.KIND, twoParts, cases(4, 1, "")));
    assertTrue(
        e.getMessage().contains("32 wide") && e.getMessage().contains("medvqa.features.pooling"),
        e.getMessage());
    // Fitted on 3,072-wide features, a feature of another width is refused by name.
    HybridVqa m = (HybridVqa) ModelKinds.fit(HybridVqa.KIND, twoParts, twoParts(4, 1, ""));
    List<Example> narrow = cases(4, 1, "");
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> m.remember(narrow));
    assertTrue(
        e.getMessage().contains("case0-a") && e.getMessage().contains("3072"), e.getMessage());
  }

  @Test
  void thePartsOfANarrowerNetworksFeatureScaleWithIt() {
    // A ResNet50 with every width divided by 16 (the tests' tiny network): res5 128, res4 64.
    assertEquals(
        new FeaturePart("knn.part", 128, 192, 192),
        FeaturePart.of("knn.part", "res4-mean", List.of("res5-mean", "res4-mean"), 192));
    assertEquals(
        new FeaturePart("knn.part", 2048, 3072, 3072),
        FeaturePart.of("knn.part", "res4-mean", List.of("res5-mean", "res4-mean"), 3072));
    // A quadrant grid is four of its stage's widths, in both networks.
    List<String> grid = List.of("res5-mean", "res4-grid", "res4-mean");
    assertEquals(
        new FeaturePart("blend.parts", 2048, 6144, 7168),
        FeaturePart.of("blend.parts", "res4-grid", grid, 7168));
    assertEquals(
        new FeaturePart("blend.parts", 384, 448, 448),
        FeaturePart.of("blend.parts", "res4-mean", grid, 448));
  }
}
