package org.medvqa.models;

import java.util.List;
import java.util.Locale;
import org.medvqa.models.text.Vocabulary;
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

  /**
   * Word ids [n, length] of {@code texts}, left-padded with {@code <pad>} so that each text's last
   * token is the last time step (a longer text keeps its first {@code length} tokens). No mask goes
   * with it: under Spark training a masked sequence input was read differently from the same graph
   * on the driver (the model fitted its training minibatches and failed on like data), while an
   * unmasked left-padded sequence is read the same way everywhere; the LSTM learns to carry nothing
   * over from the padding.
   */
  public static INDArray leftPadded(List<List<String>> texts, Vocabulary words, int length) {
    int n = texts.size();
    float[] ids = new float[n * length];
    for (int i = 0; i < n; i++) {
      List<String> t = texts.get(i);
      int len = Math.min(t.size(), length);
      int[] enc = words.encode(t, length);
      for (int j = 0; j < len; j++) {
        ids[i * length + length - len + j] = enc[j];
      }
    }
    return Nd4j.create(ids, new long[] {n, length}, DataType.FLOAT);
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
      if (right(predicted.get(i).get(0), examples.get(i))) {
        right++;
      }
    }
    return (double) right / examples.size();
  }

  /**
   * {@link #accuracy} within each category of {@code examples}, keyed {@code accuracy_<category>}
   * in the categories' alphabetical order: the classifier kinds' {@link VqaModel#probes}, so that
   * the trainer's log and {@code probes.jsonl} show which categories an epoch moved (the overall
   * score can stay flat while one category rises and another falls).
   */
  public static java.util.Map<String, Double> accuracyByCategory(
      List<List<String>> predicted, List<Example> examples) {
    java.util.Map<String, int[]> counts = new java.util.TreeMap<>();
    for (int i = 0; i < examples.size(); i++) {
      int[] c = counts.computeIfAbsent(examples.get(i).category(), k -> new int[2]);
      c[0] += right(predicted.get(i).get(0), examples.get(i)) ? 1 : 0;
      c[1]++;
    }
    java.util.Map<String, Double> out = new java.util.LinkedHashMap<>();
    counts.forEach((k, c) -> out.put("accuracy_" + k, (double) c[0] / c[1]));
    return out;
  }

  /** Whether {@code answer} equals one of {@code e}'s references ({@link #key}). */
  public static boolean right(String answer, Example e) {
    String p = key(answer);
    for (String r : e.answers()) {
      if (key(r).equals(p)) {
        return true;
      }
    }
    return false;
  }
}
