package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The classes of a softmax: answers seen at least a minimum number of times in training, most
 * frequent first (ties by text, so the same data gives the same order). Answers are compared
 * trimmed and lower-cased, as the official accuracy ignores case.
 */
final class AnswerSet implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<String> answers;
  private final Map<String, Integer> index;

  AnswerSet(List<String> answers) {
    this.answers = List.copyOf(answers);
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < answers.size(); i++) {
      idx.put(answers.get(i), i);
    }
    this.index = idx;
  }

  static String key(String answer) {
    return answer.trim().toLowerCase(Locale.ROOT);
  }

  static AnswerSet fit(Iterable<String> trainingAnswers, int minCount) {
    Map<String, Long> counts = new HashMap<>();
    for (String a : trainingAnswers) {
      String k = key(a);
      if (!k.isEmpty()) {
        counts.merge(k, 1L, Long::sum);
      }
    }
    List<Map.Entry<String, Long>> kept = new ArrayList<>();
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (e.getValue() >= minCount) {
        kept.add(e);
      }
    }
    kept.sort(
        Comparator.comparing(Map.Entry<String, Long>::getValue)
            .reversed()
            .thenComparing(Map.Entry::getKey));
    return new AnswerSet(kept.stream().map(Map.Entry::getKey).toList());
  }

  int size() {
    return answers.size();
  }

  /** The class of {@code answer}, or -1 when it is not one. */
  int indexOf(String answer) {
    return index.getOrDefault(key(answer), -1);
  }

  String answer(int i) {
    return answers.get(i);
  }

  List<String> answers() {
    return answers;
  }

  ArrayNode toJson() {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    answers.forEach(a::add);
    return a;
  }

  static AnswerSet fromJson(com.fasterxml.jackson.databind.JsonNode node) {
    if (node == null || !node.isArray()) {
      throw new IllegalArgumentException("expected an array of answers");
    }
    List<String> out = new ArrayList<>();
    node.forEach(n -> out.add(n.asText()));
    return new AnswerSet(out);
  }

  /** True when {@code predicted} equals one of {@code references} (trimmed, case ignored). */
  static boolean matches(String predicted, List<String> references) {
    String p = key(predicted);
    for (String r : references) {
      if (key(r).equals(p)) {
        return true;
      }
    }
    return false;
  }
}
