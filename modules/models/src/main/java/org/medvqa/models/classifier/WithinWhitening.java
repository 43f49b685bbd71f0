package org.medvqa.models.classifier;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The neighbours' similarity {@code within} ({@code knn.similarity}): the cosine after whitening by
 * the covariance of the remembered images around the mean of their own answer, so that directions
 * in which images of one answer differ from each other (contrast, window, field of view, the
 * patient) count less than the directions in which answers differ. ImageNet features vary most in
 * what a radiology answer does not depend on; this is the closed-form metric of within-class
 * covariance normalisation, learned from the memory's own answers with no training loop.
 *
 * <p>With {@code S} the within-answer covariance of the unit-norm rows (answers with one image add
 * nothing) and {@code s} = {@code shrinkage} × its mean eigenvalue (trace / d), a row {@code x}
 * becomes {@code unit(L^-1 (x - mean))} where {@code L L^T = S + s I}: any two rows then have the
 * cosine of the Mahalanobis inner product of {@code S + s I}. The shrinkage keeps the directions
 * that no answer group spans (most of them, with a few thousand images in 1,024 dimensions) from
 * being blown up. Without any answer of two images there is no covariance to learn from, and the
 * rows are only centred.
 */
final class WithinWhitening {
  private final float[] mean;

  /** {@code L^-1}, lower triangular, row-major; null when there was no group to learn from. */
  private final double[][] inverseFactor;

  private WithinWhitening(float[] mean, double[][] inverseFactor) {
    this.mean = mean;
    this.inverseFactor = inverseFactor;
  }

  /**
   * The whitening learned from {@code rows} (unit norm, of one width) and their {@code labels}.
   *
   * @throws IllegalArgumentException when shrinkage is not positive or rows and labels differ in
   *     number
   */
  static WithinWhitening fit(List<float[]> rows, List<String> labels, double shrinkage) {
    if (!(shrinkage > 0)) {
      throw new IllegalArgumentException("knn.shrinkage must be above 0, got " + shrinkage);
    }
    if (rows.size() != labels.size() || rows.isEmpty()) {
      throw new IllegalArgumentException(
          rows.size() + " rows and " + labels.size() + " labels: expected the same, at least one");
    }
    int d = rows.get(0).length;
    float[] mean = new float[d];
    for (float[] r : rows) {
      for (int t = 0; t < d; t++) {
        mean[t] += r[t] / rows.size();
      }
    }
    Map<String, List<float[]>> groups = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      groups.computeIfAbsent(labels.get(i), x -> new ArrayList<>()).add(rows.get(i));
    }
    // Deviations of each row from its answer's mean, for the answers with two rows or more.
    List<double[]> deviations = new ArrayList<>();
    for (List<float[]> g : groups.values()) {
      if (g.size() < 2) {
        continue;
      }
      double[] m = new double[d];
      for (float[] r : g) {
        for (int t = 0; t < d; t++) {
          m[t] += r[t] / (double) g.size();
        }
      }
      for (float[] r : g) {
        double[] dev = new double[d];
        for (int t = 0; t < d; t++) {
          dev[t] = r[t] - m[t];
        }
        deviations.add(dev);
      }
    }
    if (deviations.isEmpty()) {
      return new WithinWhitening(mean, null);
    }
    double[][] s = new double[d][d];
    for (double[] dev : deviations) {
      for (int a = 0; a < d; a++) {
        double x = dev[a];
        if (x == 0) {
          continue;
        }
        double[] row = s[a];
        for (int b = 0; b <= a; b++) {
          row[b] += x * dev[b];
        }
      }
    }
    double trace = 0;
    for (int a = 0; a < d; a++) {
      for (int b = 0; b <= a; b++) {
        s[a][b] /= deviations.size();
      }
      trace += s[a][a];
    }
    double ridge = shrinkage * trace / d;
    for (int a = 0; a < d; a++) {
      s[a][a] += ridge > 0 ? ridge : shrinkage;
    }
    return new WithinWhitening(mean, invertLower(cholesky(s)));
  }

  /** {@code x} (unit norm, the fitted width) whitened and at unit norm again. */
  float[] apply(float[] x) {
    int d = mean.length;
    if (x.length != d) {
      throw new IllegalArgumentException(
          "a feature of length " + x.length + " against a whitening learned at " + d);
    }
    double[] c = new double[d];
    for (int t = 0; t < d; t++) {
      c[t] = x[t] - mean[t];
    }
    double[] y = c;
    if (inverseFactor != null) {
      y = new double[d];
      for (int a = 0; a < d; a++) {
        double[] row = inverseFactor[a];
        double v = 0;
        for (int b = 0; b <= a; b++) {
          v += row[b] * c[b];
        }
        y[a] = v;
      }
    }
    double n = 0;
    for (double v : y) {
      n += v * v;
    }
    n = Math.sqrt(n);
    float[] out = new float[d];
    for (int t = 0; t < d; t++) {
      out[t] = n == 0 ? 0 : (float) (y[t] / n);
    }
    return out;
  }

  /**
   * The lower factor {@code L} of a symmetric positive definite matrix given by its lower triangle
   * ({@code a[i][j]}, {@code j <= i}), in place.
   */
  static double[][] cholesky(double[][] a) {
    int d = a.length;
    for (int j = 0; j < d; j++) {
      double[] rj = a[j];
      double sum = rj[j];
      for (int k = 0; k < j; k++) {
        sum -= rj[k] * rj[k];
      }
      if (!(sum > 0)) {
        throw new IllegalStateException("covariance not positive definite at dimension " + j);
      }
      double diag = Math.sqrt(sum);
      rj[j] = diag;
      for (int i = j + 1; i < d; i++) {
        double[] ri = a[i];
        double v = ri[j];
        for (int k = 0; k < j; k++) {
          v -= ri[k] * rj[k];
        }
        ri[j] = v / diag;
      }
    }
    return a;
  }

  /** {@code L^-1} of a lower triangular {@code L} (lower triangle read only). */
  static double[][] invertLower(double[][] l) {
    int d = l.length;
    double[][] inv = new double[d][d];
    for (int c = 0; c < d; c++) {
      inv[c][c] = 1 / l[c][c];
      for (int r = c + 1; r < d; r++) {
        double v = 0;
        for (int k = c; k < r; k++) {
          v -= l[r][k] * inv[k][c];
        }
        inv[r][c] = v / l[r][r];
      }
    }
    return inv;
  }
}
