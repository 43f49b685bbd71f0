package org.medvqa.models;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Sets the native thread counts ND4J uses: libnd4j's op threads (its limits and its OpenMP team
 * size) and OpenBLAS's. OpenMP keeps the team size per calling thread, so every task thread must
 * set it for itself; the other limits are process-wide. A thread sets them only when its own last
 * setting differs, because a change resizes the pools.
 */
public final class NativeThreads {
  private static final ThreadLocal<Integer> APPLIED = ThreadLocal.withInitial(() -> 0);

  private NativeThreads() {}

  /** Sets {@code n} threads (n > 0) for the calling thread unless it already set {@code n}. */
  public static void apply(int n) {
    if (n <= 0 || n == APPLIED.get()) {
      return;
    }
    Nd4j.getEnvironment().setMaxThreads(n);
    Nd4j.getEnvironment().setMaxMasterThreads(n);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
    Nd4j.factory().blas().setMaxThreads(n);
    APPLIED.set(n);
  }
}
