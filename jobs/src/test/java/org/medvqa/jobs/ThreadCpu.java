package org.medvqa.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a benchmark's cores went, per kind of thread of this JVM: the time each thread ran and the
 * time it waited for a core while runnable, from Linux's {@code /proc/self/task/<tid>/schedstat}.
 *
 * <p>Why: a task that runs alone on {@code local[1]} leaves the second core to the JVM's other
 * threads (JIT compilers, GC, the driver's handling of each round's results), while two tasks on
 * {@code local[2]} share both cores with them. The benchmarks' speed-up compares those two layouts;
 * this shows how much of the difference is waiting for a core rather than work.
 */
final class ThreadCpu {
  /** A thread's name (Linux's 15-character comm) and its running and waiting nanoseconds. */
  record Sample(String name, long runNanos, long waitNanos) {}

  private static final Path TASKS = Path.of("/proc/self/task");

  private ThreadCpu() {}

  /** Whether this system has per-thread scheduler statistics (Linux). */
  static boolean available() {
    return Files.isReadable(TASKS);
  }

  /** Every live thread's sample, by thread id; threads that end while it reads are left out. */
  static Map<String, Sample> snapshot() {
    Map<String, Sample> out = new HashMap<>();
    try (Stream<Path> threads = Files.list(TASKS)) {
      for (Path t : (Iterable<Path>) threads::iterator) {
        try {
          String name = Files.readString(t.resolve("comm")).trim();
          String[] s = Files.readString(t.resolve("schedstat")).trim().split("\\s+");
          out.put(
              t.getFileName().toString(),
              new Sample(name, Long.parseLong(s[0]), Long.parseLong(s[1])));
        } catch (IOException | RuntimeException e) {
          // The thread ended between the listing and the read: it is not in this snapshot.
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + TASKS, e);
    }
    return out;
  }

  /**
   * Seconds run and waited between two snapshots, summed per kind of thread ({@link #kind}),
   * largest first. A thread born after {@code before} counts from zero; one that ended before
   * {@code after} is missing, as its time cannot be read.
   */
  static Map<String, double[]> between(Map<String, Sample> before, Map<String, Sample> after) {
    Map<String, double[]> sums = new HashMap<>();
    after.forEach(
        (tid, a) -> {
          Sample b = before.get(tid);
          boolean same = b != null && b.name().equals(a.name());
          double[] s = sums.computeIfAbsent(kind(a.name()), k -> new double[2]);
          s[0] += (a.runNanos() - (same ? b.runNanos() : 0)) / 1e9;
          s[1] += (a.waitNanos() - (same ? b.waitNanos() : 0)) / 1e9;
        });
    List<Map.Entry<String, double[]>> sorted = new ArrayList<>(sums.entrySet());
    sorted.sort((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]));
    Map<String, double[]> out = new LinkedHashMap<>();
    sorted.forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * The kind of a thread from its name: Spark's task threads, the JIT compilers, the GC's threads
   * (G1's workers, refinement and marking), the main thread (where the trainer validates each
   * epoch), the driver's result getters, ND4J's and JavaCPP's deallocators; any other name with its
   * digits dropped.
   */
  static String kind(String name) {
    if (name.startsWith("Executor task")) {
      return "tasks";
    }
    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
      return "JIT";
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ")) {
      return "GC";
    }
    if (name.equals("java") || name.equals("main")) {
      return "main (validation)";
    }
    if (name.startsWith("task-result-get")) {
      return "task results";
    }
    if (name.startsWith("DeallocatorServ") || name.startsWith("JavaCPP Dealloc")) {
      return "deallocators";
    }
    return name.replaceAll("[0-9]+", "#");
  }
}
