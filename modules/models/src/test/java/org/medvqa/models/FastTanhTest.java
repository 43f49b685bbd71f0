package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastTanhTest {

  @Test
  void tanhWithinAMillionthOfMathTanh() {
    int n = 600_001;
    float[] v = new float[n + 3];
    for (int i = 0; i < n; i++) {
      v[i] = -30f + 60f * i / (n - 1);
    }
    float[] x = v.clone();
    FastTanh.tanh(v, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(v[i] - Math.tanh(x[i])));
      assertTrue(Math.abs(v[i]) <= 1f, "tanh(" + x[i] + ") = " + v[i]);
    }
    assertTrue(worst < 1e-6, "largest error " + worst);
    assertTrue(worst > 0, "an approximation, not Math.tanh"); // the bound above is the claim
    assertEquals(0f, v[n], 0f); // past length: untouched
    // Odd, exact at 0, saturated far out.
    float[] w = {0f, 1e-20f, -1e-20f, 100f, -100f, Float.MAX_VALUE, Float.NaN};
    FastTanh.tanh(w, w.length);
    assertEquals(0f, w[0], 0f);
    assertEquals(1e-20f, w[1], 1e-26f);
    assertEquals(-1e-20f, w[2], 1e-26f);
    assertEquals(1f, w[3], 3e-8f);
    assertEquals(-1f, w[4], 3e-8f);
    assertEquals(1f, w[5], 3e-8f);
    assertTrue(Float.isNaN(w[6]), "NaN stays NaN");
  }

  @Test
  void gatesAreTanhThenSigmoidsOfTheBiasedInput() {
    int n = 5;
    int g = 4 * n;
    int rows = 3;
    float[] z = new float[rows * g];
    float[] bias = new float[rows * g];
    float[] scale = new float[rows * g];
    float[] shift = new float[rows * g];
    for (int k = 0; k < z.length; k++) {
      z[k] = (float) Math.sin(k) * 6f;
      bias[k] = (k % g) * 0.01f - 0.1f;
      boolean block = k % g < n;
      scale[k] = block ? 1f : 0.5f;
      shift[k] = block ? 0f : 0.5f;
    }
    float[] in = z.clone();
    FastTanh.gates(z, bias, scale, shift, z.length);
    for (int k = 0; k < z.length; k++) {
      double x = in[k] + bias[k];
      double expected = k % g < n ? Math.tanh(x) : 1 / (1 + Math.exp(-x));
      assertEquals(expected, z[k], 1e-6, "value " + k);
    }
  }
}
