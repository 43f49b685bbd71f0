package org.medvqa.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * What a second core gives on this machine at this moment, measured beside the training benchmarks'
 * runs ({@link TrainBenchRuns}).
 *
 * <p>Why: the two cores of a shared machine are neither equal nor steady. On the machine these
 * benchmarks were written on, one core ran a single-threaded loop at about half the other's speed
 * in measurements a minute long, with nothing of ours on it (most likely its physical core shared
 * with other work on the host), and at full speed a few minutes later. A speed-up of local[2] over
 * local[1] can then be no better than what the cores give in those minutes, and its spread between
 * runs is partly theirs.
 *
 * <p>The probe gives one thread a fixed amount of vector arithmetic on arrays that fit in a core's
 * first-level cache, then two threads that amount each at once. The two-thread part ends with the
 * slower thread, as a parameter-averaging round ends with its slower worker; three of each,
 * alternating, and {@code 2 * one / two} of their medians is the most that splitting equal work
 * over both cores can gain then: no Spark, ND4J or memory traffic is in it.
 */
final class CoreScaling {
  /** Three float arrays of 16 KB each: in the first-level cache of any current core. */
  private static final int LENGTH = 4096;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static volatile float sink;

  /** The seconds one thread took for its passes, and two threads for the same passes each. */
  record Probe(double oneSeconds, double twoSeconds) {
    /** The most equal shares of work gain from the second core: 2 for two equal, idle cores. */
    double speedup() {
      return 2 * oneSeconds / twoSeconds;
    }

    ObjectNode toJson(ObjectMapper json) {
      ObjectNode o = json.createObjectNode();
      o.put("one_thread_seconds", oneSeconds);
      o.put("two_threads_seconds", twoSeconds);
      o.put("speedup", speedup());
      return o;
    }
  }

  private CoreScaling() {}

  /**
   * A probe of about a quarter second per part, printed as a {@code bench:} line with {@code label}
   * and added to {@code into}: what the benchmarks run before each repetition and after the last.
   */
  static void record(String label, ArrayNode into) throws InterruptedException {
    Probe p = measure(0.25);
    System.out.printf(Locale.ROOT, "bench: %s machine speed-up %.2f%n", label, p.speedup());
    into.add(p.toJson(JSON));
  }

  /**
   * One probe: the median of three single-thread parts of about {@code seconds} each, and of three
   * two-thread parts, alternating, so that a moment's interference (the collector or the previous
   * run's cleanup on one core) moves neither figure.
   */
  static Probe measure(double seconds) throws InterruptedException {
    // Warm-up and rate: the JIT compiles the loop within the first few thousand passes.
    long passes = 1000;
    double took = timed(1, passes);
    while (took < 0.1) {
      passes *= 2;
      took = timed(1, passes);
    }
    long n = Math.max(1, Math.round(passes * seconds / took));
    double[] one = new double[3];
    double[] two = new double[3];
    for (int i = 0; i < 3; i++) {
      one[i] = timed(1, n);
      two[i] = timed(2, n);
    }
    Arrays.sort(one);
    Arrays.sort(two);
    return new Probe(one[1], two[1]);
  }

  /** Wall seconds for {@code threads} threads started together, each running {@code passes}. */
  private static double timed(int threads, long passes) throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] =
          new Thread(
              () -> {
                float[] a = new float[LENGTH];
                float[] b = new float[LENGTH];
                float[] c = new float[LENGTH];
                Arrays.fill(a, 0.5f);
                Arrays.fill(b, 1e-3f);
                ready.countDown();
                try {
                  go.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                sink = run(a, b, c, passes);
              },
              "core-scaling-" + t);
      ts[t].start();
    }
    ready.await();
    long start = System.nanoTime();
    go.countDown();
    for (Thread t : ts) {
      t.join();
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** c = c * a + b element by element, {@code passes} times: bounded (a is 0.5), vectorised. */
  private static float run(float[] a, float[] b, float[] c, long passes) {
    for (long p = 0; p < passes; p++) {
      for (int i = 0; i < LENGTH; i++) {
        c[i] = c[i] * a[i] + b[i];
      }
    }
    return c[LENGTH - 1];
  }
}
