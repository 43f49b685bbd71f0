package org.medvqa.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A token-to-index table built from training data only (the reference implementation built its
 * answer vocabulary from the test answers too; a model must not know answers it was never shown).
 *
 * <p>Indices 0-3 are reserved: {@link #PAD} (padding; masked out everywhere), {@link #START} (the
 * decoder's first input), {@link #END} (the decoder's last output) and {@link #UNKNOWN} (a token
 * seen fewer than the minimum count, or never). The rest are ordered by descending count, ties by
 * token, so the same data always gives the same indices.
 */
public final class Vocabulary implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  public static final String PAD = "<pad>";
  public static final String START = "<s>";
  public static final String END = "</s>";
  public static final String UNKNOWN = "<unk>";
  public static final int PAD_ID = 0;
  public static final int START_ID = 1;
  public static final int END_ID = 2;
  public static final int UNKNOWN_ID = 3;
  private static final List<String> RESERVED = List.of(PAD, START, END, UNKNOWN);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> tokens;
  private final Map<String, Integer> index;
  private final Map<String, Long> counts;

  private Vocabulary(List<String> tokens, Map<String, Long> counts) {
    this.tokens = List.copyOf(tokens);
    this.counts = Map.copyOf(counts);
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < tokens.size(); i++) {
      if (idx.put(tokens.get(i), i) != null) {
        throw new IllegalArgumentException("token '" + tokens.get(i) + "' occurs twice");
      }
    }
    this.index = idx;
  }

  /** Builds from token counts: every token with at least {@code minCount} occurrences. */
  public static Vocabulary fromCounts(Map<String, Long> counts, int minCount) {
    if (minCount < 1) {
      throw new IllegalArgumentException("minimum count must be at least 1, got " + minCount);
    }
    for (String r : RESERVED) {
      if (counts.containsKey(r)) {
        throw new IllegalArgumentException(
            "the training text contains the reserved token '" + r + "'");
      }
    }
    List<String> tokens = new ArrayList<>(RESERVED);
    Map<String, Long> keptCounts = new HashMap<>();
    for (String w : ranked(counts, minCount)) {
      tokens.add(w);
      keptCounts.put(w, counts.get(w));
    }
    return new Vocabulary(tokens, keptCounts);
  }

  /**
   * The keys counted at least {@code minCount} times, most frequent first, ties by key: the same
   * counts always give the same order.
   */
  public static List<String> ranked(Map<String, Long> counts, long minCount) {
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
    return kept.stream().map(Map.Entry::getKey).toList();
  }

  /** Counts the tokens of {@code texts} and builds from them. */
  public static Vocabulary build(Iterable<List<String>> texts, int minCount) {
    Map<String, Long> counts = new HashMap<>();
    for (List<String> t : texts) {
      for (String w : t) {
        counts.merge(w, 1L, Long::sum);
      }
    }
    return fromCounts(counts, minCount);
  }

  public int size() {
    return tokens.size();
  }

  /** The index of {@code token}, or {@link #UNKNOWN_ID}. */
  public int id(String token) {
    return index.getOrDefault(token, UNKNOWN_ID);
  }

  public boolean contains(String token) {
    return index.containsKey(token);
  }

  public String token(int id) {
    return tokens.get(id);
  }

  /** Training count of a token (0 for reserved or unknown tokens). */
  public long count(String token) {
    return counts.getOrDefault(token, 0L);
  }

  public List<String> tokens() {
    return Collections.unmodifiableList(tokens);
  }

  /**
   * Indices of {@code words}, cut to {@code maxLength} and right-padded with {@link #PAD_ID}; the
   * caller's mask is {@code min(words.size(), maxLength)} ones.
   */
  public int[] encode(List<String> words, int maxLength) {
    int[] out = new int[maxLength];
    for (int i = 0; i < Math.min(words.size(), maxLength); i++) {
      out[i] = id(words.get(i));
    }
    return out;
  }

  /**
   * Words of {@code ids} up to the first {@link #END_ID} or {@link #PAD_ID}; no reserved tokens.
   */
  public List<String> decode(int[] ids) {
    List<String> out = new ArrayList<>();
    for (int id : ids) {
      if (id == END_ID || id == PAD_ID) {
        break;
      }
      if (id != START_ID) {
        out.add(tokens.get(id));
      }
    }
    return out;
  }

  /** {@code {"tokens": [...], "counts": [...]}}, reserved tokens first with count 0. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode t = root.putArray("tokens");
    ArrayNode c = root.putArray("counts");
    for (String w : tokens) {
      t.add(w);
      c.add(count(w));
    }
    return root.toPrettyString();
  }

  public static Vocabulary fromJson(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      JsonNode t = root.get("tokens");
      JsonNode c = root.get("counts");
      if (t == null || !t.isArray() || c == null || c.size() != t.size()) {
        throw new IllegalArgumentException("expected arrays 'tokens' and 'counts' of equal length");
      }
      List<String> tokens = new ArrayList<>();
      Map<String, Long> counts = new HashMap<>();
      for (int i = 0; i < t.size(); i++) {
        tokens.add(t.get(i).asText());
        if (i >= RESERVED.size()) {
          counts.put(t.get(i).asText(), c.get(i).asLong());
        }
      }
      if (tokens.size() < RESERVED.size() || !tokens.subList(0, 4).equals(RESERVED)) {
        throw new IllegalArgumentException("the first four tokens must be " + RESERVED);
      }
      return new Vocabulary(tokens, counts);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not a vocabulary: " + e.getOriginalMessage(), e);
    }
  }
}
