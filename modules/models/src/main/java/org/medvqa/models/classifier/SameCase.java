package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link HybridVqa}'s {@code case} setting: open questions of {@code categories} answered with the
 * answer of the remembered image nearest by the diagnosis memory's metric (the first {@code knn}
 * category, on {@code knn.part}), when that image is at least as similar as the category's
 * threshold. 2019 labels such as the organ system are the case's, not the image's, and the
 * diagnosis metric (whitened within each diagnosis) finds another image of the same case better
 * than any category's own; a far nearest image is another patient, so the gate.
 *
 * <p>The trainer's validation share chooses each category's threshold among {@code choices} (no
 * threshold, the gate off, unless one answers more validation questions right); {@code chosen}
 * holds them. Without a chosen threshold a category is answered as before.
 */
record SameCase(List<String> categories, List<Double> choices, Map<String, Double> chosen)
    implements java.io.Serializable {
  SameCase {
    if (!choices.stream().allMatch(SameCase::isSimilarity)) {
      throw new IllegalArgumentException(
          "case.threshold-choices must be within [-1, 1], got " + choices);
    }
    if (!chosen.values().stream().allMatch(SameCase::isSimilarity)) {
      throw new IllegalArgumentException(
          "case_chosen_thresholds must be within [-1, 1], got " + chosen);
    }
    categories = List.copyOf(categories);
    choices = List.copyOf(choices);
    chosen = Collections.unmodifiableMap(new LinkedHashMap<>(chosen));
  }

  static final SameCase OFF = new SameCase(List.of(), List.of(), Map.of());

  static SameCase of(Config c) {
    return new SameCase(
        c.getStringList("case.categories"), c.getDoubleList("case.threshold-choices"), Map.of());
  }

  /** Models saved before the setting have none. */
  static SameCase read(ObjectNode o) {
    if (!o.has("case_categories")) {
      return OFF;
    }
    List<String> categories = new ArrayList<>();
    o.get("case_categories").forEach(x -> categories.add(x.asText()));
    List<Double> choices = new ArrayList<>();
    o.get("case_threshold_choices").forEach(x -> choices.add(x.asDouble()));
    Map<String, Double> chosen = new LinkedHashMap<>();
    o.get("case_chosen_thresholds")
        .fields()
        .forEachRemaining(f -> chosen.put(f.getKey(), f.getValue().asDouble()));
    return new SameCase(categories, choices, chosen);
  }

  void write(ObjectNode o) {
    categories.forEach(o.putArray("case_categories")::add);
    choices.forEach(o.putArray("case_threshold_choices")::add);
    ObjectNode out = o.putObject("case_chosen_thresholds");
    chosen.forEach(out::put);
  }

  /** {@code category}'s chosen threshold, or null when its questions are not answered so. */
  Double thresholdOf(String category) {
    return categories.contains(category) ? chosen.get(category) : null;
  }

  SameCase withChosen(Map<String, Double> thresholds) {
    return new SameCase(categories, choices, thresholds);
  }

  private static boolean isSimilarity(double t) {
    return t >= -1 && t <= 1;
  }
}
