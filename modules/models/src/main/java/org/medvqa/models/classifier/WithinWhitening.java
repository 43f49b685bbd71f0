package org.medvqa.models.classifier;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.blas.BlasException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

  /**
   * {@code (L^-1)^T} [d, d], so that a batch of centred rows times it is the batch whitened; null
   * when there was no group to learn from.
   */
  private final INDArray transposedInverse;

  private WithinWhitening(float[] mean, INDArray transposedInverse) {
    this.mean = mean;
    this.transposedInverse = transposedInverse;
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
    // Deviations of each row from its answer's mean, for the answers with two rows or more, written
    // straight into the matrix BLAS takes.
    int n = 0;
    for (List<float[]> g : groups.values()) {
      n += g.size() < 2 ? 0 : g.size();
    }
    if (n == 0) {
      return new WithinWhitening(mean, null);
    }
    double[] flat = new double[n * d];
    int at = 0;
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
        for (int t = 0; t < d; t++) {
          flat[at++] = r[t] - m[t];
        }
      }
    }
    // The covariance and its factor through BLAS and LAPACK: at the 4,096 values of a quadrant
    // grid, loops over Java arrays took minutes per category where these take seconds.
    INDArray dev = Nd4j.create(flat, new long[] {n, d}, 'c');
    INDArray s = dev.transpose().mmul(dev).divi(n);
    double trace = 0;
    for (int a = 0; a < d; a++) {
      trace += s.getDouble(a, a);
    }
    double ridge = shrinkage * trace / d;
    for (int a = 0; a < d; a++) {
      s.putScalar(a, a, s.getDouble(a, a) + (ridge > 0 ? ridge : shrinkage));
    }
    double[][] inverse = invertLower(lowerFactor(s));
    float[] transposed = new float[d * d];
    for (int a = 0; a < d; a++) {
      for (int b = 0; b <= a; b++) {
        transposed[b * d + a] = (float) inverse[a][b];
      }
    }
    return new WithinWhitening(mean, Nd4j.create(transposed, new long[] {d, d}, 'c'));
  }

  /** {@code x} (unit norm, the fitted width) whitened and at unit norm again. */
  float[] apply(float[] x) {
    return applyAll(List.of(x)).get(0);
  }

  /** Each of {@code rows} (unit norm, the fitted width) whitened and at unit norm again. */
  List<float[]> applyAll(List<float[]> rows) {
    int d = mean.length;
    float[] centred = new float[rows.size() * d];
    for (int i = 0; i < rows.size(); i++) {
      float[] x = rows.get(i);
      if (x.length != d) {
        throw new IllegalArgumentException(
            "a feature of length " + x.length + " against a whitening learned at " + d);
      }
      for (int t = 0; t < d; t++) {
        centred[i * d + t] = x[t] - mean[t];
      }
    }
    float[] y = centred;
    if (transposedInverse != null && !rows.isEmpty()) {
      y =
          Nd4j.create(centred, new long[] {rows.size(), d}, 'c')
              .mmul(transposedInverse)
              .data()
              .asFloat();
    }
    List<float[]> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      double n = 0;
      for (int t = 0; t < d; t++) {
        n += (double) y[i * d + t] * y[i * d + t];
      }
      n = Math.sqrt(n);
      float[] row = new float[d];
      for (int t = 0; t < d; t++) {
        row[t] = n == 0 ? 0 : (float) (y[i * d + t] / n);
      }
      out.add(row);
    }
    return out;
  }

  /**
   * The lower factor {@code L} of a symmetric positive definite matrix ({@code L L^T = a}):
   * LAPACK's {@code potrf}, checked, else computed here.
   *
   * <p>Why checked: ND4J's OpenBLAS (0.3.19, built for every x86 CPU at once) runs wrong AVX-512
   * double kernels inside {@code potrf} on Intel CPUs it detects as SkylakeX (Sapphire Rapids
   * included) unless {@code OPENBLAS_CORETYPE} pins older kernels: it reports a positive definite
   * covariance as not positive definite (OpenBLAS issues 2986 and 3454, fixed after 0.3.19). A
   * factor that fails the check is computed again by {@link #choleskyRows}, which says whether the
   * matrix really is positive definite.
   *
   * @throws IllegalStateException when {@code a} is not positive definite
   */
  static double[][] lowerFactor(INDArray a) {
    INDArray f = a.castTo(DataType.DOUBLE).dup('f');
    double[][] m = f.toDoubleMatrix();
    double[][] l = lapackFactor(f);
    return l != null && factors(l, m) ? l : choleskyRows(m);
  }

  /** {@code potrf}'s lower factor of {@code f} (double, column-major; overwritten), or null. */
  private static double[][] lapackFactor(INDArray f) {
    try {
      Nd4j.getBlasWrapper().lapack().potrf(f, true);
    } catch (BlasException e) {
      return null;
    }
    double[][] l = f.toDoubleMatrix();
    for (int i = 0; i < l.length; i++) {
      if (!(l[i][i] > 0)) {
        return null;
      }
      java.util.Arrays.fill(l[i], i + 1, l.length, 0);
    }
    return l;
  }

  /**
   * Whether {@code L L^T v} equals {@code m v} (to 1e-6 of its norm) for two seeded random vectors
   * {@code v}: a wrong factor fails this with probability one, at the cost of a few matrix-vector
   * products instead of a whole {@code L L^T}. A right factor's rounding stays far below 1e-6 at
   * these widths and shrinkages; a factor refused by mistake only costs the time of computing it
   * again.
   */
  static boolean factors(double[][] l, double[][] m) {
    int d = m.length;
    java.util.Random random = new java.util.Random(d);
    for (int probe = 0; probe < 2; probe++) {
      double[] v = new double[d];
      for (int i = 0; i < d; i++) {
        v[i] = random.nextGaussian();
      }
      double[] ltv = new double[d];
      for (int k = 0; k < d; k++) {
        double[] lk = l[k];
        for (int i = 0; i <= k; i++) {
          ltv[i] += lk[i] * v[k];
        }
      }
      double err = 0;
      double norm = 0;
      for (int i = 0; i < d; i++) {
        double[] li = l[i];
        double[] mi = m[i];
        double llt = 0;
        double mv = 0;
        for (int k = 0; k <= i; k++) {
          llt += li[k] * ltv[k];
        }
        for (int k = 0; k < d; k++) {
          mv += mi[k] * v[k];
        }
        err += (llt - mv) * (llt - mv);
        norm += mv * mv;
      }
      if (!(err <= 1e-12 * norm)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The lower factor by Cholesky-Banachiewicz, row by row: {@code L[i][j]} is ({@code m[i][j]} less
   * the dot product of rows i and j of {@code L} before column j) / {@code L[j][j]}, each dot
   * product a pass along two rows.
   *
   * @throws IllegalStateException when {@code m} is not positive definite
   */
  static double[][] choleskyRows(double[][] m) {
    int d = m.length;
    double[][] l = new double[d][d];
    for (int i = 0; i < d; i++) {
      double[] li = l[i];
      for (int j = 0; j <= i; j++) {
        double[] lj = l[j];
        // Four sums side by side: one chain of dependent additions would wait on each.
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < j; k += 4) {
          s0 += li[k] * lj[k];
          s1 += li[k + 1] * lj[k + 1];
          s2 += li[k + 2] * lj[k + 2];
          s3 += li[k + 3] * lj[k + 3];
        }
        for (; k < j; k++) {
          s0 += li[k] * lj[k];
        }
        double rest = m[i][j] - ((s0 + s1) + (s2 + s3));
        if (i == j) {
          if (!(rest > 0)) {
            throw new IllegalStateException("covariance not positive definite at dimension " + i);
          }
          li[i] = Math.sqrt(rest);
        } else {
          li[j] = rest / lj[j];
        }
      }
    }
    return l;
  }

  /**
   * {@code L^-1} of a lower triangular {@code L} (lower triangle read only), row by row: row r is
   * (e_r - sum over k < r of L[r][k] times row k) / L[r][r], each step a pass along a row.
   */
  static double[][] invertLower(double[][] l) {
    int d = l.length;
    double[][] inv = new double[d][d];
    for (int r = 0; r < d; r++) {
      double[] row = inv[r];
      double[] lr = l[r];
      for (int k = 0; k < r; k++) {
        double f = lr[k];
        if (f == 0) {
          continue;
        }
        double[] rk = inv[k];
        for (int c = 0; c <= k; c++) {
          row[c] -= f * rk[c];
        }
      }
      double diag = lr[r];
      for (int c = 0; c < r; c++) {
        row[c] /= diag;
      }
      row[r] = 1 / diag;
    }
    return inv;
  }
}
