package org.medvqa.augment.text;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A word-embedding space held in memory: the vocabulary and one row per word, normalised to unit
 * length once when built, so that a dot product is the cosine similarity. Rows are one flat {@code
 * float[]} (row-major) for the batched search of {@link NeighbourSearch}. Immutable; safe to share
 * between threads.
 */
public final class WordVectors {
  private final String[] words;
  private final float[] data;
  private final int dim;
  private final Map<String, Integer> index;
  private final String source;

  private WordVectors(String[] words, float[] data, int dim, String source) {
    this.words = words;
    this.data = data;
    this.dim = dim;
    this.source = source;
    this.index = new HashMap<>(words.length * 2);
    for (int i = 0; i < words.length; i++) {
      index.putIfAbsent(words[i], i);
    }
  }

  /**
   * A space over {@code words} whose rows are {@code rows[i*dim .. (i+1)*dim)}. The rows are
   * normalised in place unless {@code normalised} says they already are. Words must be distinct
   * (use {@link Builder} for input that may repeat a word).
   *
   * @throws IllegalArgumentException when the sizes do not agree or a word repeats
   */
  public static WordVectors of(
      String[] words, float[] rows, int dim, boolean normalised, String source) {
    if (dim <= 0) {
      throw new IllegalArgumentException("dimension must be positive, got " + dim);
    }
    if ((long) words.length * dim != rows.length) {
      throw new IllegalArgumentException(
          words.length
              + " words of dimension "
              + dim
              + " need "
              + (long) words.length * dim
              + " numbers, got "
              + rows.length);
    }
    if (!normalised) {
      normalise(rows, dim);
    }
    WordVectors v = new WordVectors(words, rows, dim, source);
    if (v.index.size() != words.length) {
      throw new IllegalArgumentException(
          (words.length - v.index.size()) + " words appear more than once");
    }
    return v;
  }

  /** Scales each row to unit length; a zero row stays zero (similarity 0 to everything). */
  static void normalise(float[] rows, int dim) {
    for (int off = 0; off < rows.length; off += dim) {
      double sum = 0;
      for (int k = 0; k < dim; k++) {
        sum += (double) rows[off + k] * rows[off + k];
      }
      if (sum > 0) {
        double inv = 1.0 / Math.sqrt(sum);
        for (int k = 0; k < dim; k++) {
          rows[off + k] = (float) (rows[off + k] * inv);
        }
      }
    }
  }

  /** Number of words. */
  public int size() {
    return words.length;
  }

  /** Dimensions of each vector. */
  public int dim() {
    return dim;
  }

  /** Where the vectors came from (a file name, a package, a training run), for provenance. */
  public String source() {
    return source;
  }

  /** The i-th word. */
  public String word(int i) {
    return words[i];
  }

  /** The row of a word, or -1 when the word is not in the vocabulary. */
  public int indexOf(String word) {
    Integer i = index.get(word);
    return i == null ? -1 : i;
  }

  public boolean contains(String word) {
    return index.containsKey(word);
  }

  /** A copy of the unit vector of a word, or null when it is not in the vocabulary. */
  public float[] vector(String word) {
    int i = indexOf(word);
    return i < 0 ? null : Arrays.copyOfRange(data, i * dim, (i + 1) * dim);
  }

  /** Cosine similarity of two words, or NaN when either is not in the vocabulary. */
  public double similarity(String a, String b) {
    int i = indexOf(a);
    int j = indexOf(b);
    if (i < 0 || j < 0) {
      return Double.NaN;
    }
    double s = 0;
    for (int k = 0; k < dim; k++) {
      s += (double) data[i * dim + k] * data[j * dim + k];
    }
    return s;
  }

  /** The rows, row-major and normalised; not copied, so callers must not change them. */
  float[] rows() {
    return data;
  }

  /**
   * Collects words and vectors from a file that may repeat a word (the first occurrence is kept,
   * later ones are counted in {@link #duplicates()}) and stops at a word limit.
   */
  public static final class Builder {
    private final int dim;
    private final int maxWords;
    private final Map<String, Integer> seen = new HashMap<>();
    private String[] words = new String[1024];
    private float[] rows;
    private int n;
    private long duplicates;

    /**
     * @param dim dimensions of every vector
     * @param maxWords stop accepting words after this many; 0 for no limit
     */
    public Builder(int dim, int maxWords) {
      if (dim <= 0) {
        throw new IllegalArgumentException("dimension must be positive, got " + dim);
      }
      this.dim = dim;
      this.maxWords = maxWords;
      this.rows = new float[1024 * dim];
    }

    public int dim() {
      return dim;
    }

    /** True when the word limit is reached and further words are ignored. */
    public boolean full() {
      return maxWords > 0 && n >= maxWords;
    }

    /** Words accepted so far. */
    public int size() {
      return n;
    }

    /** Words that came again after their first occurrence and were ignored. */
    public long duplicates() {
      return duplicates;
    }

    /** Adds a word with its vector, read from {@code v[off .. off+dim)}; a repeat is ignored. */
    public void add(String word, float[] v, int off) {
      if (full()) {
        return;
      }
      if (seen.putIfAbsent(word, n) != null) {
        duplicates++;
        return;
      }
      if (n == words.length) {
        int cap = words.length * 2;
        words = Arrays.copyOf(words, cap);
        rows = Arrays.copyOf(rows, cap * dim);
      }
      words[n] = word;
      System.arraycopy(v, off, rows, n * dim, dim);
      n++;
    }

    /** The space, with its rows normalised. */
    public WordVectors build(String source) {
      return WordVectors.of(
          Arrays.copyOf(words, n), Arrays.copyOf(rows, n * dim), dim, false, source);
    }
  }
}
