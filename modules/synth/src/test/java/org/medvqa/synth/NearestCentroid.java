package org.medvqa.synth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simplest classifier there is: standardise each feature, average the examples of each label,
 * and predict the label whose average is closest. If this beats chance by far, the images carry the
 * answers.
 */
final class NearestCentroid {
  private final double[] mean;
  private final double[] scale;
  private final Map<String, double[]> centroids = new HashMap<>();

  NearestCentroid(List<double[]> features, List<String> labels) {
    int d = features.get(0).length;
    mean = new double[d];
    scale = new double[d];
    for (double[] f : features) {
      for (int j = 0; j < d; j++) {
        mean[j] += f[j] / features.size();
      }
    }
    for (double[] f : features) {
      for (int j = 0; j < d; j++) {
        scale[j] += (f[j] - mean[j]) * (f[j] - mean[j]) / features.size();
      }
    }
    for (int j = 0; j < d; j++) {
      scale[j] = Math.sqrt(scale[j]) + 1e-9;
    }
    Map<String, List<double[]>> byLabel = new HashMap<>();
    for (int i = 0; i < features.size(); i++) {
      byLabel.computeIfAbsent(labels.get(i), k -> new ArrayList<>()).add(standard(features.get(i)));
    }
    byLabel.forEach(
        (label, rows) -> {
          double[] c = new double[d];
          for (double[] r : rows) {
            for (int j = 0; j < d; j++) {
              c[j] += r[j] / rows.size();
            }
          }
          centroids.put(label, c);
        });
  }

  String predict(double[] features) {
    double[] f = standard(features);
    String best = null;
    double bestDistance = Double.MAX_VALUE;
    for (Map.Entry<String, double[]> e : centroids.entrySet()) {
      double d = 0;
      for (int j = 0; j < f.length; j++) {
        d += (f[j] - e.getValue()[j]) * (f[j] - e.getValue()[j]);
      }
      // Ties broken by label so the result never depends on hash order.
      if (d < bestDistance || (d == bestDistance && e.getKey().compareTo(best) < 0)) {
        bestDistance = d;
        best = e.getKey();
      }
    }
    return best;
  }

  private double[] standard(double[] f) {
    double[] s = new double[f.length];
    for (int j = 0; j < f.length; j++) {
      s[j] = (f[j] - mean[j]) / scale[j];
    }
    return s;
  }
}
