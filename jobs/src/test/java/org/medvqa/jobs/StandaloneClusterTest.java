package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;

/**
 * The shaded jar on a real Spark standalone cluster: a master and two workers on loopback, each in
 * its own JVM, and the driver started the way {@code spark-submit --deploy-mode client} starts it
 * ({@code SparkSubmit} as the main of a child JVM). It runs paper run 5 ({@code run}, the
 * classifier) end to end on a small synthetic release with a tiny random ResNet, and checks from
 * the driver's event log, the executors' own logs and the master's JSON status that the two
 * executors, one per worker, both fitted minibatches in DL4J's parameter-averaging rounds, and that
 * the run wrote its metrics.
 *
 * <p>Tagged {@code cluster}: the default build leaves it out; {@code make test-cluster} (Maven
 * profile {@code cluster}) runs it after {@code package}, on the jar just built. Every child JVM
 * (and the executors the workers start) is killed in {@link #stopCluster()}, also on failure.
 */
@Tag("cluster")
class StandaloneClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LOOPBACK = "127.0.0.1";
  // Small enough for 2 shared cores: 40 training images (4 questions each) give a few minibatches
  // of 16 per epoch, i.e. several averaging rounds of 2 workers x 2 minibatches.
  private static final int TRAIN_IMAGES = 40;
  private static final int VAL_IMAGES = 10;
  private static final int EPOCHS = 3;
  // DL4J's parameter-averaging master runs each round as one treeAggregate over the workers'
  // results; its stages carry that call site as their name.
  private static final String ROUND_STAGE = "treeAggregate at ParameterAveragingTrainingMaster";
  private static final Pattern RUNNING_TASK =
      Pattern.compile("Running task \\S+ in stage (\\d+)\\.");
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(25);

  // Kept when the test fails: the children's logs and work dirs are what tells why.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  /** Every child JVM and every executor seen, killed in {@link #stopCluster()}. */
  private final List<Process> children = new ArrayList<>();

  private final Set<ProcessHandle> executors = ConcurrentHashMap.newKeySet();
  private final Map<String, Path> logs = new LinkedHashMap<>();
  private Thread shutdownHook;
  private Thread monitor;

  @Test
  void paperRun5TrainsWithParameterAveragingAcrossTwoExecutors() throws Exception {
    Path jar =
        Path.of(System.getProperty("medvqa.cluster.jar", "target/medvqa-jobs.jar"))
            .toAbsolutePath();
    Path sparkLib = jar.resolveSibling("spark-lib");
    Requirements.require(
        Files.isRegularFile(jar) && Files.isDirectory(sparkLib),
        "no " + jar + " with spark-lib/ beside it: run make build (or mvn -Pcluster verify) first");
    System.out.println("cluster: logs and work dirs under " + dir + " (kept if the test fails)");
    shutdownHook = new Thread(this::killAll, "medvqa-cluster-test-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);

    // The synthetic release and a tiny random ResNet50 in place of the ImageNet weights.
    Path release = dir.resolve("release");
    SparkTestBase.Run synth =
        SparkTestBase.medvqa(
            "synth",
            "--set",
            "medvqa.synth.out=" + release,
            "--set",
            "medvqa.synth.train-images=" + TRAIN_IMAGES,
            "--set",
            "medvqa.synth.val-images=" + VAL_IMAGES,
            "--set",
            "medvqa.synth.test-images=2",
            "--set",
            "medvqa.synth.image-size=64");
    assertEquals(0, synth.code(), synth.toString());
    Path model = dir.resolve("tiny.zip");
    ModelSerializer.writeModel(
        ExtractFeaturesJobTest.tinyNetwork(), new File(model.toString()), false);

    Path sparkHome = sparkHome(sparkLib);
    Map<String, String> env = new TreeMap<>();
    env.put("SPARK_HOME", sparkHome.toString());
    // The launcher asks for the Scala version before it looks for SPARK_HOME/jars; a Spark
    // distribution's scripts (bin/load-spark-env.sh) export it, this home has only the jars.
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", LOOPBACK);
    env.put("SPARK_LOCAL_DIRS", Files.createDirectories(dir.resolve("local")).toString());
    String classpath = sparkHome.resolve("jars") + File.separator + "*";
    // spark-lib holds Spark's provided jars only: libraries that the shaded jar also carries
    // (SLF4J's API, commons-lang3, ...) resolve at compile scope and are left out of it, while a
    // Spark distribution ships them. The shaded jar, after Spark's jars, supplies them: to the
    // master and workers on their class path, and to executors through the hook Spark keeps for
    // jars outside its own (the launcher appends SPARK_DIST_CLASSPATH).
    env.put("SPARK_DIST_CLASSPATH", jar.toString());
    classpath += File.pathSeparator + jar;

    long t0 = System.nanoTime();
    int masterPort = freePort();
    int masterUi = freePort();
    String masterUrl = "spark://" + LOOPBACK + ":" + masterPort;
    URI status = URI.create("http://" + LOOPBACK + ":" + masterUi + "/json/");
    Process master =
        start(
            "master",
            List.of("-Xmx256m"),
            classpath,
            "org.apache.spark.deploy.master.Master",
            List.of(
                "--host",
                LOOPBACK,
                "--port",
                String.valueOf(masterPort),
                "--webui-port",
                String.valueOf(masterUi)),
            env,
            dir);
    awaitStatus(master, status, s -> "ALIVE".equals(s.path("status").asText()));
    List<Path> workDirs = new ArrayList<>();
    List<Process> workers = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      Path work = Files.createDirectories(dir.resolve("worker-" + i));
      workDirs.add(work);
      workers.add(
          start(
              "worker-" + i,
              List.of("-Xmx256m"),
              classpath,
              "org.apache.spark.deploy.worker.Worker",
              List.of(
                  "--host",
                  LOOPBACK,
                  "--cores",
                  "1",
                  "--memory",
                  "1536m",
                  "--webui-port",
                  String.valueOf(freePort()),
                  "--work-dir",
                  work.toString(),
                  masterUrl),
              env,
              dir));
    }
    awaitStatus(master, status, s -> s.path("aliveworkers").asInt() == 2);
    System.out.printf("cluster: master and 2 workers up in %.1f s%n", seconds(t0));

    // What the master reports while the application runs: the cores granted to it and the workers
    // that gave one. Polled beside the run, which also notes the executors' processes.
    AtomicInteger appCores = new AtomicInteger();
    Set<String> busyWorkers = ConcurrentHashMap.newKeySet();
    monitor =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                for (Process w : workers) {
                  w.descendants().forEach(executors::add);
                }
                try {
                  JsonNode s = get(status);
                  for (JsonNode app : s.path("activeapps")) {
                    appCores.accumulateAndGet(app.path("cores").asInt(), Math::max);
                  }
                  for (JsonNode w : s.path("workers")) {
                    if (w.path("coresused").asInt() > 0) {
                      busyWorkers.add(w.path("id").asText());
                    }
                  }
                } catch (IOException e) {
                  // The master may be busy; the next poll tries again.
                }
                try {
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "medvqa-cluster-monitor");
    monitor.setDaemon(true);
    monitor.start();

    Path out = dir.resolve("run5");
    Path events = Files.createDirectories(dir.resolve("events"));
    Path driverDir = Files.createDirectories(dir.resolve("driver"));
    List<String> submit =
        new ArrayList<>(
            List.of(
                "--master",
                masterUrl,
                "--deploy-mode",
                "client",
                "--class",
                "org.medvqa.jobs.Main",
                "--executor-cores",
                "1",
                "--executor-memory",
                "1g",
                "--total-executor-cores",
                "2",
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.dir=" + events.toUri(),
                "--conf",
                "spark.ui.enabled=false",
                // Spark adds the Java 17 --add-opens itself (checked below); ND4J's off-heap
                // limits are ours to pass.
                "--conf",
                "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=1G"
                    + " -Dorg.bytedeco.javacpp.maxphysicalbytes=3G",
                jar.toString(),
                "run",
                "--config",
                Path.of("../conf/runs/vqa-run5.conf").toAbsolutePath().normalize().toString()));
    for (String s :
        List.of(
            "medvqa.data.train=" + release.resolve("ImageClef_2019_Training"),
            "medvqa.data.test=" + release.resolve("ImageClef_2019_Validation"),
            "medvqa.out=" + out,
            "medvqa.workspace=" + dir.resolve("workspace"),
            "medvqa.features.model.file=" + model,
            "medvqa.features.image.size=64",
            "medvqa.features.image.preprocessing=raw",
            "medvqa.train.epochs=" + EPOCHS,
            "medvqa.train.batch-size=16",
            "medvqa.train.averaging-frequency=2",
            "medvqa.train.workers=2",
            "medvqa.train.learning-rate=0.003")) {
      submit.add("--set");
      submit.add(s);
    }
    long t1 = System.nanoTime();
    // In client mode the SparkSubmit JVM is the driver: its heap is the driver memory.
    Process driver =
        start(
            "driver",
            List.of(
                "-Xmx1g",
                "-Dlog4j2.configurationFile="
                    + Path.of("../conf/log4j2.properties").toAbsolutePath().normalize()),
            classpath,
            "org.apache.spark.deploy.SparkSubmit",
            submit,
            env,
            driverDir);
    if (!driver.waitFor(RUN_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
      fail("the submitted run did not finish within " + RUN_TIMEOUT + "\n" + tails());
    }
    monitor.interrupt();
    monitor.join(5000);
    System.out.printf("cluster: the submitted run took %.1f s%n", seconds(t1));
    String driverLog = Files.readString(logs.get("driver"));
    assertEquals(0, driver.exitValue(), "the submitted run failed\n" + tails());
    assertTrue(
        driverLog.contains("master parameter-averaging")
            && driverLog.contains("train: epoch " + EPOCHS + "/" + EPOCHS + ": loss"),
        driverLog);

    // The run's outputs: metrics of every validation question, the model's per-epoch metrics.
    JsonNode metrics = JSON.readTree(out.resolve("metrics.json").toFile());
    assertEquals(4 * VAL_IMAGES, metrics.path("count").asInt(), metrics.toString());
    double accuracy = metrics.path("accuracy").asDouble(-1);
    assertTrue(accuracy >= 0 && accuracy <= 1, metrics.toString());
    assertEquals(EPOCHS, Files.readAllLines(out.resolve("model/metrics.jsonl")).size());
    assertTrue(Files.isRegularFile(out.resolve("provenance.json")));

    // The driver's event log: two executors, one on each worker (their log pages are served by
    // different worker UIs), and the tasks of the averaging rounds.
    List<Path> eventLogs;
    try (Stream<Path> s = Files.list(events)) {
      eventLogs = s.toList();
    }
    assertEquals(1, eventLogs.size(), eventLogs.toString());
    Map<String, String> executorLogPage = new TreeMap<>();
    Map<Integer, String> stageNames = new TreeMap<>();
    Map<Integer, Set<String>> roundExecutors = new TreeMap<>();
    for (String line : Files.readAllLines(eventLogs.get(0))) {
      JsonNode e = JSON.readTree(line);
      switch (e.path("Event").asText()) {
        case "SparkListenerExecutorAdded" -> {
          String page = e.path("Executor Info").path("Log Urls").path("stderr").asText();
          executorLogPage.put(e.path("Executor ID").asText(), URI.create(page).getAuthority());
        }
        case "SparkListenerStageSubmitted" ->
            stageNames.put(
                e.path("Stage Info").path("Stage ID").asInt(),
                e.path("Stage Info").path("Stage Name").asText());
        case "SparkListenerTaskEnd" -> {
          int stage = e.path("Stage ID").asInt();
          if (stageNames.getOrDefault(stage, "").startsWith(ROUND_STAGE)
              && "Success".equals(e.path("Task End Reason").path("Reason").asText())) {
            roundExecutors
                .computeIfAbsent(stage, k -> new TreeSet<>())
                .add(e.path("Task Info").path("Executor ID").asText());
          }
        }
        default -> {}
      }
    }
    assertEquals(2, executorLogPage.size(), "executors: " + executorLogPage);
    assertEquals(
        2, new TreeSet<>(executorLogPage.values()).size(), "one per worker: " + executorLogPage);
    assertTrue(
        roundExecutors.size() >= EPOCHS,
        "averaging rounds (stage -> executors): " + roundExecutors);
    Set<String> trained = new TreeSet<>();
    roundExecutors.values().forEach(trained::addAll);
    assertEquals(executorLogPage.keySet(), trained, "executors that fitted minibatches");
    long together = roundExecutors.values().stream().filter(x -> x.size() == 2).count();
    assertTrue(together > 0, "no round averaged two executors' parameters: " + roundExecutors);
    System.out.printf(
        "cluster: %d averaging rounds, %d with both executors; executors %s%n",
        roundExecutors.size(), together, executorLogPage);

    // Each worker's own log of its executor: launched with the Java 17 opens that Spark adds and
    // our ND4J limits, and running tasks of the averaging rounds.
    for (Path work : workDirs) {
      List<Path> stderr;
      try (Stream<Path> s = Files.walk(work)) {
        stderr = s.filter(p -> p.getFileName().toString().equals("stderr")).toList();
      }
      assertEquals(1, stderr.size(), work + ": " + stderr);
      String log = Files.readString(stderr.get(0));
      String command = log.lines().findFirst().orElse("");
      assertTrue(
          command.startsWith("Spark Executor Command")
              && command.contains("--add-opens=java.base/java.nio=ALL-UNNAMED")
              && command.contains("-Dorg.bytedeco.javacpp.maxbytes=1G"),
          command);
      Set<Integer> stagesRun = new TreeSet<>();
      Matcher m = RUNNING_TASK.matcher(log);
      while (m.find()) {
        stagesRun.add(Integer.parseInt(m.group(1)));
      }
      stagesRun.retainAll(roundExecutors.keySet());
      assertTrue(!stagesRun.isEmpty(), work + " ran no averaging-round task");
    }

    // The master's view during the run.
    assertEquals(2, appCores.get(), "cores the master granted the application");
    assertEquals(2, busyWorkers.size(), "workers with a busy core: " + busyWorkers);
  }

  /**
   * A Spark home for the workers, which build their executors' class path from {@code
   * SPARK_HOME/jars}: there, the jars spark-submit would provide (target/spark-lib).
   */
  private Path sparkHome(Path sparkLib) throws IOException {
    Path home = Files.createDirectories(dir.resolve("spark-home"));
    Files.createSymbolicLink(home.resolve("jars"), sparkLib);
    return home;
  }

  /**
   * Starts {@code main} in a child JVM with Spark's Java 17 options (the {@code --add-opens} and
   * {@code -Djdk.reflect} flags this JVM was started with: the parent pom's medvqa.jvm.opens).
   */
  private Process start(
      String name,
      List<String> jvm,
      String classpath,
      String main,
      List<String> args,
      Map<String, String> env,
      Path cwd)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect.")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(main);
    cmd.addAll(args);
    Path log = Files.createDirectories(dir.resolve("logs")).resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(cwd.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    // A Spark configuration of this machine's own must not leak into the test cluster.
    pb.environment().remove("SPARK_CONF_DIR");
    pb.environment().remove("HADOOP_CONF_DIR");
    Process p = pb.start();
    children.add(p);
    logs.put(name, log);
    return p;
  }

  /** Waits until the master's JSON status satisfies {@code ready}. */
  private void awaitStatus(Process master, URI status, Predicate<JsonNode> ready) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!master.isAlive()) {
        fail("the master exited with " + master.exitValue() + "\n" + tails());
      }
      try {
        JsonNode s = get(status);
        if (ready.test(s)) {
          return;
        }
        last = s.toString();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(500);
    }
    fail("the cluster did not come up within " + START_TIMEOUT + ": " + last + "\n" + tails());
  }

  private static JsonNode get(URI uri) throws IOException {
    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
    c.setConnectTimeout(2000);
    c.setReadTimeout(5000);
    try (InputStream in = c.getInputStream()) {
      return JSON.readTree(in);
    } finally {
      c.disconnect();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return s.getLocalPort();
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  /** The last lines of every child's log, for a failure message. */
  private String tails() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Path> e : logs.entrySet()) {
      try {
        List<String> lines = Files.readAllLines(e.getValue(), StandardCharsets.UTF_8);
        b.append("--- ").append(e.getKey()).append(" (").append(e.getValue()).append(")\n");
        lines
            .subList(Math.max(0, lines.size() - 40), lines.size())
            .forEach(l -> b.append(l).append('\n'));
      } catch (IOException x) {
        b.append("--- ").append(e.getKey()).append(": ").append(x).append('\n');
      }
    }
    return b.toString();
  }

  @AfterEach
  void stopCluster() throws InterruptedException {
    if (monitor != null) {
      monitor.interrupt();
      monitor.join(5000);
    }
    killAll();
    if (shutdownHook != null) {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    }
    List<ProcessHandle> alive = new ArrayList<>();
    for (Process p : children) {
      if (p.isAlive()) {
        alive.add(p.toHandle());
      }
    }
    executors.stream().filter(ProcessHandle::isAlive).forEach(alive::add);
    assertTrue(alive.isEmpty(), "processes left running: " + alive);
  }

  /**
   * Stops the driver, then the workers with the executors they started, then the master: each asked
   * to exit (SIGTERM, which runs Spark's shutdown hooks), then killed if still there after 20 s.
   */
  private synchronized void killAll() {
    List<ProcessHandle> all = new ArrayList<>();
    for (int i = children.size() - 1; i >= 0; i--) {
      ProcessHandle h = children.get(i).toHandle();
      h.descendants().forEach(all::add);
      all.add(h);
    }
    all.addAll(executors);
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      try {
        h.onExit().get(Math.max(1, left), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // Reported by stopCluster's check.
      }
    }
  }
}
