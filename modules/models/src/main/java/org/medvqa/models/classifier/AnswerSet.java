package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.medvqa.models.Batches;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.ndarray.INDArray;

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

  static AnswerSet fit(Iterable<String> trainingAnswers, int minCount) {
    Map<String, Long> counts = new HashMap<>();
    for (String a : trainingAnswers) {
      String k = Batches.key(a);
      if (!k.isEmpty()) {
        counts.merge(k, 1L, Long::sum);
      }
    }
    return new AnswerSet(Vocabulary.ranked(counts, minCount));
  }

  /** Refuses fewer than two classes: a softmax over one answer learns nothing. */
  AnswerSet requireClasses() {
    if (answers.size() < 2) {
      throw new IllegalArgumentException(
          "a classifier needs at least 2 distinct training answers, got "
              + answers.size()
              + (answers.size() == 1 ? " ('" + answers.get(0) + "')" : ""));
    }
    return this;
  }

  /** The most probable answer of each row of {@code probabilities} [n, classes], as predictions. */
  List<List<String>> top(INDArray probabilities) {
    INDArray best = probabilities.argMax(1);
    List<List<String>> out = new ArrayList<>((int) best.length());
    for (int i = 0; i < best.length(); i++) {
      out.add(List.of(answers.get(best.getInt(i))));
    }
    return out;
  }

  int size() {
    return answers.size();
  }

  /** The class of {@code answer}, or -1 when it is not one. */
  int indexOf(String answer) {
    return index.getOrDefault(Batches.key(answer), -1);
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
}
