package org.medvqa.models;

import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What every model kind does alike with a list of examples. */
public final class Batches {
  private Batches() {}

  /** The examples' image arrays as one [n, length] array; each must have {@code length} floats. */
  public static INDArray images(List<Example> examples, int length) {
    float[] flat = new float[examples.size() * length];
    for (int i = 0; i < examples.size(); i++) {
      float[] f = examples.get(i).image();
      if (f == null || f.length != length) {
        throw new IllegalArgumentException(
            "example "
                + examples.get(i).sampleId()
                + ": image feature "
                + (f == null ? "missing" : "of length " + f.length)
                + ", expected "
                + length);
      }
      System.arraycopy(f, 0, flat, i * length, length);
    }
    return Nd4j.create(flat, new long[] {examples.size(), length}, DataType.FLOAT);
  }

  /** The length of the first image array among {@code examples}; 2048 (ResNet50) without one. */
  public static int featureSize(List<Example> examples) {
    for (Example e : examples) {
      if (e.image() != null) {
        return e.image().length;
      }
    }
    return 2048;
  }

  /** Answers compare trimmed and lower-cased, as the official accuracy ignores case. */
  public static String key(String answer) {
    return answer.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * The share of examples whose first prediction equals one of its references ({@link #key}); NaN
   * for no examples.
   */
  public static double accuracy(List<List<String>> predicted, List<Example> examples) {
    if (examples.isEmpty()) {
      return Double.NaN;
    }
    int right = 0;
    for (int i = 0; i < examples.size(); i++) {
      String p = key(predicted.get(i).get(0));
      for (String r : examples.get(i).answers()) {
        if (key(r).equals(p)) {
          right++;
          break;
        }
      }
    }
    return (double) right / examples.size();
  }
}
