package org.medvqa.core;

import java.nio.file.Files;
import java.nio.file.Path;

/** Test and benchmark fixtures shared across modules: feature similarity and process CPU time. */
public final class Measures {
  private Measures() {}

  /** Cosine similarity of two vectors, accumulated in double; two zero vectors count as equal. */
  public static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    return aa == 0 && bb == 0 ? 1 : ab / Math.sqrt(aa * bb);
  }

  /**
   * CPU time of the whole process (all threads, native OpenMP ones included), from {@code
   * /proc/self/stat}: over wall time, how many cores a configuration really kept busy. 0 where it
   * cannot be read.
   */
  public static long processCpuNanos() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // Fields 14 and 15 of proc(5) (utime, stime), counted from the state field as 3.
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10_000_000L; // USER_HZ = 100
    } catch (Exception e) {
      return 0;
    }
  }
}
