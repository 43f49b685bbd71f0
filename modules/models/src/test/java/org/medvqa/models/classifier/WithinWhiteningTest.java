package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The whitening of the {@code within} similarity: its factor, a case worked by hand, edge cases.
 */
class WithinWhiteningTest {
  @Test
  void theFactorAndItsInverseOfARandomCovariance() {
    int d = 12;
    Random r = new Random(5);
    double[][] x = new double[30][d];
    for (double[] row : x) {
      for (int t = 0; t < d; t++) {
        row[t] = r.nextGaussian();
      }
    }
    double[][] a = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        for (double[] row : x) {
          a[i][j] += row[i] * row[j];
        }
      }
    }
    double[][] l = WithinWhitening.lowerFactor(org.nd4j.linalg.factory.Nd4j.create(a));
    double[][] inv = WithinWhitening.invertLower(l);
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double llt = 0;
        double lInv = 0;
        for (int k = 0; k <= j; k++) {
          llt += l[i][k] * l[j][k];
        }
        for (int k = j; k <= i; k++) {
          lInv += l[i][k] * inv[k][j];
        }
        assertEquals(a[i][j], llt, 1e-9 * Math.abs(a[i][i]), "L L^T at " + i + "," + j);
        assertEquals(i == j ? 1 : 0, lInv, 1e-9, "L L^-1 at " + i + "," + j);
      }
      for (int j = i + 1; j < d; j++) {
        assertEquals(0, l[i][j], "L above the diagonal at " + i + "," + j);
        assertEquals(0, inv[i][j], "L^-1 above the diagonal at " + i + "," + j);
      }
    }
    a[3][3] = -1;
    assertThrows(
        IllegalStateException.class,
        () -> WithinWhitening.lowerFactor(org.nd4j.linalg.factory.Nd4j.create(a)));
  }

  /**
   * At the blend's widths: where ND4J's OpenBLAS runs its SkylakeX kernels (an Intel CPU with
   * AVX-512 and no {@code OPENBLAS_CORETYPE}), its {@code potrf} called this covariance not
   * positive definite (info 385) before the factor was checked.
   */
  @Test
  void theFactorOfACovarianceAtAFeatureWidthIsRightOnAnyOpenBlasKernels() {
    int d = 1024;
    int n = 1100;
    Random r = new Random(11);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian() * 0.03;
    }
    org.nd4j.linalg.api.ndarray.INDArray rows =
        org.nd4j.linalg.factory.Nd4j.create(x, new long[] {n, d}, 'c');
    org.nd4j.linalg.api.ndarray.INDArray a = rows.transpose().mmul(rows).divi(n);
    for (int i = 0; i < d; i++) {
      a.putScalar(i, i, a.getDouble(i, i) + 1e-4);
    }
    double[][] l = WithinWhitening.lowerFactor(a);
    for (int probe = 0; probe < 3000; probe++) {
      int i = r.nextInt(d);
      int j = r.nextInt(i + 1);
      double llt = 0;
      for (int k = 0; k <= j; k++) {
        llt += l[i][k] * l[j][k];
      }
      assertEquals(a.getDouble(i, j), llt, 1e-12, "L L^T at " + i + "," + j);
      if (j < i) {
        assertEquals(0, l[j][i], "L above the diagonal at " + j + "," + i);
      }
    }
  }

  @Test
  void theCheckRefusesAWrongFactorAndTheRowAlgorithmAgreesWithLapack() {
    int d = 40;
    Random r = new Random(3);
    double[][] a = new double[d][d];
    for (int k = 0; k < 3 * d; k++) {
      double[] v = new double[d];
      for (int t = 0; t < d; t++) {
        v[t] = r.nextGaussian();
      }
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          a[i][j] += v[i] * v[j] / (3 * d);
        }
      }
    }
    double[][] lapack = WithinWhitening.lowerFactor(org.nd4j.linalg.factory.Nd4j.create(a));
    double[][] rows = WithinWhitening.choleskyRows(a);
    for (int i = 0; i < d; i++) {
      assertArrayEquals(lapack[i], rows[i], 1e-10, "row " + i);
    }
    assertTrue(WithinWhitening.factors(rows, a));
    rows[d - 1][d / 2] += 1e-4;
    assertFalse(WithinWhitening.factors(rows, a), "one entry off by 1e-4");
    a[d - 1][d - 1] = -1;
    assertThrows(IllegalStateException.class, () -> WithinWhitening.choleskyRows(a));
  }

  @Test
  void aBatchIsWhitenedAsItsRowsOneByOne() {
    Random r = new Random(8);
    List<float[]> rows = new java.util.ArrayList<>();
    List<String> labels = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      float[] x = new float[6];
      for (int t = 0; t < x.length; t++) {
        x[t] = (float) r.nextGaussian();
      }
      rows.add(x);
      labels.add("answer " + i % 5);
    }
    WithinWhitening w = WithinWhitening.fit(rows, labels, 0.1);
    List<float[]> batch = w.applyAll(rows);
    assertEquals(rows.size(), batch.size());
    for (int i = 0; i < rows.size(); i++) {
      assertArrayEquals(w.apply(rows.get(i)), batch.get(i), 1e-6f, "row " + i);
    }
    assertEquals(List.of(), w.applyAll(List.of()));
  }

  @Test
  void aCaseWorkedByHand() {
    // Two answers whose images differ only along the first axis: the within-answer covariance is
    // diag(1, 0); with shrinkage 1 (x the mean eigenvalue 0.5) the metric is diag(1.5, 0.5)^-1,
    // so the second axis, along which the answers differ, counts three times as much.
    List<float[]> rows =
        List.of(new float[] {2, 1}, new float[] {0, 1}, new float[] {2, -1}, new float[] {0, -1});
    WithinWhitening w = WithinWhitening.fit(rows, List.of("a", "a", "b", "b"), 1.0);
    // (2, 1) - the mean (1, 0) = (1, 1) -> (1 / sqrt 1.5, 1 / sqrt 0.5), at unit norm (0.5, 0.866).
    assertArrayEquals(
        new float[] {0.5f, (float) Math.sqrt(0.75)}, w.apply(new float[] {2, 1}), 1e-6f);
  }

  @Test
  void withoutAnAnswerOfTwoImagesTheRowsAreOnlyCentred() {
    List<float[]> rows = List.of(new float[] {3, 1}, new float[] {1, 1});
    WithinWhitening w = WithinWhitening.fit(rows, List.of("a", "b"), 0.1);
    assertArrayEquals(new float[] {1, 0}, w.apply(new float[] {3, 1}), 1e-6f);
  }

  @Test
  void badSettingsAndWidthsAreRefused() {
    List<float[]> rows = List.of(new float[] {1, 0}, new float[] {0, 1});
    assertThrows(
        IllegalArgumentException.class, () -> WithinWhitening.fit(rows, List.of("a", "a"), 0));
    assertThrows(
        IllegalArgumentException.class, () -> WithinWhitening.fit(rows, List.of("a"), 0.1));
    WithinWhitening w = WithinWhitening.fit(rows, List.of("a", "a"), 0.1);
    assertThrows(IllegalArgumentException.class, () -> w.apply(new float[] {1, 0, 0}));
  }
}
