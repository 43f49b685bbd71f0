package org.medvqa.augment.text;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The replacement words of every candidate in the input, found once on the driver with one batched
 * search ({@link NeighbourSearch}) and filtered: above the similarity threshold, an acceptable word
 * ({@link CandidateFilter}), not the same word by stem or lemma ({@link WordForms}). Small
 * (thousands of candidates times a few neighbours), serializable, and what Spark broadcasts to the
 * rewrite. Keyed by {@link #key(String, String) word and tag}, since the lemma depends on the tag.
 */
public final class NeighbourTable implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Neighbour[] NONE = new Neighbour[0];

  private final Map<String, Neighbour[]> table;
  private final int outOfVocabulary;

  private NeighbourTable(Map<String, Neighbour[]> table, int outOfVocabulary) {
    this.table = table;
    this.outOfVocabulary = outOfVocabulary;
  }

  /** The key of a candidate: its lookup form and its tag, as {@code word/TAG}. */
  public static String key(String word, String tag) {
    return word + "/" + tag;
  }

  /** A table given as it is (tests and hand-made spaces). */
  public static NeighbourTable of(Map<String, List<Neighbour>> table) {
    Map<String, Neighbour[]> m = new HashMap<>();
    table.forEach((k, v) -> m.put(k, v.toArray(NONE)));
    return new NeighbourTable(m, 0);
  }

  /**
   * Finds and filters the neighbours of the candidate keys (from {@link #key}) in one batched
   * search.
   *
   * @param tagger for lemmas; may be null when {@code distinct-lemma} is off
   */
  public static NeighbourTable build(
      WordVectors vectors, Collection<String> keys, QuestionAugmentSettings s, PosTagger tagger) {
    CandidateFilter filter = new CandidateFilter(s);
    WordForms forms =
        new WordForms(
            s.distinctLemma() || s.sameInflection() ? tagger : null,
            s.distinctStem(),
            s.distinctLemma());
    Map<String, Integer> words = new LinkedHashMap<>();
    Set<String> oov = new LinkedHashSet<>();
    for (String k : new LinkedHashSet<>(keys)) {
      String w = wordOf(k);
      int row = vectors.indexOf(w);
      if (row < 0) {
        oov.add(w);
      } else {
        words.putIfAbsent(w, row);
      }
    }
    int[] rows = words.values().stream().mapToInt(Integer::intValue).toArray();
    NeighbourSearch.Hit[][] hits =
        NeighbourSearch.nearest(vectors, rows, s.searchDepth(), s.searchThreads());
    Map<String, NeighbourSearch.Hit[]> byWord = new HashMap<>();
    int i = 0;
    for (String w : words.keySet()) {
      byWord.put(w, hits[i++]);
    }
    Map<String, Neighbour[]> table = new HashMap<>();
    for (String k : new LinkedHashSet<>(keys)) {
      String w = wordOf(k);
      String tag = tagOf(k);
      NeighbourSearch.Hit[] found = byWord.get(w);
      if (found == null) {
        table.put(k, NONE);
        continue;
      }
      List<Neighbour> kept = new ArrayList<>();
      Set<String> seen = new LinkedHashSet<>();
      for (NeighbourSearch.Hit h : found) {
        if (kept.size() >= s.neighbours() || h.similarity() < s.minSimilarity()) {
          break;
        }
        String cand = vectors.word(h.index());
        String lower = cand.toLowerCase(Locale.ROOT);
        if (!filter.acceptable(cand)
            || forms.same(w, tag, cand)
            || (s.sameInflection() && !forms.sameInflection(w, tag, cand))
            || !seen.add(lower)) {
          continue;
        }
        kept.add(new Neighbour(cand, h.similarity()));
      }
      table.put(k, kept.toArray(NONE));
    }
    return new NeighbourTable(table, oov.size());
  }

  static String wordOf(String key) {
    return key.substring(0, key.lastIndexOf('/'));
  }

  static String tagOf(String key) {
    return key.substring(key.lastIndexOf('/') + 1);
  }

  /** The neighbours of a candidate, best first; empty when it has none. */
  public Neighbour[] get(String word, String tag) {
    Neighbour[] n = table.get(key(word, tag));
    return n == null ? NONE : n;
  }

  /** Number of candidate keys. */
  public int size() {
    return table.size();
  }

  /** Candidate words that the vectors do not know. */
  public int outOfVocabulary() {
    return outOfVocabulary;
  }

  /** Candidate keys left without any neighbour (unknown word, or nothing passed the filters). */
  public int withoutNeighbours() {
    int n = 0;
    for (Neighbour[] v : table.values()) {
      if (v.length == 0) {
        n++;
      }
    }
    return n;
  }

  /** The table as {@code key -> [word (similarity), ...]}, sorted by key; for reports. */
  public Map<String, String> describe(int perKey) {
    Map<String, String> out = new TreeMap<>();
    table.forEach(
        (k, v) -> {
          StringBuilder b = new StringBuilder();
          for (int j = 0; j < Math.min(perKey, v.length); j++) {
            if (j > 0) {
              b.append(", ");
            }
            b.append(v[j].word()).append(String.format(Locale.ROOT, " (%.2f)", v[j].similarity()));
          }
          out.put(k, b.toString());
        });
    return out;
  }
}
