package org.medvqa.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.util.List;
import org.medvqa.models.classifier.FineTunedClassifier;
import org.medvqa.models.classifier.HybridVqa;
import org.medvqa.models.classifier.ImageClassifier;
import org.medvqa.models.classifier.QuestionAwareClassifier;
import org.medvqa.models.vae.VaeVqa;
import org.medvqa.models.vae.VaeVqg;

/** The model kinds {@code train} knows, by name: fitting a new one and reading a saved one. */
public final class ModelKinds {
  public static final List<String> NAMES =
      List.of(
          ImageClassifier.KIND,
          QuestionAwareClassifier.KIND,
          HybridVqa.KIND,
          FineTunedClassifier.KIND,
          VaeVqa.KIND,
          VaeVqg.KIND);

  /** Whether {@code kind} generates questions (VQG) rather than answering them. */
  public static boolean generatesQuestions(String kind) {
    return VaeVqg.KIND.equals(kind);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelKinds() {}

  /**
   * A new model of {@code kind} with its settings from {@code config} (the full config; each kind
   * reads {@code medvqa.models.<kind>}) and its vocabularies fitted on {@code training} (text only
   * is needed).
   */
  public static VqaModel fit(String kind, Config config, List<Example> training) {
    Config c = config.getConfig("medvqa.models." + kind);
    return switch (kind) {
      case ImageClassifier.KIND -> ImageClassifier.fit(c, training);
      case QuestionAwareClassifier.KIND -> QuestionAwareClassifier.fit(c, training);
      case HybridVqa.KIND -> HybridVqa.fit(c, training);
      case FineTunedClassifier.KIND -> FineTunedClassifier.fit(c, training);
      case VaeVqa.KIND -> VaeVqa.fit(c, training);
      case VaeVqg.KIND -> VaeVqg.fit(c, training);
      default ->
          throw new IllegalArgumentException("unknown model kind '" + kind + "'; known: " + NAMES);
    };
  }

  /** Reads what {@link VqaModel#toJson} wrote. */
  public static VqaModel fromJson(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("model spec is not JSON: " + e.getOriginalMessage(), e);
    }
    if (!(root instanceof ObjectNode o) || !root.hasNonNull("kind")) {
      throw new IllegalArgumentException("model spec has no 'kind'");
    }
    String kind = root.get("kind").asText();
    return switch (kind) {
      case ImageClassifier.KIND -> ImageClassifier.fromJson(o);
      case QuestionAwareClassifier.KIND -> QuestionAwareClassifier.fromJson(o);
      case HybridVqa.KIND -> HybridVqa.fromJson(o);
      case FineTunedClassifier.KIND -> FineTunedClassifier.fromJson(o);
      case VaeVqa.KIND -> VaeVqa.fromJson(o);
      case VaeVqg.KIND -> VaeVqg.fromJson(o);
      default ->
          throw new IllegalArgumentException(
              "model spec of unknown kind '" + kind + "'; known: " + NAMES);
    };
  }
}
