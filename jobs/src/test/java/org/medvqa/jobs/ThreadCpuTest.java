package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {
  @Test
  void threadsAreGroupedByKind() {
    assertEquals("tasks", ThreadCpu.kind("Executor task l"));
    assertEquals("JIT", ThreadCpu.kind("C2 CompilerThre"));
    assertEquals("GC", ThreadCpu.kind("GC Thread#1"));
    assertEquals("GC", ThreadCpu.kind("G1 Conc#0"));
    assertEquals("main (validation)", ThreadCpu.kind("java"));
    assertEquals("task results", ThreadCpu.kind("task-result-get"));
    assertEquals("deallocators", ThreadCpu.kind("DeallocatorServ"));
    assertEquals("dispatcher-event-loop-#", ThreadCpu.kind("dispatcher-event-loop-12"));
  }

  /**
   * Time between two snapshots per kind, largest first: a thread born in between counts from zero,
   * and a thread id reused by a thread of another name is a new thread.
   */
  @Test
  void betweenSumsPerKindTheTimeSinceTheFirstSnapshot() {
    Map<String, ThreadCpu.Sample> before =
        Map.of(
            "10", new ThreadCpu.Sample("Executor task l", 5_000_000_000L, 1_000_000_000L),
            "11", new ThreadCpu.Sample("C2 CompilerThre", 9_000_000_000L, 0),
            "12", new ThreadCpu.Sample("GC Thread#0", 1_000_000_000L, 0));
    Map<String, ThreadCpu.Sample> after =
        Map.of(
            "10", new ThreadCpu.Sample("Executor task l", 8_000_000_000L, 2_500_000_000L),
            "13", new ThreadCpu.Sample("Executor task l", 2_000_000_000L, 500_000_000L),
            "11", new ThreadCpu.Sample("C2 CompilerThre", 10_000_000_000L, 0),
            "12", new ThreadCpu.Sample("task-result-get", 500_000_000L, 0));
    Map<String, double[]> s = ThreadCpu.between(before, after);
    assertEquals(List.of("tasks", "JIT", "task results"), List.copyOf(s.keySet()));
    assertArrayEquals(new double[] {5.0, 2.0}, s.get("tasks"), 1e-9);
    assertArrayEquals(new double[] {1.0, 0.0}, s.get("JIT"), 1e-9);
    assertArrayEquals(new double[] {0.5, 0.0}, s.get("task results"), 1e-9);
  }

  @Test
  void aSnapshotSeesTheCallingThreadRun() {
    assumeTrue(ThreadCpu.available(), "no /proc/self/task on this system (Linux only)");
    long pid = ProcessHandle.current().pid();
    Map<String, ThreadCpu.Sample> first = ThreadCpu.snapshot();
    double x = 0;
    for (int i = 0; i < 20_000_000; i++) {
      x += Math.sqrt(i);
    }
    Map<String, ThreadCpu.Sample> second = ThreadCpu.snapshot();
    assertTrue(x > 0);
    assertTrue(second.size() > 1, "threads " + second.keySet());
    // The JVM's main thread has the process id as its thread id.
    assertTrue(second.containsKey(String.valueOf(pid)), "threads " + second.keySet());
    double ran = ThreadCpu.between(first, second).values().stream().mapToDouble(v -> v[0]).sum();
    assertTrue(ran > 0, "no thread ran between the snapshots");
  }
}
