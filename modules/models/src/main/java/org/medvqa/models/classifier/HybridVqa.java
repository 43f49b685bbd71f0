package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.lang.ref.WeakReference;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.core.QuestionForm;
import org.medvqa.models.Batches;
import org.medvqa.models.Example;
import org.medvqa.models.FeatureScaler;
import org.medvqa.models.MemoryModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
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
 *       unit variance per dimension, or whitened by the spread of the category's images around
 *       their own answer: {@link WithinWhitening}), each vote weighted by its similarity. Images of
 *       one MedPix case share their diagnosis, so the nearest training image is often of the same
 *       case. Open questions only: a yes/no abnormality question is the classifier's.
 *   <li><b>Imaging attributes</b> for the yes/no questions of {@code attributes.categories} that
 *       ask about the modality family or contrast ({@link ImagingAttributes}: "is this a ct scan?",
 *       "was the mri taken with contrast?"): the {@code attributes.k} most similar training images
 *       whose own question told that attribute vote, and the answer is yes when their vote is the
 *       value asked about. With {@code attributes.choice} (off by default), a choice question whose
 *       options are values of one attribute ("contrast or noncontrast ct?", "t1, t2, or flair?",
 *       the MR weighting) gets the option the same vote prefers.
 * </ul>
 *
 * <p>The neighbours' features (one per training image and answer of those categories, at unit norm,
 * stored as one byte per value) are the model's memory: {@link #remember} takes them after the
 * vocabularies are fitted, {@link #toJson} saves them with the model. They are not sent to the
 * executors (the graph trains without them).
 */
public final class HybridVqa implements MemoryModel, org.medvqa.models.ScaledFeatures {
  public static final String KIND = "hybrid";

  /** {@code knn.shrinkage} of models saved before the setting (none of which used it). */
  private static final double DEFAULT_SHRINKAGE = 0.1;

  /** The kind in the registry ({@link org.medvqa.models.ModelKinds}). */
  public static final class Kind extends org.medvqa.models.GraphKind {
    public Kind() {
      super(KIND, Input.FEATURES, false, HybridVqa::fit, HybridVqa::fromJson);
    }

    /**
     * The kind's block, with the features' layout ({@code medvqa.features.pooling}) beside it as
     * {@code feature-layout}: the parts are found in it. Read here from the full configuration, as
     * a substitution in reference.conf would not see a user's setting.
     */
    @Override
    public org.medvqa.models.VqaModel fit(Config config, List<Example> training) {
      Config block = config.getConfig("medvqa.models." + KIND);
      List<String> layout =
          config.hasPath(POOLING) ? config.getStringList(POOLING) : List.of("res5-mean");
      return HybridVqa.fit(
          block.withValue(
              "feature-layout", com.typesafe.config.ConfigValueFactory.fromIterable(layout)),
          training);
    }
  }

  /** The features' layout setting. */
  private static final String POOLING = "medvqa.features.pooling";

  private static final long serialVersionUID = 1L;

  private final QuestionAwareClassifier classifier;
  private final boolean restrictByForm;
  private final List<String> knnCategories;
  private final int k;
  private final String similarity;
  private final List<String> attributeCategories;
  private final int attributeK;
  private final boolean attributeChoice;

  /** Replaced once, when the validation share chooses its weights ({@link #choose}). */
  private Blend blend;

  /** Replaced once, when the validation share chooses its thresholds ({@link #choose}). */
  private SameCase sameCase;

  /** The part of the image feature the neighbours compare. */
  private final FeaturePart part;

  /** The part of the image feature the network reads. */
  private final FeaturePart networkPart;

  /** {@code network-input}: whether the network reads its part standardised per dimension. */
  private final boolean standardised;

  /**
   * With {@link #standardised}, the training features' mean and spread per dimension (of the whole
   * feature; {@link #withScaler}), applied before the network's part is cut; else null.
   */
  private FeatureScaler networkScaler;

  /**
   * The parts the blend's neighbours compare, each whitened (or scaled) on its own, their cosines
   * averaged; empty: the neighbours' part ({@link #part}).
   */
  private final List<FeaturePart> blendParts;

  /** {@code knn.similarity} choices: what the cosine is taken of. */
  public static final List<String> SIMILARITIES =
      List.of("cosine", "centred", "standardised", "within");

  /** {@code knn.shrinkage}: the ridge of the {@code within} similarity's covariance. */
  private final double shrinkage;

  /**
   * The memory as compared, and what a query goes through first, per compared part ({@link
   * #partKey}) and, under {@code within}, per category; each made on first use.
   */
  private transient Map<String, Keys> keys = new HashMap<>();

  /** Memory: unit-norm features, their category and answer; driver side only. */
  private transient List<float[]> memory = new ArrayList<>();

  private transient List<String> memoryCategory = new ArrayList<>();
  private transient List<String> memoryAnswer = new ArrayList<>();

  /**
   * Each query's nearest entries, by its sample, category, count and compared parts, for the very
   * feature array it was asked with (held weakly: the cache keeps no features alive, and a sample
   * asked with another array is searched again); emptied whenever the memory changes. Why: the
   * trainer validates after every epoch, twice (the score and the per-category probes), and {@link
   * #choose} once more, on the same validation examples against a memory that stays as it is during
   * training. The search, not the network, was most of the 20 s between two epochs of a 2019 run (3
   * s with this and the checkpoints without deflate). Bounded, as predictions of a large release
   * pass through it once each.
   */
  private transient Map<Near, Found> nearestFound = new ConcurrentHashMap<>();

  /** How many searches {@link #nearest} ran instead of reusing one (tests check the reuse). */
  private transient AtomicLong searches = new AtomicLong();

  private static final int NEAREST_KEPT = 1 << 15;

  /** A query of {@link #nearest}. */
  private record Near(String sampleId, String category, int n, List<String> parts) {}

  /** What a query found, and the feature it was asked with. */
  private record Found(WeakReference<float[]> image, List<double[]> nearest) {}

  /**
   * Per category, the memory entry of each remembered image by its feature array (identity: one
   * array per image, {@link #feature}); made on first use by {@link #twin}.
   */
  private transient Map<String, Map<float[], Integer>> caseEntries = new HashMap<>();

  /** The unit-norm feature of each remembered image, shared by its entries in both memories. */
  private transient Map<String, float[]> imageFeatures = new HashMap<>();

  /** Attribute memory: one entry per training image whose question stated an attribute. */
  private transient List<float[]> attributeMemory = new ArrayList<>();

  private transient List<Map<String, String>> attributeValues = new ArrayList<>();
  private transient Map<String, Integer> attributeImages = new java.util.LinkedHashMap<>();
  private transient Keys attributeKeys;

  private HybridVqa(
      QuestionAwareClassifier classifier,
      boolean restrictByForm,
      List<String> knnCategories,
      int k,
      String similarity,
      double shrinkage,
      List<String> attributeCategories,
      int attributeK,
      boolean attributeChoice,
      FeaturePart part,
      FeaturePart networkPart,
      Blend blend,
      List<FeaturePart> blendParts,
      boolean standardised,
      FeatureScaler networkScaler,
      SameCase sameCase) {
    if (k < 1 || attributeK < 1) {
      throw new IllegalArgumentException(
          "knn.k and attributes.k must be at least 1, got " + k + " and " + attributeK);
    }
    if (!SIMILARITIES.contains(similarity)) {
      throw new IllegalArgumentException(
          "knn.similarity must be one of " + SIMILARITIES + ", got '" + similarity + "'");
    }
    if (!(shrinkage > 0)) {
      throw new IllegalArgumentException("knn.shrinkage must be above 0, got " + shrinkage);
    }
    this.similarity = similarity;
    this.shrinkage = shrinkage;
    this.classifier = classifier;
    this.restrictByForm = restrictByForm;
    this.knnCategories = List.copyOf(knnCategories);
    this.k = k;
    this.attributeCategories = List.copyOf(attributeCategories);
    this.attributeK = attributeK;
    this.attributeChoice = attributeChoice;
    this.part = part;
    this.networkPart = networkPart;
    this.blend = blend;
    this.blendParts = List.copyOf(blendParts);
    this.standardised = standardised;
    this.networkScaler = networkScaler;
    if (!sameCase.categories().isEmpty() && knnCategories.isEmpty()) {
      throw new IllegalArgumentException(
          "case.categories needs a knn category, whose metric finds the case: knn.categories is"
              + " empty");
    }
    for (String c : sameCase.categories()) {
      if (knnCategories.contains(c)) {
        throw new IllegalArgumentException(
            "case.categories and knn.categories share " + c + ": its neighbours answer it already");
      }
    }
    this.sameCase = sameCase;
  }

  /**
   * Open questions of {@code categories} get the answer that maximises {@code (1 - weight) *} the
   * network's probability {@code + weight *} the share of the similarity-weighted vote of the
   * {@code k} most similar remembered training images of the category. Organ and plane are answered
   * right about as often by the network as by the neighbours, but not for the same questions.
   *
   * <p>With {@code choices} (weights to choose from), the trainer's validation share chooses one
   * weight per category ({@link #choose}): {@code chosen}, which overrides {@code weight} for its
   * categories.
   */
  record Blend(
      List<String> categories,
      int k,
      double weight,
      List<Double> choices,
      Map<String, Double> chosen)
      implements java.io.Serializable {
    Blend {
      if (k < 1 || !(weight >= 0 && weight <= 1)) {
        throw new IllegalArgumentException(
            "blend.k must be at least 1 and blend.weight within [0, 1], got "
                + k
                + " and "
                + weight);
      }
      if (!choices.stream().allMatch(Blend::isWeight)) {
        throw new IllegalArgumentException(
            "blend.weight-choices must be within [0, 1], got " + choices);
      }
      if (!chosen.values().stream().allMatch(Blend::isWeight)) {
        throw new IllegalArgumentException(
            "blend_chosen_weights must be within [0, 1], got " + chosen);
      }
      categories = List.copyOf(categories);
      choices = List.copyOf(choices);
      chosen = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(chosen));
    }

    static Blend of(Config c) {
      return new Blend(
          c.getStringList("blend.categories"),
          c.getInt("blend.k"),
          c.getDouble("blend.weight"),
          c.getDoubleList("blend.weight-choices"),
          Map.of());
    }

    /**
     * Models saved before the blend answered these categories with the network alone; those saved
     * before the choice use {@code blend_weight} for every category.
     */
    static Blend read(ObjectNode o) {
      if (!o.has("blend_categories")) {
        return new Blend(List.of(), 1, 0, List.of(), Map.of());
      }
      List<Double> choices = new ArrayList<>();
      if (o.has("blend_weight_choices")) {
        o.get("blend_weight_choices").forEach(x -> choices.add(x.asDouble()));
      }
      Map<String, Double> chosen = new java.util.LinkedHashMap<>();
      if (o.has("blend_chosen_weights")) {
        o.get("blend_chosen_weights")
            .fields()
            .forEachRemaining(f -> chosen.put(f.getKey(), f.getValue().asDouble()));
      }
      return new Blend(
          strings(o.get("blend_categories")),
          o.get("blend_k").asInt(),
          o.get("blend_weight").asDouble(),
          choices,
          chosen);
    }

    void write(ObjectNode o) {
      categories.forEach(o.putArray("blend_categories")::add);
      o.put("blend_k", k);
      o.put("blend_weight", weight);
      choices.forEach(o.putArray("blend_weight_choices")::add);
      ObjectNode out = o.putObject("blend_chosen_weights");
      chosen.forEach(out::put);
    }

    private static boolean isWeight(double w) {
      return w >= 0 && w <= 1;
    }

    /** The weight of {@code category}'s neighbours: the chosen one, or {@code weight}. */
    double weightOf(String category) {
      return chosen.getOrDefault(category, weight);
    }

    Blend withChosen(Map<String, Double> weights) {
      return new Blend(categories, k, weight, choices, weights);
    }
  }

  /** The part of feature {@code f} (of {@code what}) that the neighbours compare. */
  private float[] part(float[] f, String what) {
    return part.of(f, what);
  }

  /** Settings from {@code c} (the {@code medvqa.models.hybrid} block), vocabularies from data. */
  public static HybridVqa fit(Config c, List<Example> training) {
    List<String> layout =
        c.hasPath("feature-layout") ? c.getStringList("feature-layout") : List.of("res5-mean");
    int width = org.medvqa.models.Batches.featureSize(training);
    FeaturePart networkPart =
        FeaturePart.of("network-part", c.getString("network-part"), layout, width);
    return new HybridVqa(
        QuestionAwareClassifier.fit(c, networkPart.of(training)).withMembers(c.getInt("members")),
        c.getBoolean("restrict-by-form"),
        c.getStringList("knn.categories"),
        c.getInt("knn.k"),
        c.getString("knn.similarity"),
        c.getDouble("knn.shrinkage"),
        c.getStringList("attributes.categories"),
        c.getInt("attributes.k"),
        c.getBoolean("attributes.choice"),
        FeaturePart.of("knn.part", c.getString("knn.part"), layout, width),
        networkPart,
        Blend.of(c),
        c.getStringList("blend.parts").stream()
            .map(p -> FeaturePart.of("blend.parts", p, layout, width))
            .toList(),
        networkInput(c.getString("network-input")),
        null,
        SameCase.of(c));
  }

  /** {@code network-input} choices. */
  public static final List<String> NETWORK_INPUTS = List.of("raw", "standardised");

  private static boolean networkInput(String value) {
    if (!NETWORK_INPUTS.contains(value)) {
      throw new IllegalArgumentException(
          "network-input must be one of " + NETWORK_INPUTS + ", got '" + value + "'");
    }
    return value.equals("standardised");
  }

  @Override
  public boolean scalesFeatures() {
    return standardised;
  }

  /** Takes the training features' statistics when the network reads them standardised. */
  @Override
  public org.medvqa.models.VqaModel withScaler(FeatureScaler scaler) {
    if (standardised) {
      networkScaler = scaler;
    }
    return this;
  }

  /**
   * What the network reads of {@code examples}: its part, standardised when set. The scaler holds
   * the whole feature's statistics; it is cut like the feature, so that only the dimensions the
   * network reads are standardised (the same values: the scaling is per dimension).
   */
  private List<Example> networkInput(List<Example> examples) {
    List<Example> part = networkPart.of(examples);
    if (networkScaler == null) {
      return part;
    }
    FeatureScaler scaler =
        new FeatureScaler(
            networkPart.of(networkScaler.mean(), "the network's feature scaler"),
            networkPart.of(networkScaler.std(), "the network's feature scaler"));
    List<Example> out = new ArrayList<>(part.size());
    for (Example e : part) {
      out.add(e.withImage(e.image() == null ? null : scaler.apply(e.image())));
    }
    return out;
  }

  public static HybridVqa fromJson(ObjectNode o) {
    HybridVqa m =
        new HybridVqa(
            QuestionAwareClassifier.fromJson((ObjectNode) o.get("classifier")),
            o.get("restrict-by-form").asBoolean(),
            strings(o.get("knn_categories")),
            o.get("knn_k").asInt(),
            // Models saved before the setting compared the features as they are.
            o.has("knn_similarity") ? o.get("knn_similarity").asText() : "cosine",
            o.has("knn_shrinkage") ? o.get("knn_shrinkage").asDouble() : DEFAULT_SHRINKAGE,
            // Models saved before attributes answered every question with the network.
            strings(o.get("attribute_categories")),
            o.has("attribute_k") ? o.get("attribute_k").asInt() : 1,
            // Models saved before answered choice questions with the network.
            o.has("attribute_choice") && o.get("attribute_choice").asBoolean(),
            FeaturePart.read("knn.part", o.get("knn_part")),
            FeaturePart.read("network-part", o.get("network_part")),
            Blend.read(o),
            // Models saved before the setting blended with the neighbours' own part.
            blendParts(o.get("blend_parts")),
            // Models saved before the setting read the features as they are.
            o.has("network_scaler"),
            o.has("network_scaler") ? FeatureScaler.fromJson(o.get("network_scaler")) : null,
            SameCase.read(o));
    List<float[]> features = new ArrayList<>();
    if (o.has("features")) {
      o.get("features").forEach(f -> features.add(decode(f)));
    }
    JsonNode mem = o.get("memory");
    if (mem != null) {
      for (JsonNode x : mem) {
        m.memoryCategory.add(x.get("category").asText());
        m.memoryAnswer.add(x.get("answer").asText());
        m.memory.add(feature(x, features));
      }
    }
    JsonNode attributes = o.get("attribute_memory");
    if (attributes != null) {
      for (JsonNode x : attributes) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        x.get("values")
            .fields()
            .forEachRemaining(f -> values.put(f.getKey(), f.getValue().asText()));
        m.attributeImages.put(x.get("image").asText(), m.attributeMemory.size());
        m.attributeValues.add(values);
        m.attributeMemory.add(feature(x, features));
      }
    }
    return m;
  }

  /**
   * A memory entry's feature: an index into the saved {@code features}, or, in models saved before
   * images were stored once, the feature itself.
   */
  private static float[] feature(JsonNode entry, List<float[]> features) {
    return entry.has("feature")
        ? decode(entry.get("feature"))
        : features.get(entry.get("feature_ref").asInt());
  }

  private static List<FeaturePart> blendParts(JsonNode saved) {
    List<FeaturePart> out = new ArrayList<>();
    if (saved != null) {
      saved.forEach(x -> out.add(FeaturePart.read("blend.parts", x)));
    }
    return out;
  }

  private static float[] decode(JsonNode base64) {
    return dequantize(Base64.getDecoder().decode(base64.asText()));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(x -> out.add(x.asText()));
    }
    return out;
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public List<String> memoryCategories() {
    Set<String> all = new LinkedHashSet<>(knnCategories);
    all.addAll(blend.categories());
    all.addAll(sameCase.categories());
    all.addAll(attributeCategories);
    return List.copyOf(all);
  }

  /**
   * Keeps the features of {@code training}'s open questions of the nearest-neighbour categories,
   * one per distinct (image, answer), and of the images whose question of the attribute categories
   * states an attribute, one per image; the others are ignored.
   */
  @Override
  public void remember(List<Example> training) {
    Set<String> seen = new LinkedHashSet<>();
    for (Example e : training) {
      rememberAttributes(e);
      // Only open questions are answered from memory, so only their answers are kept: a "yes"
      // of "is this normal?" is no diagnosis for "what is abnormal?".
      if (e.image() == null
          || !knnCategories.contains(e.category())
              && !blend.categories().contains(e.category())
              && !sameCase.categories().contains(e.category())
          || QuestionForm.of(e.question()) != QuestionForm.OPEN
          || !seen.add(e.imageId() + "\n" + e.category() + "\n" + Batches.key(e.answer()))) {
        continue;
      }
      memory.add(feature(e));
      memoryCategory.add(e.category());
      memoryAnswer.add(e.answer());
    }
    keys.clear();
    nearestFound.clear();
    caseEntries.clear();
  }

  private void rememberAttributes(Example e) {
    if (e.image() == null || !attributeCategories.contains(e.category())) {
      return;
    }
    Map<String, String> stated = ImagingAttributes.stated(e.question(), e.answer());
    if (stated.isEmpty()) {
      return;
    }
    Integer at = attributeImages.get(e.imageId());
    if (at == null) {
      attributeImages.put(e.imageId(), attributeMemory.size());
      attributeMemory.add(feature(e));
      attributeValues.add(new java.util.LinkedHashMap<>(stated));
    } else {
      attributeValues.get(at).putAll(stated);
    }
    attributeKeys = null;
  }

  /**
   * {@code e}'s image feature at unit norm, one array per image however many memory entries refer
   * to it, so that {@link #toJson} saves it once.
   */
  private float[] feature(Example e) {
    part(e.image(), "example " + e.sampleId()); // refuses a feature of another layout now
    return imageFeatures.computeIfAbsent(e.imageId(), id -> unit(e.image()));
  }

  /** Training images in the attribute memory. */
  public int attributeMemorySize() {
    return attributeMemory.size();
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
    return classifier.trainable(e); // by its answer: the image feature plays no part
  }

  @Override
  public MultiDataSet batch(List<Example> examples) {
    return classifier.batch(networkInput(examples));
  }

  /** Validation accuracy per category ({@link Batches#accuracyByCategory}). */
  @Override
  public java.util.Map<String, Double> probes(ComputationGraph net, List<Example> validation) {
    return Batches.accuracyByCategory(predict(net, validation), validation);
  }

  @Override
  public List<List<String>> predict(ComputationGraph net, List<Example> examples) {
    INDArray p = classifier.probabilities(net, networkInput(examples));
    List<String> answers = classifier.answers();
    List<List<String>> out = new ArrayList<>(examples.size());
    for (int i = 0; i < examples.size(); i++) {
      if (i % PREFETCH_CHUNK == 0) {
        prefetch(examples.subList(i, Math.min(examples.size(), i + PREFETCH_CHUNK)), this::asks);
      }
      Example e = examples.get(i);
      QuestionForm form = form(e);
      String withoutNetwork = withoutNetwork(e, form);
      if (withoutNetwork != null) {
        out.add(List.of(withoutNetwork));
        continue;
      }
      Double threshold = form == QuestionForm.OPEN ? sameCase.thresholdOf(e.category()) : null;
      String byCase = threshold == null ? null : caseAnswer(e, threshold);
      if (byCase != null) {
        out.add(List.of(byCase));
        continue;
      }
      BitSet ok = classifier.allowed(e.category(), answers.size());
      BitSet byForm = new BitSet();
      if (form != QuestionForm.OPEN) {
        form.allowed(e.question(), answers).forEach(byForm::set);
        byForm.and(ok);
      }
      BitSet candidates = byForm.isEmpty() ? ok : byForm;
      String byChoice = form == QuestionForm.CHOICE ? choiceAnswer(e, candidates, answers) : null;
      if (byChoice != null) {
        out.add(List.of(byChoice));
        continue;
      }
      INDArray scores = p;
      int row = i;
      if (blends(e, form)) {
        scores = blended(p.getRow(i, true), blendNeighbours(e), blend.weightOf(e.category()));
        row = 0;
      }
      out.add(List.of(answers.get(QuestionAwareClassifier.argmax(scores, row, candidates))));
    }
    return out;
  }

  private QuestionForm form(Example e) {
    return restrictByForm ? QuestionForm.of(e.question()) : QuestionForm.OPEN;
  }

  /**
   * The answer of a question the network plays no part in (a yes/no question about an imaging
   * attribute, an open question of the nearest-neighbour categories), or null.
   */
  private String withoutNetwork(Example e, QuestionForm form) {
    String byAttribute = attributeAnswer(e);
    if (byAttribute != null) {
      return byAttribute;
    }
    return form == QuestionForm.OPEN && knnCategories.contains(e.category()) ? neighbours(e) : null;
  }

  /** Whether the blend answers {@code e} (once {@link #withoutNetwork} has not). */
  private boolean blends(Example e, QuestionForm form) {
    return form == QuestionForm.OPEN && blend.categories().contains(e.category());
  }

  /**
   * Chooses the blend's weight per category among {@code blend.weight-choices}: the one that
   * answers the most of the category's blended validation questions right, with the trained graph
   * and a memory that does not hold the validation images yet (so they are answered as unseen
   * images are). A tie goes to the weight nearest {@code blend.weight}, then to the lower; a
   * category without such questions keeps {@code blend.weight}. How much of the vote to trust
   * differs by category (the vote of similar images tells the organ system better than the network,
   * the modality worse) and by release, which is why it is chosen on data.
   *
   * <p>Then each {@code case} category's threshold, with the chosen weights ({@link
   * #chooseThresholds}).
   */
  @Override
  public String choose(ComputationGraph net, List<Example> validation) {
    // Chosen again from scratch: the weights are chosen on the answers as they were before the
    // case's gate.
    sameCase = sameCase.withChosen(Map.of());
    String weights = chooseWeights(net, validation);
    String thresholds = chooseThresholds(net, validation);
    return weights.isEmpty() || thresholds.isEmpty()
        ? weights + thresholds
        : weights + "; " + thresholds;
  }

  private String chooseWeights(ComputationGraph net, List<Example> validation) {
    List<Double> choices = blend.choices();
    if (choices.isEmpty() || blend.categories().isEmpty()) {
      return "";
    }
    List<Example> asked = askedOpen(validation, blend.categories());
    prefetch(asked, this::asks);
    List<String> answers = classifier.answers();
    Map<String, int[]> right = new java.util.LinkedHashMap<>();
    Map<String, Integer> count = new HashMap<>();
    for (int from = 0; from < asked.size(); from += CHOICE_CHUNK) {
      List<Example> chunk = asked.subList(from, Math.min(asked.size(), from + CHOICE_CHUNK));
      INDArray p = classifier.probabilities(net, networkInput(chunk));
      for (int i = 0; i < chunk.size(); i++) {
        Example e = chunk.get(i);
        BitSet ok = classifier.allowed(e.category(), answers.size());
        List<double[]> near = blendNeighbours(e);
        int[] r = right.computeIfAbsent(e.category(), c -> new int[choices.size()]);
        count.merge(e.category(), 1, Integer::sum);
        for (int c = 0; c < choices.size(); c++) {
          String a =
              answers.get(
                  QuestionAwareClassifier.argmax(
                      blended(p.getRow(i, true), near, choices.get(c)), 0, ok));
          if (Batches.right(a, e)) {
            r[c]++;
          }
        }
      }
    }
    Map<String, Double> chosen = new java.util.LinkedHashMap<>();
    StringBuilder said = new StringBuilder("hybrid: blend weights chosen on the validation share:");
    for (String category : blend.categories()) {
      int[] r = right.get(category);
      if (r == null) {
        said.append(' ').append(category).append(" none asked (weight ");
        said.append(blend.weight()).append(");");
        continue;
      }
      int best = 0;
      for (int c = 1; c < r.length; c++) {
        double d = Math.abs(choices.get(c) - blend.weight());
        double dBest = Math.abs(choices.get(best) - blend.weight());
        if (r[c] > r[best]
            || r[c] == r[best] && (d < dBest || d == dBest && choices.get(c) < choices.get(best))) {
          best = c;
        }
      }
      chosen.put(category, choices.get(best));
      said.append(' ').append(category).append(' ').append(choices.get(best));
      said.append(" (right of ").append(count.get(category)).append(" by weight ");
      for (int c = 0; c < r.length; c++) {
        said.append(c == 0 ? "" : ", ").append(choices.get(c)).append(": ").append(r[c]);
      }
      said.append(");");
    }
    blend = blend.withChosen(chosen);
    return said.substring(0, said.length() - 1);
  }

  /**
   * Chooses each {@code case} category's threshold among {@code case.threshold-choices}: answered
   * as the model answers them otherwise (the blend at its chosen weight, or the network), except
   * those whose nearest image in the diagnosis memory is at least the threshold similar, which get
   * that image's answer. The threshold that answers the most of the category's open validation
   * questions right wins; the gate stays off unless one answers more than without it, and of tied
   * thresholds the highest (fewest questions taken from the network) wins.
   */
  private String chooseThresholds(ComputationGraph net, List<Example> validation) {
    List<Double> choices = sameCase.choices();
    if (choices.isEmpty() || sameCase.categories().isEmpty()) {
      return "";
    }
    List<Example> asked = askedOpen(validation, sameCase.categories());
    prefetch(asked, e -> List.of(caseAsk()));
    Map<String, int[]> right = new java.util.LinkedHashMap<>(); // {off, each choice}
    Map<String, Integer> count = new HashMap<>();
    for (int from = 0; from < asked.size(); from += CHOICE_CHUNK) {
      List<Example> chunk = asked.subList(from, Math.min(asked.size(), from + CHOICE_CHUNK));
      List<List<String>> before = predict(net, chunk);
      for (int i = 0; i < chunk.size(); i++) {
        Example e = chunk.get(i);
        boolean was = Batches.right(before.get(i).get(0), e);
        Twin twin = twin(e);
        boolean caseRight = twin != null && Batches.right(twin.answer(), e);
        int[] r = right.computeIfAbsent(e.category(), c -> new int[choices.size() + 1]);
        count.merge(e.category(), 1, Integer::sum);
        r[0] += was ? 1 : 0;
        for (int c = 0; c < choices.size(); c++) {
          boolean taken = twin != null && twin.similarity() >= choices.get(c);
          r[c + 1] += (taken ? caseRight : was) ? 1 : 0;
        }
      }
    }
    Map<String, Double> chosen = new java.util.LinkedHashMap<>();
    StringBuilder said =
        new StringBuilder("hybrid: same-case thresholds chosen on the validation share:");
    for (String category : sameCase.categories()) {
      int[] r = right.get(category);
      if (r == null) {
        said.append(' ').append(category).append(" none asked (off);");
        continue;
      }
      int best = 0;
      for (int c = 1; c < r.length; c++) {
        if (r[c] > r[best]
            || r[c] == r[best] && best > 0 && choices.get(c - 1) > choices.get(best - 1)) {
          best = c;
        }
      }
      if (best > 0) {
        chosen.put(category, choices.get(best - 1));
      }
      said.append(' ').append(category).append(' ');
      said.append(best == 0 ? "off" : String.valueOf(choices.get(best - 1)));
      said.append(" (right of ").append(count.get(category)).append(": off ").append(r[0]);
      for (int c = 0; c < choices.size(); c++) {
        said.append(", ").append(choices.get(c)).append(": ").append(r[c + 1]);
      }
      said.append(");");
    }
    sameCase = sameCase.withChosen(chosen);
    return said.substring(0, said.length() - 1);
  }

  /**
   * The validation questions of {@code categories} whose answer comes from the network, alone or
   * blended: open ones that no attribute vote or nearest-neighbour category answers.
   */
  private List<Example> askedOpen(List<Example> validation, List<String> categories) {
    List<Example> asked = new ArrayList<>();
    for (Example e : validation) {
      QuestionForm form = form(e);
      if (form == QuestionForm.OPEN
          && categories.contains(e.category())
          && withoutNetwork(e, form) == null) {
        asked.add(e);
      }
    }
    return asked;
  }

  /** Validation questions per call of the network in {@link #choose}: bounds its memory. */
  private static final int CHOICE_CHUNK = 256;

  /**
   * "yes" or "no" for a yes/no question of the attribute categories that asks about an imaging
   * attribute, by the vote of the most similar remembered images that have it; null otherwise.
   */
  private String attributeAnswer(Example e) {
    if (e.image() == null || !attributeCategories.contains(e.category())) {
      return null;
    }
    ImagingAttributes.Asked asked = ImagingAttributes.asked(e.question());
    if (asked == null) {
      return null;
    }
    Map<String, Double> votes = attributeVotes(e, asked.attribute(), asked.family());
    if (votes.isEmpty()) {
      return null;
    }
    double forValue = votes.getOrDefault(asked.value(), 0.0);
    double best = votes.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return forValue > 0 && forValue >= best ? "yes" : "no";
  }

  /**
   * For a choice question of the attribute categories whose options ({@code candidates}, indices
   * into {@code answers}) are values of one attribute ("contrast or noncontrast ct?", "t1, t2, or
   * flair?"), the option the most similar remembered images that have the attribute vote for (among
   * the options only); null otherwise, or when none of them votes for an option.
   */
  private String choiceAnswer(Example e, BitSet candidates, List<String> answers) {
    if (!attributeChoice || e.image() == null || !attributeCategories.contains(e.category())) {
      return null;
    }
    List<String> options = new ArrayList<>();
    candidates.stream().forEach(i -> options.add(answers.get(i)));
    ImagingAttributes.Choice choice = ImagingAttributes.choice(e.question(), options);
    if (choice == null) {
      return null;
    }
    String best = null;
    double bestVote = 0;
    for (Map.Entry<String, Double> v :
        attributeVotes(e, choice.attribute(), choice.family()).entrySet()) {
      if (choice.optionByValue().containsKey(v.getKey()) && v.getValue() > bestVote) {
        best = v.getKey();
        bestVote = v.getValue();
      }
    }
    return best == null ? null : choice.optionByValue().get(best);
  }

  /**
   * The similarity-weighted vote, by value of {@code attribute}, of the {@code attributes.k}
   * remembered images most similar to {@code e}'s that have the attribute (and are of {@code
   * family}, when not null); nearest first, empty when none has it.
   */
  private Map<String, Double> attributeVotes(Example e, String attribute, String family) {
    Keys ks = attributeKeys();
    float[] q = ks.of(part(e.image(), "example " + e.sampleId()), null);
    List<Integer> candidates = new ArrayList<>();
    double[] sims = new double[attributeMemory.size()];
    for (int j = 0; j < attributeMemory.size(); j++) {
      Map<String, String> v = attributeValues.get(j);
      if (!v.containsKey(attribute)
          || family != null && !family.equals(v.get(ImagingAttributes.FAMILY))) {
        continue;
      }
      sims[j] = dot(q, ks.memory.get(j));
      candidates.add(j);
    }
    candidates.sort((a, b) -> Double.compare(sims[b], sims[a]));
    Map<String, Double> votes = new java.util.LinkedHashMap<>();
    for (int r = 0; r < Math.min(attributeK, candidates.size()); r++) {
      int j = candidates.get(r);
      votes.merge(attributeValues.get(j).get(attribute), sims[j], Double::sum);
    }
    return votes;
  }

  private static double dot(float[] a, float[] b) {
    double d = 0;
    for (int t = 0; t < a.length; t++) {
      d += a[t] * b[t];
    }
    return d;
  }

  /** The blend's {@link Blend#k} nearest remembered images of {@code e}'s category. */
  private List<double[]> blendNeighbours(Example e) {
    return nearest(e, blend.k(), blendCompared());
  }

  /** The parts the blend's neighbours compare: {@code blend.parts}, or the neighbours' part. */
  private List<FeaturePart> blendCompared() {
    return blendParts.isEmpty() ? List.of(part) : blendParts;
  }

  /**
   * The network's probabilities {@code row} [1, answers] mixed at {@code weight} with the vote of
   * the neighbours {@code near}: each answer's share of their summed similarity. Without an image
   * or neighbours, the network's probabilities as they are.
   */
  private INDArray blended(INDArray row, List<double[]> near, double weight) {
    double total = 0;
    for (double[] n : near) {
      total += Math.max(0, n[1]);
    }
    if (total <= 0) {
      return row;
    }
    // In double, as the mixed scores of close answers may differ by less than a float's step.
    INDArray out = row.castTo(DataType.DOUBLE).muli(1 - weight);
    for (double[] n : near) {
      int a = classifier.answerIndex(memoryAnswer.get((int) n[0]));
      if (a >= 0) {
        out.putScalar(0, a, out.getDouble(0, a) + weight * Math.max(0, n[1]) / total);
      }
    }
    return out;
  }

  /** The answer the {@code k} most similar remembered images vote for, or null if none. */
  private String neighbours(Example e) {
    // In rank order, so that ties go to the nearer neighbour's answer, which was put first.
    Map<String, Double> votes = new java.util.LinkedHashMap<>();
    Map<String, String> text = new HashMap<>();
    for (double[] n : nearest(e, k, List.of(part))) {
      String key = Batches.key(memoryAnswer.get((int) n[0]));
      votes.merge(key, n[1], Double::sum);
      text.putIfAbsent(key, memoryAnswer.get((int) n[0]));
    }
    String best = null;
    for (Map.Entry<String, Double> v : votes.entrySet()) {
      if (best == null || v.getValue() > votes.get(best)) {
        best = v.getKey();
      }
    }
    return best == null ? null : text.get(best);
  }

  /**
   * The {@code n} remembered entries of {@code e}'s category most similar to its image, nearest
   * first, each as {index, similarity}: the mean of the similarities of {@code parts}, each
   * compared as {@code knn.similarity} says; none without an image.
   */
  private List<double[]> nearest(Example e, int n, List<FeaturePart> parts) {
    return nearest(e, e.category(), n, parts);
  }

  /** {@link #nearest(Example, int, List)} among the remembered entries of {@code category}. */
  private List<double[]> nearest(Example e, String category, int n, List<FeaturePart> parts) {
    if (e.image() == null) {
      return List.of();
    }
    Near query = near(e, category, n, parts);
    List<double[]> known = known(query, e);
    if (known != null) {
      return known;
    }
    List<double[]> found = searchAll(List.of(e), category, n, parts).get(0);
    if (nearestFound.size() >= NEAREST_KEPT) {
      nearestFound.clear();
    }
    nearestFound.put(query, new Found(new WeakReference<>(e.image()), found));
    return found;
  }

  /**
   * The cache's key of {@code e}'s {@code n} nearest entries of {@code category} on {@code parts}.
   */
  private static Near near(Example e, String category, int n, List<FeaturePart> parts) {
    return new Near(e.sampleId(), category, n, parts.stream().map(HybridVqa::partKey).toList());
  }

  /** What {@code query} found for {@code e}'s very feature array, or null if not known. */
  private List<double[]> known(Near query, Example e) {
    Found known = nearestFound.get(query);
    return known != null && known.image().get() == e.image() ? known.nearest() : null;
  }

  /** The questions {@link #prefetch} searches together: one category, count and compared parts. */
  private record Ask(String category, int n, List<FeaturePart> parts) {}

  /**
   * The neighbours {@link #predict} will ask for, searched for every open question of {@code
   * examples} not known yet, the questions of one category together ({@link #searchAll}). Why: one
   * at a time, a search was a dot product per (question, entry) pair in Java, most of the first
   * validation (23-28 s of a 2019 run) and of the predict stage.
   */
  private void prefetch(
      List<Example> examples, java.util.function.Function<Example, List<Ask>> asks) {
    Map<Ask, List<Example>> groups = new java.util.LinkedHashMap<>();
    for (Example e : examples) {
      if (e.image() == null || form(e) != QuestionForm.OPEN) {
        continue;
      }
      for (Ask at : asks.apply(e)) {
        if (known(near(e, at.category(), at.n(), at.parts()), e) == null) {
          groups.computeIfAbsent(at, x -> new ArrayList<>()).add(e);
        }
      }
    }
    int total = groups.values().stream().mapToInt(List::size).sum();
    if (nearestFound.size() + total > NEAREST_KEPT) {
      nearestFound.clear();
    }
    for (Map.Entry<Ask, List<Example>> g : groups.entrySet()) {
      Ask at = g.getKey();
      List<List<double[]>> found = searchAll(g.getValue(), at.category(), at.n(), at.parts());
      for (int i = 0; i < found.size(); i++) {
        Example e = g.getValue().get(i);
        nearestFound.put(
            near(e, at.category(), at.n(), at.parts()),
            new Found(new WeakReference<>(e.image()), found.get(i)));
      }
    }
  }

  /**
   * The searches {@link #predict} needs for an open question like {@code e}: its category's, and
   * the case's where a threshold is chosen ({@link #chooseThresholds} asks for those itself).
   */
  private List<Ask> asks(Example e) {
    List<Ask> out = new ArrayList<>(2);
    if (knnCategories.contains(e.category())) {
      out.add(new Ask(e.category(), k, List.of(part)));
    } else if (blend.categories().contains(e.category())) {
      out.add(new Ask(e.category(), blend.k(), blendCompared()));
    }
    if (sameCase.thresholdOf(e.category()) != null) {
      out.add(caseAsk());
    }
    return out;
  }

  /** The search of the image nearest in {@link #caseMemory}. */
  private Ask caseAsk() {
    return new Ask(caseMemory(), 1, List.of(part));
  }

  /** The memory whose metric finds another image of the same case: the first knn category's. */
  private String caseMemory() {
    return knnCategories.get(0);
  }

  /**
   * The answer of {@code e}'s category given to the remembered image nearest to {@code e}'s in
   * {@link #caseMemory}, when that image is at least {@code threshold} similar and has one; else
   * null.
   */
  private String caseAnswer(Example e, double threshold) {
    Twin twin = twin(e);
    return twin == null || twin.similarity() < threshold ? null : twin.answer();
  }

  /** The remembered image nearest to {@code e}'s in {@link #caseMemory}: its answer, similarity. */
  private record Twin(String answer, double similarity) {}

  /**
   * {@code e}'s {@link Twin}: the answer of {@code e}'s category given to the remembered image
   * nearest to {@code e}'s in {@link #caseMemory}; null without one.
   */
  private Twin twin(Example e) {
    Ask at = caseAsk();
    List<double[]> near = nearest(e, at.category(), at.n(), at.parts());
    if (near.isEmpty()) {
      return null;
    }
    Integer j = caseEntry(memory.get((int) near.get(0)[0]), e.category());
    return j == null ? null : new Twin(memoryAnswer.get(j), near.get(0)[1]);
  }

  /** The memory entry of {@code category} of the image whose feature is {@code image}, or null. */
  private synchronized Integer caseEntry(float[] image, String category) {
    return caseEntries
        .computeIfAbsent(
            category,
            c -> {
              Map<float[], Integer> m = new java.util.IdentityHashMap<>();
              for (int j = 0; j < memory.size(); j++) {
                if (memoryCategory.get(j).equals(c)) {
                  m.putIfAbsent(memory.get(j), j);
                }
              }
              return m;
            })
        .get(image);
  }

  /** Each of {@code queries}' (all of {@code category}) {@link #nearest} entries. */
  private List<List<double[]>> searchAll(
      List<Example> queries, String category, int n, List<FeaturePart> parts) {
    searches.addAndGet(queries.size());
    List<Integer> same = new ArrayList<>();
    for (int j = 0; j < memory.size(); j++) {
      if (memoryCategory.get(j).equals(category)) {
        same.add(j);
      }
    }
    if (same.isEmpty()) {
      return java.util.Collections.nCopies(queries.size(), List.of());
    }
    List<List<float[]>> asked = new ArrayList<>();
    List<List<float[]>> remembered = new ArrayList<>();
    for (FeaturePart p : parts) {
      Keys ks = keys(p, category);
      List<float[]> features = new ArrayList<>(queries.size());
      for (Example e : queries) {
        features.add(p.of(e.image(), "example " + e.sampleId()));
      }
      asked.add(ks.ofAll(features, category));
      List<float[]> rows = new ArrayList<>(same.size());
      for (int j : same) {
        rows.add(ks.memory.get(j));
      }
      remembered.add(rows);
    }
    return nearestByProduct(asked, remembered, same, n);
  }

  /**
   * For each query (row {@code i} of every part of {@code queries}), the {@code n} entries whose
   * mean over the parts of the dot product with their row of {@code keys} is highest, each as
   * {entry id from {@code ids}, mean}, highest first, ties in entry order. One matrix product per
   * part and block of queries, in double: each product of two floats is exact in double (the
   * one-at-a-time search this replaced rounded it to a float first), so entries whose means differ
   * by less than about 1e-7 may rank in another order than they did.
   */
  static List<List<double[]>> nearestByProduct(
      List<List<float[]>> queries, List<List<float[]>> keys, List<Integer> ids, int n) {
    int nq = queries.get(0).size();
    int nm = ids.size();
    List<INDArray> keyRows = new ArrayList<>(keys.size());
    for (List<float[]> k : keys) {
      keyRows.add(doubleRows(k).transpose());
    }
    List<List<double[]>> out = new ArrayList<>(nq);
    for (int from = 0; from < nq; from += SEARCH_BLOCK) {
      int to = Math.min(nq, from + SEARCH_BLOCK);
      double[][] sims = new double[to - from][nm];
      for (int p = 0; p < keys.size(); p++) {
        double[][] s =
            doubleRows(queries.get(p).subList(from, to)).mmul(keyRows.get(p)).toDoubleMatrix();
        for (int i = 0; i < s.length; i++) {
          for (int c = 0; c < nm; c++) {
            sims[i][c] += s[i][c] / keys.size();
          }
        }
      }
      for (double[] row : sims) {
        List<double[]> ranked = new ArrayList<>(nm);
        for (int c = 0; c < nm; c++) {
          ranked.add(new double[] {ids.get(c), row[c]});
        }
        ranked.sort((a, b) -> Double.compare(b[1], a[1])); // stable: ties in entry order
        // A copy, as a view would keep every entry of the category alive in the cache.
        out.add(List.copyOf(ranked.subList(0, Math.min(n, nm))));
      }
    }
    return out;
  }

  /** Queries per matrix product of {@link #nearestByProduct}: bounds its similarity block. */
  private static final int SEARCH_BLOCK = 512;

  /** Examples per {@link #prefetch} in {@link #predict}: bounds the neighbours kept at once. */
  private static final int PREFETCH_CHUNK = 4096;

  private static INDArray doubleRows(List<float[]> rows) {
    int d = rows.get(0).length;
    double[] flat = new double[rows.size() * d];
    for (int i = 0; i < rows.size(); i++) {
      float[] r = rows.get(i);
      for (int t = 0; t < d; t++) {
        flat[i * d + t] = r[t];
      }
    }
    return Nd4j.create(flat, new long[] {rows.size(), d}, 'c');
  }

  /** Searches run so far (not answered from {@link #nearestFound}). */
  long searches() {
    return searches.get();
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
    o.put("knn_shrinkage", shrinkage);
    part.write(o.putArray("knn_part"));
    networkPart.write(o.putArray("network_part"));
    if (networkScaler != null) {
      o.set("network_scaler", networkScaler.toJson());
    }
    blend.write(o);
    sameCase.write(o);
    ArrayNode blendPartsOut = o.putArray("blend_parts");
    blendParts.forEach(p -> p.write(blendPartsOut.addArray()));
    // Each image's feature once (an image has entries in several categories and in both
    // memories); the entries refer to it by position.
    ArrayNode features = o.putArray("features");
    Map<float[], Integer> saved = new java.util.IdentityHashMap<>();
    java.util.function.ToIntFunction<float[]> ref =
        f -> {
          Integer at = saved.get(f);
          if (at == null) {
            at = saved.size();
            saved.put(f, at);
            features.add(Base64.getEncoder().encodeToString(quantize(f)));
          }
          return at;
        };
    ArrayNode mem = o.putArray("memory");
    for (int j = 0; j < memory.size(); j++) {
      ObjectNode x = mem.addObject();
      x.put("category", memoryCategory.get(j));
      x.put("answer", memoryAnswer.get(j));
      x.put("feature_ref", ref.applyAsInt(memory.get(j)));
    }
    ArrayNode attrCats = o.putArray("attribute_categories");
    attributeCategories.forEach(attrCats::add);
    o.put("attribute_k", attributeK);
    o.put("attribute_choice", attributeChoice);
    ArrayNode attrs = o.putArray("attribute_memory");
    attributeImages.forEach(
        (image, j) -> {
          ObjectNode x = attrs.addObject();
          x.put("image", image);
          ObjectNode values = x.putObject("values");
          attributeValues.get(j).forEach(values::put);
          x.put("feature_ref", ref.applyAsInt(attributeMemory.get(j)));
        });
    return o;
  }

  /**
   * The memory as compared on part {@code p} with a query of {@code category}. The {@code within}
   * whitening is the category's own, so it is made only for the categories that ask on that part
   * (the stage-5 mean of the blend's parts is never compared for abnormality).
   */
  private synchronized Keys keys(FeaturePart p, String category) {
    if (!similarity.equals("within")) {
      return keys.computeIfAbsent(partKey(p), x -> Keys.of(similarity, parts(memory, p)));
    }
    return keys.computeIfAbsent(
        partKey(p) + "\n" + category,
        x -> Keys.within(memory, p, memoryCategory, memoryAnswer, shrinkage, category));
  }

  /** Parts cut alike share their keys, whichever setting named them. */
  private static String partKey(FeaturePart p) {
    return p.from() + ":" + p.to() + ":" + p.width();
  }

  /**
   * The attribute memory has no answer of its own to group by, so under {@code within} it keeps the
   * plain cosine.
   */
  private synchronized Keys attributeKeys() {
    if (attributeKeys == null) {
      attributeKeys =
          Keys.of(
              similarity.equals("within") ? "cosine" : similarity, parts(attributeMemory, part));
    }
    return attributeKeys;
  }

  /**
   * The compared part of each remembered feature, at unit norm again (the memory itself when the
   * whole feature is compared). The memory keeps whole features, so the part is a setting of the
   * comparison like the similarity.
   */
  private static List<float[]> parts(List<float[]> unitMemory, FeaturePart p) {
    if (p.isAll()) {
      return unitMemory;
    }
    List<float[]> out = new ArrayList<>(unitMemory.size());
    for (int j = 0; j < unitMemory.size(); j++) {
      out.add(unit(p.of(unitMemory.get(j), "remembered image " + j)));
    }
    return out;
  }

  /**
   * Pooled ReLU features share a large positive component, so the plain cosine between any two
   * images is high and a case's own signal is a small part of it. Centring on the memory's mean
   * removes the shared part; standardising also stops a few high-variance dimensions from deciding
   * every comparison. {@code scaler} is null for the plain cosine, whose keys are the memory
   * itself.
   */
  private record Keys(
      FeatureScaler scaler, Map<String, WithinWhitening> within, List<float[]> memory) {
    static Keys of(String similarity, List<float[]> unitMemory) {
      if (similarity.equals("cosine") || unitMemory.isEmpty()) {
        return new Keys(null, null, unitMemory);
      }
      FeatureScaler s = FeatureScaler.fitRows(unitMemory, unitMemory.get(0).length);
      Keys keys =
          new Keys(similarity.equals("centred") ? s.centringOnly() : s, null, new ArrayList<>());
      for (float[] m : unitMemory) {
        keys.memory.add(keys.of(m, null));
      }
      return keys;
    }

    /**
     * {@code within} for the entries of {@code category}: the whitening learned from their part
     * {@code p}, grouped by answer as compared ({@link Batches#key}; an organ's covariance says
     * nothing about what tells two diagnoses apart). The keys of other categories' entries are
     * null: they are never compared with this category's queries.
     */
    static Keys within(
        List<float[]> unitMemory,
        FeaturePart p,
        List<String> categories,
        List<String> answers,
        double shrinkage,
        String category) {
      List<Integer> js = new ArrayList<>();
      List<float[]> whole = new ArrayList<>();
      List<String> labels = new ArrayList<>();
      for (int j = 0; j < unitMemory.size(); j++) {
        if (categories.get(j).equals(category)) {
          js.add(j);
          whole.add(unitMemory.get(j));
          labels.add(Batches.key(answers.get(j)));
        }
      }
      List<float[]> rows = parts(whole, p);
      WithinWhitening w = WithinWhitening.fit(rows, labels, shrinkage);
      List<float[]> keys = new ArrayList<>(java.util.Collections.nCopies(unitMemory.size(), null));
      List<float[]> whitened = w.applyAll(rows);
      for (int i = 0; i < js.size(); i++) {
        keys.set(js.get(i), whitened.get(i));
      }
      return new Keys(null, Map.of(category, w), keys);
    }

    /**
     * A feature vector as compared with the memory entries of {@code category}: at unit norm, then
     * shifted and scaled (or whitened by the category's own covariance) and at unit norm again.
     */
    List<float[]> ofAll(List<float[]> features, String category) {
      List<float[]> units = new ArrayList<>(features.size());
      for (float[] f : features) {
        units.add(unit(f));
      }
      if (within != null) {
        WithinWhitening w = within.get(category);
        return w == null ? units : w.applyAll(units);
      }
      if (scaler == null) {
        return units;
      }
      List<float[]> out = new ArrayList<>(units.size());
      for (float[] u : units) {
        out.add(unit(scaler.apply(u)));
      }
      return out;
    }

    /** {@link #ofAll} of one feature. */
    float[] of(float[] feature, String category) {
      return ofAll(List.of(feature), category).get(0);
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
    attributeMemory = new ArrayList<>();
    attributeValues = new ArrayList<>();
    attributeImages = new java.util.LinkedHashMap<>();
    imageFeatures = new HashMap<>();
    keys = new HashMap<>();
    nearestFound = new ConcurrentHashMap<>();
    searches = new AtomicLong();
    caseEntries = new HashMap<>();
  }
}
