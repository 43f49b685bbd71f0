package org.medvqa.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.stats.EventStats;

/**
 * dl4j-spark's training statistics ({@code medvqa.train.collect-stats}) summed per kind of event:
 * where an epoch's time went between the driver's steps (split, broadcast, the workers' map, the
 * aggregation) and the workers' own (getting the broadcast, building the network, processing the
 * minibatches). The driver's steps overlap (the aggregation waits for the workers' map, which Spark
 * runs lazily inside it), and worker times are summed over the workers, so the figures do not add
 * up to the epoch: read them per step, divided by their event counts.
 */
final class RoundStats {
  private final Map<String, Long> millis = new LinkedHashMap<>();
  private final Map<String, Integer> events = new LinkedHashMap<>();

  /** The totals of {@code stats} (null: none collected). */
  static RoundStats of(SparkTrainingStats stats) {
    RoundStats r = new RoundStats();
    if (stats != null) {
      r.add(stats);
    }
    return r;
  }

  /**
   * The master's key set already holds its workers' keys; its nested statistics repeat them (and
   * nest further), so they are not added again.
   */
  private void add(SparkTrainingStats stats) {
    for (String key : stats.getKeySet()) {
      List<EventStats> list = stats.getValue(key);
      if (list == null) {
        continue;
      }
      String name = stats.getShortNameForKey(key);
      long sum = 0;
      for (EventStats e : list) {
        sum += e.getDurationMs();
      }
      millis.merge(name, sum, Long::sum);
      events.merge(name, list.size(), Integer::sum);
    }
  }

  /**
   * This epoch's share: these totals less {@code before}'s, or these totals where dl4j-spark
   * started its statistics afresh (a total that went down).
   */
  RoundStats since(RoundStats before) {
    boolean reset =
        millis.entrySet().stream()
            .anyMatch(e -> e.getValue() < before.millis.getOrDefault(e.getKey(), 0L));
    if (reset) {
      return this;
    }
    RoundStats d = new RoundStats();
    for (Map.Entry<String, Long> e : millis.entrySet()) {
      d.millis.put(e.getKey(), e.getValue() - before.millis.getOrDefault(e.getKey(), 0L));
      d.events.put(e.getKey(), events.get(e.getKey()) - before.events.getOrDefault(e.getKey(), 0));
    }
    return d;
  }

  /** "name seconds s (events), ..." in dl4j-spark's order. */
  String describe() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Long> e : millis.entrySet()) {
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append(
          String.format(
              Locale.ROOT,
              "%s %.2f s (%d)",
              e.getKey(),
              e.getValue() / 1000.0,
              events.get(e.getKey())));
    }
    return b.length() == 0 ? "none collected" : b.toString();
  }

  Map<String, Long> millis() {
    return millis;
  }
}
