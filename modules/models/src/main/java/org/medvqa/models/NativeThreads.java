package org.medvqa.models;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Sets the native thread counts ND4J uses in this JVM: libnd4j's op threads (its OpenMP pool and
 * its own limits) and OpenBLAS's. They are process-wide, so every task of an executor shares them;
 * they are set only when they change, because a change resizes the pools.
 */
public final class NativeThreads {
  private static int applied;

  private NativeThreads() {}

  /** Sets {@code n} threads (n > 0) unless this JVM already runs with {@code n}. */
  public static synchronized void apply(int n) {
    if (n <= 0 || n == applied) {
      return;
    }
    Nd4j.getEnvironment().setMaxThreads(n);
    Nd4j.getEnvironment().setMaxMasterThreads(n);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
    Nd4j.factory().blas().setMaxThreads(n);
    applied = n;
  }
}
