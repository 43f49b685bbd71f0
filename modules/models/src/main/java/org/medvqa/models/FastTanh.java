package org.medvqa.models;

import java.math.BigInteger;

/**
 * tanh and the logistic sigmoid over float arrays, in loops the JIT vectorises, for the LSTM gates
 * of {@link CpuLstmHelper}.
 *
 * <p>Why: {@code Math.exp} is a scalar call (about 14 ns here), and a gate step needs five of them
 * per unit: 2.3 ms per forward pass of a 16-step, 32-example, 128-unit LSTM, about a tenth of a VAE
 * training step. C2 vectorises none of that, nor a single loop that evaluates a long polynomial
 * with its clamps (too much per iteration). Split into three simple loops (clamp the argument, the
 * rational function, clamp and scale the result) it does: about 0.6 ns per value.
 *
 * <p>The function is Lambert's continued fraction for tanh, x / (1 + x^2 / (3 + x^2 / (5 + ...))),
 * cut after the term 21 and multiplied out into x P(x^2) / Q(x^2) (degrees 9 and 10 in x^2), with
 * the argument clamped to [-9, 9], where tanh is within 3e-8 of +-1. Evaluated in float its largest
 * error against {@link Math#tanh} is about 6e-7 (the test checks 1e-6 over [-30, 30]); the sigmoid
 * is 0.5 + 0.5 tanh(x / 2).
 */
final class FastTanh {
  private static final float LIMIT = 9f;

  /** Coefficients of P and Q, lowest power first, scaled so that Q's constant term is 1. */
  private static final float[] P;

  private static final float[] Q;

  static {
    // The fraction from the bottom: t = 21, then t = (2j + 1) + x^2 / t for j = 9..0, each as
    // num(x^2) / den(x^2) with exact integer coefficients; tanh = x / t = x den / num.
    int depth = 10;
    BigInteger[] num = {BigInteger.valueOf(2L * depth + 1)};
    BigInteger[] den = {BigInteger.ONE};
    for (int j = depth - 1; j >= 0; j--) {
      BigInteger[] next = new BigInteger[num.length + 1];
      java.util.Arrays.fill(next, BigInteger.ZERO);
      for (int k = 0; k < num.length; k++) {
        next[k] = next[k].add(num[k].multiply(BigInteger.valueOf(2L * j + 1)));
      }
      for (int k = 0; k < den.length; k++) {
        next[k + 1] = next[k + 1].add(den[k]);
      }
      den = num;
      num = next;
    }
    double scale = num[0].doubleValue();
    P = new float[den.length];
    Q = new float[num.length];
    for (int k = 0; k < den.length; k++) {
      P[k] = (float) (den[k].doubleValue() / scale);
    }
    for (int k = 0; k < num.length; k++) {
      Q[k] = (float) (num[k].doubleValue() / scale);
    }
  }

  private FastTanh() {}

  /** v[i] = tanh(v[i]) for i in [0, length). */
  static void tanh(float[] v, int length) {
    clamp(v, length, LIMIT);
    rational(v, length);
    clamp(v, length, 1f);
  }

  /**
   * The gates of an LSTM step at once: z[i] = tanh((z[i] + bias[i]) * scale[i]) * scale[i] +
   * shift[i] for i in [0, length). (scale, shift) = (1, 0) gives tanh(z + bias), and (0.5, 0.5) its
   * sigmoid, 0.5 + 0.5 tanh(x / 2).
   */
  static void gates(float[] z, float[] bias, float[] scale, float[] shift, int length) {
    for (int i = 0; i < length; i++) {
      z[i] = Math.max(-LIMIT, Math.min(LIMIT, (z[i] + bias[i]) * scale[i]));
    }
    rational(z, length);
    for (int i = 0; i < length; i++) {
      z[i] = Math.max(-1f, Math.min(1f, z[i])) * scale[i] + shift[i];
    }
  }

  private static void clamp(float[] v, int length, float limit) {
    for (int i = 0; i < length; i++) {
      v[i] = Math.max(-limit, Math.min(limit, v[i]));
    }
  }

  /** v[i] = v[i] P(v[i]^2) / Q(v[i]^2), in Horner form with the coefficients held in locals. */
  private static void rational(float[] v, int length) {
    final float p0 = P[0], p1 = P[1], p2 = P[2], p3 = P[3], p4 = P[4];
    final float p5 = P[5], p6 = P[6], p7 = P[7], p8 = P[8], p9 = P[9];
    final float q0 = Q[0], q1 = Q[1], q2 = Q[2], q3 = Q[3], q4 = Q[4], q5 = Q[5];
    final float q6 = Q[6], q7 = Q[7], q8 = Q[8], q9 = Q[9], q10 = Q[10];
    for (int i = 0; i < length; i++) {
      float x = v[i];
      float y = x * x;
      float p =
          ((((((((p9 * y + p8) * y + p7) * y + p6) * y + p5) * y + p4) * y + p3) * y + p2) * y + p1)
                  * y
              + p0;
      float q =
          (((((((((q10 * y + q9) * y + q8) * y + q7) * y + q6) * y + q5) * y + q4) * y + q3) * y
                              + q2)
                          * y
                      + q1)
                  * y
              + q0;
      v[i] = x * p / q;
    }
  }
}
