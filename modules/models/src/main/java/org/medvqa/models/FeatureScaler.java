package org.medvqa.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-dimension standardisation of image features, (x - mean) / std with the training examples'
 * statistics, saved with the model. Pooled ReLU features are non-negative and share a large common
 * component; scaling each row to unit norm keeps that component and leaves the part that differs
 * between images small, which is where the VAEs' encoders lost the image. After standardisation
 * every dimension varies by about 1 across images, the role batch normalisation plays in the
 * author's encoder.
 */
public record FeatureScaler(float[] mean, float[] std) implements Serializable {
  /** Dimensions that never vary (dead ReLU units) keep a scale of 1 instead of dividing by 0. */
  private static final double MIN_STD = 1e-6;

  public FeatureScaler {
    if (mean.length != std.length) {
      throw new IllegalArgumentException(
          "mean and std differ in length: " + mean.length + " and " + std.length);
    }
  }

  /** Statistics of the image features of {@code examples} (those without one are skipped). */
  public static FeatureScaler fit(List<Example> examples, int length) {
    List<float[]> rows = new ArrayList<>(examples.size());
    for (Example e : examples) {
      float[] f = e.image();
      if (f == null) {
        continue;
      }
      if (f.length != length) {
        throw new IllegalArgumentException(
            "example "
                + e.sampleId()
                + ": image feature of length "
                + f.length
                + ", expected "
                + length);
      }
      rows.add(f);
    }
    return fitRows(rows, length);
  }

  /** Statistics of feature vectors of {@code length} values each. */
  public static FeatureScaler fitRows(List<float[]> rows, int length) {
    double[] sum = new double[length];
    double[] sq = new double[length];
    for (float[] f : rows) {
      for (int j = 0; j < length; j++) {
        sum[j] += f[j];
        sq[j] += (double) f[j] * f[j];
      }
    }
    return fromMoments(rows.size(), sum, sq);
  }

  /**
   * The statistics of {@code n} feature vectors from their per-dimension sums and sums of squares
   * (computed wherever the features are, e.g. on Spark executors). With no vector, the identity.
   */
  public static FeatureScaler fromMoments(long n, double[] sum, double[] sumSq) {
    int length = sum.length;
    float[] mean = new float[length];
    float[] std = new float[length];
    for (int j = 0; j < length; j++) {
      double m = n == 0 ? 0 : sum[j] / n;
      double sd = n == 0 ? 1 : Math.sqrt(Math.max(0, sumSq[j] / n - m * m));
      mean[j] = (float) m;
      std[j] = (float) (sd < MIN_STD ? 1 : sd);
    }
    return new FeatureScaler(mean, std);
  }

  /** Fails unless the statistics are of {@code features} dimensions. */
  public void requireWidth(int features) {
    if (mean.length != features) {
      throw new IllegalArgumentException(
          "feature scaler of " + mean.length + " dimensions for " + features + " features");
    }
  }

  /** This scaler with the means kept and every scale 1: centring only. */
  public FeatureScaler centringOnly() {
    float[] one = new float[std.length];
    java.util.Arrays.fill(one, 1);
    return new FeatureScaler(mean, one);
  }

  /** One feature vector, standardised (a new array). */
  public float[] apply(float[] f) {
    float[] out = new float[f.length];
    for (int j = 0; j < f.length; j++) {
      out[j] = (f[j] - mean[j]) / std[j];
    }
    return out;
  }

  /** The examples' features [n, length], standardised. */
  public INDArray apply(List<Example> examples) {
    INDArray x = Batches.images(examples, mean.length);
    return x.subiRowVector(Nd4j.create(mean)).diviRowVector(Nd4j.create(std));
  }

  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    ArrayNode m = o.putArray("mean");
    ArrayNode s = o.putArray("std");
    for (int j = 0; j < mean.length; j++) {
      m.add(mean[j]);
      s.add(std[j]);
    }
    return o;
  }

  public static FeatureScaler fromJson(JsonNode o) {
    JsonNode m = o.get("mean");
    JsonNode s = o.get("std");
    if (m == null || s == null || !m.isArray() || !s.isArray()) {
      throw new IllegalArgumentException("feature scaler needs arrays 'mean' and 'std'");
    }
    float[] mean = new float[m.size()];
    float[] std = new float[s.size()];
    for (int j = 0; j < mean.length; j++) {
      mean[j] = (float) m.get(j).asDouble();
    }
    for (int j = 0; j < std.length; j++) {
      std[j] = (float) s.get(j).asDouble();
    }
    return new FeatureScaler(mean, std);
  }
}
