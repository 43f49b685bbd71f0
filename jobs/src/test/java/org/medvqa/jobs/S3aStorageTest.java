package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.Requirements;

/**
 * The jobs on {@code s3a://}: a real S3 API server (S3Proxy, on loopback, see {@link S3Server})
 * holds a synthetic release; ingest, train, predict and evaluate read and write it only through
 * s3a, with the credentials coming from the config, or from the environment through the AWS SDK's
 * provider; and no secret reaches the job's output, the logs, provenance.json or any stored object,
 * also when the job fails.
 *
 * <p>The S3A file systems are cached per bucket for the JVM, with the credentials they were made
 * with; each credential route therefore has its own bucket, and every cached one is closed and the
 * shared Hadoop settings put back after each test, so that no test borrows another's credentials.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class S3aStorageTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Surefire sets these (jobs/pom.xml) for the environment provider; elsewhere random ones. */
  private static final String ACCESS = envOr("AWS_ACCESS_KEY_ID", "access-" + UUID.randomUUID());

  private static final String SECRET =
      envOr("AWS_SECRET_ACCESS_KEY", "secret-" + UUID.randomUUID());

  /** Keys in the config; the S3 environment route; failures. Each its own S3A file system. */
  private static final String DATA = "medvqa-data";

  private static final String ENV = "medvqa-env";
  private static final String WRONG_KEY = "medvqa-wrong-key";
  private static final String NO_KEY = "medvqa-no-key";
  private static final String ABSENT = "medvqa-absent";
  private static final List<String> BUCKETS = List.of(DATA, ENV, WRONG_KEY, NO_KEY, ABSENT);

  /** Synthetic release size; each train and val image has four QA pairs, each test image one. */
  private static final int TRAIN_IMAGES = 12;

  private static final int VAL_IMAGES = 4;
  private static final int TEST_IMAGES = 8;

  @TempDir static Path dir;
  private static S3Server server;
  private static String endpoint;

  private Map<String, String> hadoopBefore;
  private Capture capture;

  /** The jobs a test ran, with what they printed. */
  private final List<Run> runs = new ArrayList<>();

  @BeforeAll
  static void startS3() throws Exception {
    Path jar = Path.of(System.getProperty("medvqa.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    Requirements.require(
        Files.isRegularFile(jar),
        "no S3Proxy jar at "
            + jar
            + ": Maven copies it there (jobs/pom.xml, execution s3proxy); run through Maven");
    server = S3Server.start(jar, ACCESS, SECRET, List.of(DATA, ENV, WRONG_KEY, NO_KEY));
    endpoint = "http://127.0.0.1:" + server.port();
    // Spark copies AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment into its
    // Hadoop settings (fs.s3a.access.key, fs.s3a.secret.key, and the old s3/s3n names). They are
    // removed here so that each test's keys come only from the route it tests.
    Configuration shared = spark.sparkContext().hadoopConfiguration();
    for (String key : snapshot(shared).keySet()) {
      String value = shared.get(key);
      if (ACCESS.equals(value) || SECRET.equals(value)) {
        shared.unset(key);
      }
    }

    Path release = dir.resolve("release");
    Run s =
        medvqa(
            "synth",
            "--set",
            "medvqa.synth.out=" + release,
            "--set",
            "medvqa.synth.train-images=" + TRAIN_IMAGES,
            "--set",
            "medvqa.synth.val-images=" + VAL_IMAGES,
            "--set",
            "medvqa.synth.test-images=" + TEST_IMAGES);
    assertEquals(0, s.code(), s.toString());
    // Copied in through s3a (a file system of its own, not the cached ones the jobs will make).
    // Also where the failures are provoked, so that a job that got in anyway would succeed.
    for (String bucket : List.of(DATA, WRONG_KEY, NO_KEY)) {
      try (FileSystem local = FileSystem.getLocal(new Configuration());
          FileSystem s3 = FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), testConf())) {
        assertTrue(
            FileUtil.copy(
                local,
                new org.apache.hadoop.fs.Path(release.toUri()),
                s3,
                new org.apache.hadoop.fs.Path("s3a://" + bucket + "/release"),
                false,
                s3.getConf()));
      }
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void watch() {
    hadoopBefore = snapshot(spark.sparkContext().hadoopConfiguration());
    capture = Capture.open();
  }

  @AfterEach
  void unwatch(TestInfo test) throws IOException {
    capture.close();
    resetS3a();
    // Kept for a failure's diagnosis: what the jobs, S3A and the SDK said, at DEBUG.
    Path logs = Path.of("target", "s3a-test-logs");
    Files.createDirectories(logs);
    StringBuilder text = new StringBuilder();
    runs.forEach(r -> text.append(r).append("\n\n"));
    text.append(capture.text());
    Files.writeString(
        logs.resolve(test.getTestMethod().map(m -> m.getName()).orElse("test") + ".log"), text);
  }

  /** Runs a job as {@link #medvqa} does, and keeps it for the checks and the log. */
  private Run job(String... args) {
    Run r = medvqa(args);
    runs.add(r);
    return r;
  }

  @Test
  void jobsReadAndWriteS3aWithKeysFromTheConfig() throws Exception {
    // The access key in a config file, the secret by --set: the two ways a user puts them into
    // medvqa.hadoop.conf. Unquoted, --set nests the key (fs -> s3a -> secret -> key), which the
    // job reads as fs.s3a.secret.key and provenance must still redact.
    Path conf = dir.resolve("s3-keys.conf");
    Files.writeString(
        conf,
        hocon(
            s3aSettings(
                Map.of(
                    "fs.s3a.aws.credentials.provider",
                    "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                    "fs.s3a.access.key",
                    ACCESS))));
    String secret = "medvqa.hadoop.conf.fs.s3a.secret.key=" + SECRET;
    String root = "s3a://" + DATA;
    // The keys come from the job's config alone: the session has none of its own.
    assertNull(spark.sparkContext().hadoopConfiguration().get("fs.s3a.secret.key"));

    Run ingest =
        job(
            "ingest",
            "--config",
            conf.toString(),
            "--set",
            secret,
            "--set",
            "medvqa.ingest.release=" + root + "/release",
            "--set",
            "medvqa.ingest.out=" + root + "/out/ingest");
    assertEquals(0, ingest.code(), ingest.toString());
    // Read back through the same s3a settings the job left on the shared session.
    Dataset<Row> manifest = spark.read().parquet(root + "/out/ingest/manifest");
    Map<String, Long> perSplit = new HashMap<>();
    for (Row r : manifest.groupBy(ManifestColumns.SPLIT).count().collectAsList()) {
      perSplit.put(r.getString(0), r.getLong(1));
    }
    assertEquals(
        Map.of("train", 4L * TRAIN_IMAGES, "val", 4L * VAL_IMAGES, "test", (long) TEST_IMAGES),
        perSplit);
    List<String> imagePaths =
        manifest.select(ManifestColumns.IMAGE_PATH).as(Encoders.STRING()).collectAsList();
    assertTrue(
        imagePaths.stream().allMatch(p -> p.startsWith(root + "/release/")),
        "images are read where they are: " + imagePaths.get(0));
    assertEquals(0, spark.read().parquet(root + "/out/ingest/_rejected").count());

    Run train =
        job(
            "train",
            "--config",
            conf.toString(),
            "--set",
            secret,
            "--set",
            "medvqa.train.model=majority",
            "--set",
            "medvqa.train.manifest=" + root + "/out/ingest",
            "--set",
            "medvqa.train.out=" + root + "/out/model");
    assertEquals(0, train.code(), train.toString());
    Run predict =
        job(
            "predict",
            "--config",
            conf.toString(),
            "--set",
            secret,
            "--set",
            "medvqa.predict.model=" + root + "/out/model",
            "--set",
            "medvqa.predict.manifest=" + root + "/out/ingest",
            "--set",
            "medvqa.predict.split=test",
            "--set",
            "medvqa.predict.out=" + root + "/out/predict");
    assertEquals(0, predict.code(), predict.toString());
    Run evaluate =
        job(
            "evaluate",
            "--config",
            conf.toString(),
            "--set",
            secret,
            "--set",
            "medvqa.eval.task=vqa",
            "--set",
            "medvqa.eval.ground-truth=" + root + "/out/predict/ground-truth.txt",
            "--set",
            "medvqa.eval.submission=" + root + "/out/predict/submission.txt",
            "--set",
            "medvqa.eval.output=" + root + "/out/metrics.json");
    assertEquals(0, evaluate.code(), evaluate.toString());

    // Scheduled retraining with its registry in the bucket: the first candidate is promoted.
    Run retrain =
        job(
            "retrain",
            "--config",
            conf.toString(),
            "--set",
            secret,
            "--set",
            "medvqa.train.model=majority",
            "--set",
            "medvqa.eval.task=vqa",
            "--set",
            "medvqa.retrain.release=" + root + "/release/ImageClef_2019_Training",
            "--set",
            "medvqa.retrain.evaluation=" + root + "/release/ImageClef_2019_Validation",
            "--set",
            "medvqa.retrain.registry=" + root + "/registry",
            "--set",
            "medvqa.workspace=" + root + "/work");
    assertEquals(0, retrain.code(), retrain.toString());

    // Everything below is read with the test's own file system, not the jobs' cached ones.
    Map<String, byte[]> objects = readBucket(DATA);
    List<String> submission = lines(objects.get("out/predict/submission.txt"));
    List<String> truth = lines(objects.get("out/predict/ground-truth.txt"));
    assertEquals(TEST_IMAGES, submission.size(), String.join("\n", submission));
    assertEquals(ids(truth), ids(submission));
    assertTrue(submission.stream().allMatch(l -> l.matches("[^|]+\\|[^|]+")), submission.get(0));
    JsonNode metrics = JSON.readTree(objects.get("out/metrics.json"));
    assertEquals("vqa", metrics.path("task").asText(), metrics.toString());
    assertTrue(metrics.path("accuracy").isNumber(), metrics.toString());

    for (String out : List.of("ingest", "model", "predict")) {
      byte[] bytes = objects.get("out/" + out + "/provenance.json");
      assertTrue(bytes != null, "no provenance.json in s3a://" + DATA + "/out/" + out);
      JsonNode p = JSON.readTree(bytes);
      JsonNode hadoop = p.path("config").path("hadoop").path("conf");
      assertEquals(endpoint, hadoop.path("fs.s3a.endpoint").asText(), p.toString());
      assertEquals("<redacted>", hadoop.path("fs.s3a.access.key").asText(), p.toString());
      assertEquals(
          "<redacted>",
          hadoop.path("fs").path("s3a").path("secret").path("key").asText(),
          p.toString());
    }
    String current =
        new String(objects.get("registry/majority/current"), StandardCharsets.UTF_8).trim();
    JsonNode decision =
        JSON.readTree(lines(objects.get("registry/majority/decisions.jsonl")).get(0));
    assertEquals(current, decision.path("candidate").asText(), decision.toString());
    assertTrue(decision.path("promoted").asBoolean(), decision.toString());
    assertTrue(
        objects.containsKey("registry/majority/models/" + current + "/metrics.json"),
        "the promoted model's folder is in the registry");
    JsonNode ingestProvenance = JSON.readTree(objects.get("out/ingest/provenance.json"));
    assertEquals("ingest", ingestProvenance.path("job").asText());
    assertTrue(
        ingestProvenance.path("inputs").toString().contains(root + "/release"),
        ingestProvenance.toString());

    assertNoSecretIn(objects, List.of(SECRET, ACCESS));
    assertNoSecretIn(runs, capture, List.of(SECRET, ACCESS));
    // The jobs' own timings ("medvqa ingest: done in 12.3 s"), for the build log.
    System.out.println(
        "S3aStorageTest on s3a: "
            + runs.stream()
                .flatMap(r -> r.out().lines().filter(l -> l.contains(": done in ")))
                .map(l -> l.replace("medvqa ", "").replace(": done in", ""))
                .collect(Collectors.joining(", ")));
  }

  @Test
  void jobsTakeKeysFromTheEnvironmentProvider() throws Exception {
    Requirements.require(
        System.getenv("AWS_SECRET_ACCESS_KEY") != null,
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are set by surefire (jobs/pom.xml); run"
            + " through Maven to test the environment credentials provider");
    // No key anywhere in the config: only this bucket's provider, the SDK's environment one.
    Path conf = dir.resolve("s3-env.conf");
    Files.writeString(
        conf,
        hocon(
            s3aSettings(
                Map.of(
                    "fs.s3a.bucket." + ENV + ".aws.credentials.provider",
                    "com.amazonaws.auth.EnvironmentVariableCredentialsProvider"))));
    // evaluate runs without Spark: its files come from StageContext.files()' own Hadoop settings.
    String root = "s3a://" + ENV;
    try (FileSystem s3 = FileSystem.newInstance(URI.create(root + "/"), testConf())) {
      write(s3, root + "/gt.txt", "a|plane|what plane?|axial\nb|modality|what modality?|ct\n");
      write(s3, root + "/submission.txt", "a|axial\nb|mr\n");
    }
    Run evaluate =
        job(
            "evaluate",
            "--config",
            conf.toString(),
            "--set",
            "medvqa.eval.task=vqa",
            "--set",
            "medvqa.eval.ground-truth=" + root + "/gt.txt",
            "--set",
            "medvqa.eval.submission=" + root + "/submission.txt",
            "--set",
            "medvqa.eval.output=" + root + "/metrics.json");
    assertEquals(0, evaluate.code(), evaluate.toString());

    Map<String, byte[]> objects = readBucket(ENV);
    JsonNode metrics = JSON.readTree(objects.get("metrics.json"));
    assertEquals(0.5, metrics.path("accuracy").asDouble(), 1e-9, metrics.toString());
    assertNoSecretIn(objects, List.of(SECRET, ACCESS));
    assertNoSecretIn(runs, capture, List.of(SECRET, ACCESS));
  }

  @Test
  void failuresNameTheProblemButNoSecret() throws Exception {
    String wrongSecret = "wrong-" + UUID.randomUUID();

    // A wrong secret key: the server refuses the signature.
    Run wrong =
        ingestWith(
            WRONG_KEY,
            Map.of(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "fs.s3a.access.key",
                ACCESS,
                "fs.s3a.secret.key",
                wrongSecret));
    assertNotEquals(0, wrong.code(), wrong.toString());
    assertTrue(wrong.err().contains("s3a://" + WRONG_KEY), wrong.toString());
    assertTrue(
        wrong.err().contains("403") || wrong.err().contains("AccessDenied"), wrong.toString());
    assertFalse(wrong.toString().contains(wrongSecret), wrong.toString());
    resetS3a();

    // No keys at all (the provider is named, so nothing falls back to instance metadata).
    Run none =
        ingestWith(
            NO_KEY,
            Map.of(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"));
    assertNotEquals(0, none.code(), none.toString());
    assertTrue(none.err().toLowerCase().contains("credentials"), none.toString());
    resetS3a();

    // The right keys, a bucket that does not exist.
    Run absent =
        ingestWith(
            ABSENT,
            Map.of(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "fs.s3a.access.key",
                ACCESS,
                "fs.s3a.secret.key",
                SECRET));
    assertNotEquals(0, absent.code(), absent.toString());
    assertTrue(absent.err().contains(ABSENT), absent.toString());

    assertNoSecretIn(runs, capture, List.of(SECRET, ACCESS, wrongSecret));
    // Nothing was written where the jobs failed: the buckets hold the release only.
    for (String bucket : List.of(WRONG_KEY, NO_KEY)) {
      Set<String> keys = readBucket(bucket).keySet();
      assertTrue(keys.stream().allMatch(k -> k.startsWith("release/")), keys.toString());
    }
  }

  private Run ingestWith(String bucket, Map<String, String> credentials) {
    List<String> args = new ArrayList<>(List.of("ingest"));
    s3aSettings(credentials)
        .forEach(
            (k, v) -> {
              args.add("--set");
              args.add("medvqa.hadoop.conf.\"" + k + "\"=" + v);
            });
    args.addAll(
        List.of(
            "--set",
            "medvqa.ingest.release=s3a://" + bucket + "/release",
            "--set",
            "medvqa.ingest.out=s3a://" + bucket + "/out"));
    return job(args.toArray(String[]::new));
  }

  /**
   * What a user sets for an S3-compatible store on loopback, plus the given credential settings.
   * Retries are cut to fail fast; the region is named so that the SDK does not look for one.
   */
  private static Map<String, String> s3aSettings(Map<String, String> credentials) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.endpoint", endpoint);
    m.put("fs.s3a.endpoint.region", "us-east-1");
    m.put("fs.s3a.path.style.access", "true");
    m.put("fs.s3a.connection.ssl.enabled", "false");
    m.put("fs.s3a.attempts.maximum", "1");
    m.put("fs.s3a.retry.limit", "1");
    m.putAll(credentials);
    return m;
  }

  private static String hocon(Map<String, String> hadoop) {
    return hadoop.entrySet().stream()
        .map(e -> "  \"" + e.getKey() + "\" = \"" + e.getValue() + "\"")
        .collect(Collectors.joining("\n", "medvqa.hadoop.conf {\n", "\n}\n"));
  }

  /** The test's own s3a settings (keys from the config), for a file system it makes itself. */
  private static Configuration testConf() {
    Configuration c = new Configuration();
    s3aSettings(
            Map.of(
                "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "fs.s3a.access.key",
                ACCESS,
                "fs.s3a.secret.key",
                SECRET))
        .forEach(c::set);
    return c;
  }

  /** Every object of a bucket by key, read through a fresh s3a file system. */
  private static Map<String, byte[]> readBucket(String bucket) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path("s3a://" + bucket + "/");
    try (FileSystem fs = FileSystem.newInstance(root.toUri(), testConf())) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        org.apache.hadoop.fs.Path p = it.next().getPath();
        try (var in = fs.open(p)) {
          out.put(p.toUri().getPath().substring(1), in.readAllBytes());
        }
      }
    }
    return out;
  }

  private static void write(FileSystem fs, String path, String text) throws IOException {
    try (var out = fs.create(new org.apache.hadoop.fs.Path(path), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static List<String> lines(byte[] bytes) {
    assertTrue(bytes != null, "file missing");
    return new String(bytes, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
  }

  private static List<String> ids(List<String> lines) {
    return lines.stream().map(l -> l.substring(0, l.indexOf('|'))).sorted().toList();
  }

  private static void assertNoSecretIn(Map<String, byte[]> objects, List<String> secrets) {
    for (Map.Entry<String, byte[]> o : objects.entrySet()) {
      String text = new String(o.getValue(), StandardCharsets.ISO_8859_1);
      for (String s : secrets) {
        assertFalse(text.contains(s), "a key is stored in the object " + o.getKey());
      }
    }
  }

  /**
   * Neither key in what the jobs printed or logged. (The access key is no secret to AWS, but S3A
   * and the SDK never print it either, so a line that does is worth knowing about.)
   */
  private static void assertNoSecretIn(List<Run> runs, Capture capture, List<String> secrets) {
    String logs = capture.text();
    assertFalse(logs.isEmpty(), "nothing was logged: the capture is not working");
    for (String secret : secrets) {
      for (Run r : runs) {
        assertFalse(r.out().contains(secret), "a key in a job's output:\n" + r);
        assertFalse(r.err().contains(secret), "a key in a job's errors:\n" + r);
      }
      int at = logs.indexOf(secret);
      assertTrue(
          at < 0,
          () -> "a key in the log: " + logs.substring(Math.max(0, at - 300), at + secret.length()));
    }
  }

  private static String envOr(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  private static Map<String, String> snapshot(Configuration conf) {
    Map<String, String> m = new HashMap<>();
    conf.forEach(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }

  /**
   * Closes the S3A file systems the jobs left in Hadoop's cache and puts the shared session's
   * Hadoop settings back, so that the next job makes its own from its own config.
   */
  private void resetS3a() throws IOException {
    Configuration shared = spark.sparkContext().hadoopConfiguration();
    for (String bucket : BUCKETS) {
      // get() returns the cached instance, if any (else a new one against the test server).
      FileSystem.get(URI.create("s3a://" + bucket + "/"), testConf()).close();
    }
    for (String key : snapshot(shared).keySet()) {
      if (!hadoopBefore.containsKey(key)) {
        shared.unset(key);
      }
    }
    hadoopBefore.forEach(shared::set);
  }

  /**
   * S3Proxy on 127.0.0.1 at a free port, with AWS V2/V4 signatures checked against one access key
   * and secret, over jclouds' in-memory store. It runs in this JVM from its self-contained jar in a
   * class loader of its own (over the JDK's, not the test class path), so its jclouds, Jetty 11,
   * Guava and jakarta.* APIs never meet Spark's; hence reflection.
   *
   * <p>Not jclouds' filesystem store: it keeps S3A's "dir/" markers as folders, and deleting a
   * marker whose folder is not empty yet (S3A lists, and so deletes, "a/" before "a/b") costs it
   * ten one-second retries; Spark's commit protocol deletes such trees several times per job (40 of
   * the 57 s of one ingest here). S3Proxy's own filesystem-nio2 store fails those deletes instead.
   */
  static final class S3Server implements AutoCloseable {
    private final URLClassLoader loader;
    private final Object context;
    private final Object proxy;

    private S3Server(URLClassLoader loader, Object context, Object proxy) {
      this.loader = loader;
      this.context = context;
      this.proxy = proxy;
    }

    static S3Server start(Path jar, String access, String secret, List<String> buckets)
        throws Exception {
      URLClassLoader loader =
          new URLClassLoader(
              "s3proxy", new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
      Thread thread = Thread.currentThread();
      ClassLoader before = thread.getContextClassLoader();
      // jclouds finds its providers, and Jetty its threads' loader, through the context loader.
      thread.setContextClassLoader(loader);
      try {
        Class<?> contextBuilder = loader.loadClass("org.jclouds.ContextBuilder");
        Object b = contextBuilder.getMethod("newBuilder", String.class).invoke(null, "transient");
        Class<?> contextClass = loader.loadClass("org.jclouds.blobstore.BlobStoreContext");
        Object context = contextBuilder.getMethod("build", Class.class).invoke(b, contextClass);
        Object blobStore = contextClass.getMethod("getBlobStore").invoke(context);
        Class<?> blobStoreClass = loader.loadClass("org.jclouds.blobstore.BlobStore");
        for (String bucket : buckets) {
          blobStoreClass
              .getMethod(
                  "createContainerInLocation",
                  loader.loadClass("org.jclouds.domain.Location"),
                  String.class)
              .invoke(blobStore, null, bucket);
        }

        Class<?> s3proxy = loader.loadClass("org.gaul.s3proxy.S3Proxy");
        Class<?> builderClass = loader.loadClass("org.gaul.s3proxy.S3Proxy$Builder");
        Class<?> auth = loader.loadClass("org.gaul.s3proxy.AuthenticationType");
        Object builder = s3proxy.getMethod("builder").invoke(null);
        builderClass.getMethod("blobStore", blobStoreClass).invoke(builder, blobStore);
        builderClass
            .getMethod("endpoint", URI.class)
            .invoke(builder, URI.create("http://127.0.0.1:0"));
        builderClass
            .getMethod("awsAuthentication", auth, String.class, String.class)
            .invoke(
                builder,
                auth.getMethod("valueOf", String.class).invoke(null, "AWS_V2_OR_V4"),
                access,
                secret);
        Object proxy = builderClass.getMethod("build").invoke(builder);
        S3Server server = new S3Server(loader, context, proxy);
        s3proxy.getMethod("start").invoke(proxy);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(server.state()) && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertEquals("STARTED", server.state(), "S3Proxy did not start");
        return server;
      } finally {
        thread.setContextClassLoader(before);
      }
    }

    String state() throws ReflectiveOperationException {
      return (String) proxy.getClass().getMethod("getState").invoke(proxy);
    }

    int port() throws ReflectiveOperationException {
      return (Integer) proxy.getClass().getMethod("getPort").invoke(proxy);
    }

    @Override
    public void close() throws Exception {
      try {
        proxy.getClass().getMethod("stop").invoke(proxy);
        // BlobStoreContext is a java.io.Closeable, a JDK type both loaders share.
        ((java.io.Closeable) context).close();
      } finally {
        loader.close();
      }
    }
  }

  /**
   * Everything the jobs log while a test runs: a log4j appender on the root logger, and on S3A, the
   * AWS SDK and medvqa at DEBUG (where the SDK prints its requests and signing; those go to the
   * capture only, not to the build log), and whatever is printed on System.out and System.err. The
   * S3 server's own loggers are left out: it is given the secret, and it is not what is tested.
   */
  static final class Capture extends AbstractAppender {
    private static final List<String> DEBUG =
        List.of("org.apache.hadoop.fs.s3a", "com.amazonaws", "org.medvqa");
    // The SDK's HTTP client logs every byte at DEBUG (the wire log): much text, nothing new.
    private static final String WIRE = "com.amazonaws.thirdparty";
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private final Map<String, LoggerConfig> replaced = new HashMap<>();

    private Capture() {
      super("s3a-test-capture", null, null, false, Property.EMPTY_ARRAY);
    }

    static Capture open() {
      Capture c = new Capture();
      c.start();
      LoggerContext lc = (LoggerContext) LogManager.getContext(false);
      org.apache.logging.log4j.core.config.Configuration cfg = lc.getConfiguration();
      cfg.addAppender(c);
      for (String name : DEBUG) {
        LoggerConfig debug = new LoggerConfig(name, Level.DEBUG, false);
        debug.addAppender(c, Level.ALL, null);
        c.replace(cfg, debug);
      }
      c.replace(cfg, new LoggerConfig(WIRE, Level.INFO, true));
      cfg.getRootLogger().addAppender(c, Level.ALL, null);
      lc.updateLoggers();
      System.setOut(new PrintStream(tee(c.out, c.printed), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(tee(c.err, c.printed), true, StandardCharsets.UTF_8));
      return c;
    }

    private void replace(org.apache.logging.log4j.core.config.Configuration cfg, LoggerConfig l) {
      replaced.put(l.getName(), cfg.getLoggers().get(l.getName()));
      cfg.removeLogger(l.getName());
      cfg.addLogger(l.getName(), l);
    }

    void close() {
      System.setOut(out);
      System.setErr(err);
      LoggerContext lc = (LoggerContext) LogManager.getContext(false);
      org.apache.logging.log4j.core.config.Configuration cfg = lc.getConfiguration();
      cfg.getRootLogger().removeAppender(getName());
      replaced.forEach(
          (name, old) -> {
            cfg.removeLogger(name);
            if (old != null) {
              cfg.addLogger(name, old);
            }
          });
      lc.updateLoggers();
      super.stop();
    }

    @Override
    public void append(LogEvent e) {
      String name = e.getLoggerName();
      if (name.startsWith("org.gaul")
          || name.startsWith("org.jclouds")
          || name.startsWith("jclouds")) {
        return;
      }
      synchronized (text) {
        text.append(java.time.Instant.ofEpochMilli(e.getTimeMillis()))
            .append(' ')
            .append(e.getLevel())
            .append(' ')
            .append(e.getThreadName())
            .append(' ')
            .append(name)
            .append(": ")
            .append(e.getMessage().getFormattedMessage())
            .append('\n');
        if (e.getThrown() != null) {
          StringWriter w = new StringWriter();
          e.getThrown().printStackTrace(new PrintWriter(w));
          text.append(w);
        }
      }
    }

    String text() {
      synchronized (text) {
        synchronized (printed) {
          return text + printed.toString(StandardCharsets.UTF_8);
        }
      }
    }

    private static OutputStream tee(OutputStream a, ByteArrayOutputStream b) {
      return new OutputStream() {
        @Override
        public void write(int x) throws IOException {
          a.write(x);
          synchronized (b) {
            b.write(x);
          }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
          a.write(buf, off, len);
          synchronized (b) {
            b.write(buf, off, len);
          }
        }

        @Override
        public void flush() throws IOException {
          a.flush();
        }
      };
    }
  }
}
