package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CoreScalingTest {
  @Test
  void speedupIsWhatEqualSharesGain() {
    // Two threads in the time of one: the second core doubled the work done.
    assertEquals(2.0, new CoreScaling.Probe(1.0, 1.0).speedup(), 1e-12);
    // Two threads in twice the time: the second core gave nothing.
    assertEquals(1.0, new CoreScaling.Probe(1.0, 2.0).speedup(), 1e-12);
    assertEquals(1.6, new CoreScaling.Probe(0.8, 1.0).speedup(), 1e-12);
  }

  @Test
  void bothPartsAreTimed() throws InterruptedException {
    CoreScaling.Probe p = CoreScaling.measure(0.05);
    assertTrue(p.oneSeconds() > 0.005 && p.oneSeconds() < 5, "one thread: " + p);
    assertTrue(p.twoSeconds() > 0.005 && p.twoSeconds() < 10, "two threads: " + p);
    // Two threads each doing the single thread's work: never more than twice its rate on two cores
    // or fewer, never below what one core shared by both would give (with room for timer noise).
    int cores = Runtime.getRuntime().availableProcessors();
    assertTrue(p.speedup() > 0.7 && p.speedup() < Math.min(cores, 2) * 1.3, "speed-up: " + p);
  }
}
