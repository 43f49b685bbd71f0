package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.core.QuestionForm;
import org.medvqa.models.Batches;
import org.medvqa.models.Example;
import org.medvqa.models.FeatureScaler;
import org.medvqa.models.MemoryModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Ours, past the question-aware classifier: the same network ({@link QuestionAwareClassifier}),
 * answered in two ways that the error analysis of the 2019 held-out split asked for.
 *
 * <ul>
 *   <li><b>Question form</b>: a yes/no question is answered yes or no, a choice question ("t1, t2,
 *       or flair?") by one of the options it names ({@link QuestionForm}), within the answers seen
 *       with its category.
 *   <li><b>Nearest neighbours</b> for the categories named in {@code knn.categories} (2019:
 *       abnormality, whose answers are mostly diagnoses seen once or twice, which a softmax over
 *       1,300 classes does not learn from one example): the answers of the {@code knn.k} training
 *       images most similar to the question's image (cosine of the pooled ResNet50 features, by
 *       {@code knn.similarity} taken as they are or centred on the memory's mean, or also scaled to
 *       unit variance per dimension), each vote weighted by its similarity. Images of one MedPix
 *       case share their diagnosis, so the nearest training image is often of the same case. Open
 *       questions only: a yes/no abnormality question is the classifier's.
 * </ul>
 *
 * <p>The neighbours' features (one per training image and answer of those categories, at unit norm,
 * stored as one byte per value) are the model's memory: {@link #remember} takes them after the
 * vocabularies are fitted, {@link #toJson} saves them with the model. They are not sent to the
 * executors (the graph trains without them).
 */
public final class HybridVqa implements MemoryModel {
  public static final String KIND = "hybrid";

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.FEATURES, false, HybridVqa::fit, HybridVqa::fromJson);
    }
  }

  private static final long serialVersionUID = 1L;

  private final QuestionAwareClassifier classifier;
  private final boolean restrictByForm;
  private final List<String> knnCategories;
  private final int k;
  private final String similarity;

  /** {@code knn.similarity} choices: what the cosine is taken of. */
  public static final List<String> SIMILARITIES = List.of("cosine", "centred", "standardised");

  /** The memory as compared, and what a query goes through first; made on first use. */
  private transient Keys keys;

  /** Memory: unit-norm features, their category and answer; driver side only. */
  private transient List<float[]> memory = new ArrayList<>();

  private transient List<String> memoryCategory = new ArrayList<>();
  private transient List<String> memoryAnswer = new ArrayList<>();

  private HybridVqa(
      QuestionAwareClassifier classifier,
      boolean restrictByForm,
      List<String> knnCategories,
      int k,
      String similarity) {
    if (k < 1) {
      throw new IllegalArgumentException("knn.k must be at least 1, got " + k);
    }
    if (!SIMILARITIES.contains(similarity)) {
      throw new IllegalArgumentException(
          "knn.similarity must be one of " + SIMILARITIES + ", got '" + similarity + "'");
    }
    this.similarity = similarity;
    this.classifier = classifier;
    this.restrictByForm = restrictByForm;
    this.knnCategories = List.copyOf(knnCategories);
    this.k = k;
  }

  /** Settings from {@code c} (the {@code medvqa.models.hybrid} block), vocabularies from data. */
  public static HybridVqa fit(Config c, List<Example> training) {
    return new HybridVqa(
        QuestionAwareClassifier.fit(c, training).withMembers(c.getInt("members")),
        c.getBoolean("restrict-by-form"),
        c.getStringList("knn.categories"),
        c.getInt("knn.k"),
        c.getString("knn.similarity"));
  }

  public static HybridVqa fromJson(ObjectNode o) {
    List<String> cats = new ArrayList<>();
    o.get("knn_categories").forEach(x -> cats.add(x.asText()));
    HybridVqa m =
        new HybridVqa(
            QuestionAwareClassifier.fromJson((ObjectNode) o.get("classifier")),
            o.get("restrict-by-form").asBoolean(),
            cats,
            o.get("knn_k").asInt(),
            // Models saved before the setting compared the features as they are.
            o.has("knn_similarity") ? o.get("knn_similarity").asText() : "cosine");
    JsonNode mem = o.get("memory");
    if (mem != null) {
      for (JsonNode x : mem) {
        m.memoryCategory.add(x.get("category").asText());
        m.memoryAnswer.add(x.get("answer").asText());
        m.memory.add(dequantize(Base64.getDecoder().decode(x.get("feature").asText())));
      }
    }
    return m;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public List<String> memoryCategories() {
    return knnCategories;
  }

  /**
   * Keeps the features of {@code training}'s open questions of the nearest-neighbour categories,
   * one per distinct (image, answer); the others are ignored.
   */
  @Override
  public void remember(List<Example> training) {
    Set<String> seen = new LinkedHashSet<>();
    for (Example e : training) {
      // Only open questions are answered from memory, so only their answers are kept: a "yes"
      // of "is this normal?" is no diagnosis for "what is abnormal?".
      if (e.image() == null
          || !knnCategories.contains(e.category())
          || QuestionForm.of(e.question()) != QuestionForm.OPEN
          || !seen.add(e.imageId() + "\n" + Batches.key(e.answer()))) {
        continue;
      }
      memory.add(unit(e.image()));
      memoryCategory.add(e.category());
      memoryAnswer.add(e.answer());
    }
    keys = null;
  }

  /** Examples in memory. */
  public int memorySize() {
    return memory.size();
  }

  @Override
  public ComputationGraph newGraph(long seed, IUpdater updater) {
    return classifier.newGraph(seed, updater);
  }

  @Override
  public boolean trainable(Example e) {
    return classifier.trainable(e);
  }

  @Override
  public MultiDataSet batch(List<Example> examples) {
    return classifier.batch(examples);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    INDArray p = classifier.probabilities(net, examples);
    List<String> answers = classifier.answers();
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      Example e = examples.get(i);
      QuestionForm form = restrictByForm ? QuestionForm.of(e.question()) : QuestionForm.OPEN;
      if (form == QuestionForm.OPEN && knnCategories.contains(e.category())) {
        String nearest = neighbours(e);
        if (nearest != null) {
          out.add(List.of(nearest));
          continue;
        }
      }
      BitSet ok = classifier.allowed(e.category(), answers.size());
      BitSet byForm = new BitSet();
      if (form != QuestionForm.OPEN) {
        form.allowed(e.question(), answers).forEach(byForm::set);
        byForm.and(ok);
      }
      BitSet candidates = byForm.isEmpty() ? ok : byForm;
      out.add(List.of(answers.get(QuestionAwareClassifier.argmax(p, i, candidates))));
    }
    return out;
  }

  /** The answer the {@code k} most similar remembered images vote for, or null if none. */
  private String neighbours(Example e) {
    if (e.image() == null || memory.isEmpty()) {
      return null;
    }
    Keys ks = keys();
    float[] q = ks.of(e.image());
    int n = memory.size();
    double[] sims = new double[n];
    List<Integer> same = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      if (!memoryCategory.get(j).equals(e.category())) {
        continue;
      }
      float[] m = ks.memory.get(j);
      double d = 0;
      for (int t = 0; t < q.length; t++) {
        d += q[t] * m[t];
      }
      sims[j] = d;
      same.add(j);
    }
    if (same.isEmpty()) {
      return null;
    }
    same.sort((a, b) -> Double.compare(sims[b], sims[a]));
    Map<String, Double> votes = new HashMap<>();
    Map<String, String> text = new HashMap<>();
    for (int r = 0; r < Math.min(k, same.size()); r++) {
      int j = same.get(r);
      String key = Batches.key(memoryAnswer.get(j));
      votes.merge(key, sims[j], Double::sum);
      text.putIfAbsent(key, memoryAnswer.get(j));
    }
    String best = null;
    for (Map.Entry<String, Double> v : votes.entrySet()) {
      // Ties go to the nearer neighbour's answer, which was put first.
      if (best == null || v.getValue() > votes.get(best)) {
        best = v.getKey();
      }
    }
    return text.get(best);
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("kind", KIND);
    o.set("classifier", classifier.toJson());
    o.put("restrict-by-form", restrictByForm);
    ArrayNode cats = o.putArray("knn_categories");
    knnCategories.forEach(cats::add);
    o.put("knn_k", k);
    o.put("knn_similarity", similarity);
    ArrayNode mem = o.putArray("memory");
    for (int j = 0; j < memory.size(); j++) {
      ObjectNode x = mem.addObject();
      x.put("category", memoryCategory.get(j));
      x.put("answer", memoryAnswer.get(j));
      x.put("feature", Base64.getEncoder().encodeToString(quantize(memory.get(j))));
    }
    return o;
  }

  private synchronized Keys keys() {
    if (keys == null) {
      keys = Keys.of(similarity, memory);
    }
    return keys;
  }

  /**
   * Pooled ReLU features share a large positive component, so the plain cosine between any two
   * images is high and a case's own signal is a small part of it. Centring on the memory's mean
   * removes the shared part; standardising also stops a few high-variance dimensions from deciding
   * every comparison. {@code scaler} is null for the plain cosine, whose keys are the memory
   * itself.
   */
  private record Keys(FeatureScaler scaler, List<float[]> memory) {
    static Keys of(String similarity, List<float[]> unitMemory) {
      if (similarity.equals("cosine") || unitMemory.isEmpty()) {
        return new Keys(null, unitMemory);
      }
      FeatureScaler s = FeatureScaler.fitRows(unitMemory, unitMemory.get(0).length);
      Keys keys = new Keys(similarity.equals("centred") ? s.centringOnly() : s, new ArrayList<>());
      for (float[] m : unitMemory) {
        keys.memory.add(keys.of(m));
      }
      return keys;
    }

    /**
     * A feature vector as compared: at unit norm, then shifted and scaled and at unit norm again.
     */
    float[] of(float[] feature) {
      return scaler == null ? unit(feature) : unit(scaler.apply(unit(feature)));
    }
  }

  private static float[] unit(float[] v) {
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    n = Math.sqrt(n);
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = n == 0 ? 0 : (float) (v[i] / n);
    }
    return out;
  }

  /**
   * A unit vector as one signed byte per value, scaled by its largest magnitude (first 4 bytes): a
   * quarter of the float size, and the cosine between two such vectors is off by about 1e-3.
   */
  private static byte[] quantize(float[] v) {
    float max = 0;
    for (float x : v) {
      max = Math.max(max, Math.abs(x));
    }
    ByteBuffer b = ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(max);
    for (float x : v) {
      b.put(max == 0 ? 0 : (byte) Math.round(x / max * 127));
    }
    return b.array();
  }

  private static float[] dequantize(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float max = b.getFloat();
    float[] out = new float[bytes.length - 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.get() * max / 127;
    }
    return unit(out);
  }

  private void readObject(java.io.ObjectInputStream in)
      throws java.io.IOException, ClassNotFoundException {
    in.defaultReadObject();
    memory = new ArrayList<>();
    memoryCategory = new ArrayList<>();
    memoryAnswer = new ArrayList<>();
  }
}
