package org.medvqa.augment.text;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small embedding spaces and settings made in code, where the right answer is known. */
final class TestSpaces {
  private TestSpaces() {}

  /**
   * A 4-dimensional space. Around "organ": organs (nearest, but the same stem), the (a stopword),
   * plane (protected), liver, kidney. Around "image": images (same stem), picture, photo. Around
   * "shown": show (same lemma), displayed, appear (a base form).
   */
  static WordVectors anatomy() {
    Map<String, float[]> m = new LinkedHashMap<>();
    m.put("organ", new float[] {1, 0, 0, 0});
    m.put("organs", new float[] {0.99f, 0.05f, 0, 0});
    m.put("the", new float[] {0.97f, 0.15f, 0, 0});
    m.put("plane", new float[] {0.96f, 0, 0.2f, 0});
    m.put("liver", new float[] {0.9f, 0.35f, 0, 0});
    m.put("kidney", new float[] {0.7f, 0.7f, 0, 0});
    m.put("image", new float[] {0, 0, 1, 0});
    m.put("images", new float[] {0, 0, 0.99f, 0.05f});
    m.put("picture", new float[] {0, 0.15f, 0.95f, 0});
    m.put("photo", new float[] {0, 0.35f, 0.9f, 0});
    m.put("shown", new float[] {0, 0, 0, 1});
    m.put("show", new float[] {0.05f, 0, 0, 1});
    m.put("appear", new float[] {0, 0.1f, 0, 0.97f});
    m.put("displayed", new float[] {0, 0.2f, 0, 0.9f});
    m.put("x", new float[] {0.5f, 0.5f, 0.5f, 0.5f});
    return space(m);
  }

  static WordVectors space(Map<String, float[]> m) {
    int dim = m.values().iterator().next().length;
    String[] words = m.keySet().toArray(new String[0]);
    float[] rows = new float[words.length * dim];
    int i = 0;
    for (float[] v : m.values()) {
      System.arraycopy(v, 0, rows, i++ * dim, dim);
    }
    return WordVectors.of(words, rows, dim, false, "test");
  }

  /** Default settings with HOCON overrides under medvqa.augment.questions. */
  static QuestionAugmentSettings settings(String overrides) {
    return QuestionAugmentSettings.from(
        ConfigFactory.parseString(overrides).atPath(QuestionAugmentSettings.PATH));
  }

  /**
   * A table where each word has the given neighbours (similarity falling from 0.9), under the tags
   * NOUN, VERB and ADJ, so that the test does not depend on how a word is tagged.
   */
  static NeighbourTable table(Map<String, List<String>> neighbours) {
    Map<String, List<Neighbour>> t = new LinkedHashMap<>();
    neighbours.forEach(
        (w, ns) -> {
          List<Neighbour> list = new ArrayList<>();
          for (int i = 0; i < ns.size(); i++) {
            list.add(new Neighbour(ns.get(i), 0.9f - 0.05f * i));
          }
          for (String tag : List.of("NOUN", "VERB", "ADJ", "PROPN")) {
            t.put(NeighbourTable.key(w, tag), list);
          }
        });
    return NeighbourTable.of(t);
  }
}
