package org.medvqa.core.stage;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * How many native threads one Spark task should use: the executor's cores divided by the tasks it
 * runs at once. Native libraries (OpenBLAS, libnd4j's OpenMP) default to every core of the machine,
 * so on {@code local[2]} two tasks would each start two threads on two cores and wait on each
 * other; one thread per task is what fills the cores without oversubscribing them.
 */
public final class TaskThreads {
  private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?\\]");

  private TaskThreads() {}

  /**
   * Threads per task for this Spark configuration: at least {@code spark.task.cpus}, at least 1.
   */
  public static int perTask(SparkConf conf) {
    return perTask(conf, 0);
  }

  /**
   * Threads per task when a stage runs at most {@code tasks} tasks at once (0 = no limit): in local
   * mode fewer tasks than slots share the machine's cores between them (a trainer with one worker
   * on {@code local[2]} gets both cores). On a cluster the tasks spread over executors, so only the
   * executor's own cores and slots count.
   */
  public static int perTask(SparkConf conf, int tasks) {
    String master = conf.get("spark.master", "local[*]");
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int machine = Runtime.getRuntime().availableProcessors();
    int cores;
    int slots;
    Matcher m = LOCAL.matcher(master);
    if (master.equals("local")) {
      cores = machine;
      slots = 1;
    } else if (m.matches()) {
      cores = machine;
      slots = m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
      if (tasks > 0) {
        slots = Math.min(slots, tasks);
      }
    } else {
      cores = conf.getInt("spark.executor.cores", machine);
      slots = Math.max(1, cores / taskCpus);
    }
    return Math.max(1, Math.max(taskCpus, cores / Math.max(1, slots)));
  }
}
