package org.medvqa.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The registry of model kinds: every {@link ModelKind} on the class path ({@code
 * META-INF/services/org.medvqa.models.ModelKind}), in the order of those files. Train, predict and
 * the pipeline find a kind here by name; none of them names a kind.
 */
public final class ModelKinds {
  private static final List<ModelKind> KINDS = load();

  /** The names of the DL4J network kinds ({@link GraphKind}), in registry order. */
  public static final List<String> NAMES =
      KINDS.stream().filter(k -> k instanceof GraphKind).map(ModelKind::name).toList();

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelKinds() {}

  private static List<ModelKind> load() {
    List<ModelKind> kinds = new ArrayList<>();
    ServiceLoader.load(ModelKind.class, ModelKinds.class.getClassLoader()).forEach(kinds::add);
    return List.copyOf(kinds);
  }

  /** Every kind, in registry order (the majority baseline first). */
  public static List<ModelKind> kinds() {
    return KINDS;
  }

  /** Every kind's name, in registry order: the values {@code medvqa.train.model} may take. */
  public static List<String> names() {
    return KINDS.stream().map(ModelKind::name).toList();
  }

  /** The kind called {@code name}. */
  public static ModelKind get(String name) {
    for (ModelKind k : KINDS) {
      if (k.name().equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown model kind '" + name + "'; known: " + names());
  }

  /** Whether {@code kind} generates questions (VQG) rather than answering them. */
  public static boolean generatesQuestions(String kind) {
    return KINDS.stream().anyMatch(k -> k.name().equals(kind) && k.generatesQuestions());
  }

  /**
   * A new network model of {@code kind} with its settings from {@code config} (the full config;
   * each kind reads {@code medvqa.models.<kind>}) and its vocabularies fitted on {@code training}
   * (text only is needed).
   */
  public static VqaModel fit(String kind, Config config, List<Example> training) {
    return graphKind(kind, "unknown model kind '" + kind + "'; known: " + NAMES)
        .fit(config, training);
  }

  /** Reads what {@link VqaModel#toJson} wrote. */
  public static VqaModel fromJson(String json) {
    ObjectNode o = spec(json);
    String kind = o.get("kind").asText();
    return graphKind(kind, "model spec of unknown kind '" + kind + "'; known: " + NAMES)
        .fromJson(o);
  }

  /**
   * The model saved as {@code text} in a folder's {@code specFile}: read by the one kind that uses
   * that file, or else by the kind the spec names.
   */
  static TrainedModel read(String specFile, String text, ModelKind.NetworkSource network)
      throws IOException {
    List<ModelKind> owners = KINDS.stream().filter(k -> k.specFile().equals(specFile)).toList();
    if (owners.size() == 1) {
      return owners.get(0).read(text, network);
    }
    String kind = spec(text).get("kind").asText();
    return graphKind(kind, "model spec of unknown kind '" + kind + "'; known: " + NAMES)
        .read(text, network);
  }

  /** A spec's JSON object, with its {@code kind}. */
  static ObjectNode spec(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("model spec is not JSON: " + e.getOriginalMessage(), e);
    }
    if (!(root instanceof ObjectNode o) || !root.hasNonNull("kind")) {
      throw new IllegalArgumentException("model spec has no 'kind'");
    }
    return o;
  }

  private static GraphKind graphKind(String kind, String unknown) {
    for (ModelKind k : KINDS) {
      if (k.name().equals(kind) && k instanceof GraphKind g) {
        return g;
      }
    }
    throw new IllegalArgumentException(unknown);
  }
}
