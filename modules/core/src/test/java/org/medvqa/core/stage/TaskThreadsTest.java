package org.medvqa.core.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class TaskThreadsTest {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  private static int perTask(String master, String... keyValues) {
    SparkConf conf = new SparkConf(false).set("spark.master", master);
    for (int i = 0; i < keyValues.length; i += 2) {
      conf.set(keyValues[i], keyValues[i + 1]);
    }
    return TaskThreads.perTask(conf);
  }

  @Test
  void localModeSharesTheMachineBetweenItsTaskSlots() {
    assertEquals(CORES, perTask("local"));
    assertEquals(CORES, perTask("local[1]"));
    assertEquals(Math.max(1, CORES / 2), perTask("local[2]"));
    assertEquals(Math.max(1, CORES / 2), perTask("local[2,4]"), "retries do not add slots");
    assertEquals(1, perTask("local[*]"));
    assertEquals(1, perTask("local[" + (4 * CORES) + "]"), "never less than one");
  }

  @Test
  void fewerTasksThanSlotsShareTheCoresBetweenThem() {
    SparkConf two = new SparkConf(false).set("spark.master", "local[2]");
    assertEquals(CORES, TaskThreads.perTask(two, 1), "one worker on local[2]");
    assertEquals(Math.max(1, CORES / 2), TaskThreads.perTask(two, 2));
    assertEquals(Math.max(1, CORES / 2), TaskThreads.perTask(two, 8), "more tasks than slots");
    SparkConf cluster =
        new SparkConf(false).set("spark.master", "yarn").set("spark.executor.cores", "4");
    assertEquals(1, TaskThreads.perTask(cluster, 1), "a cluster's tasks spread over executors");
  }

  @Test
  void clusterExecutorsShareTheirCoresBetweenTheirTasks() {
    assertEquals(2, perTask("spark://h:7077", "spark.executor.cores", "8", "spark.task.cpus", "2"));
    assertEquals(1, perTask("yarn", "spark.executor.cores", "4"));
    assertEquals(4, perTask("k8s://h", "spark.executor.cores", "4", "spark.task.cpus", "4"));
  }
}
