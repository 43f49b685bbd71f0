package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.medvqa.core.stage.StageContext;

/**
 * {@code make bench-augment}: images/s of {@code augment-images} on real VQA-Med 2019 images with
 * local[1] and local[2], beside the torchvision/PIL peer ({@code scripts/bench_augment_torch.py})
 * applying the same transforms with the same parameters to the same images, in the same run. A main
 * run by the Makefile over the built classpath, not a test: timings belong in a table, not in an
 * assertion.
 *
 * <p>Each side runs the whole work once untimed (JIT, file cache) and then {@code --repeats} times;
 * the best run counts. Ours is timed from the job's start to its committed output (Spark
 * scheduling, reading, decoding, transforming, encoding, writing the images, the manifest join and
 * write, provenance), the peer from its pool's start to the last file written. img/s counts source
 * images; each is decoded once and written as K variants.
 */
public final class BenchAugmentImages {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SIDE = Pattern.compile("(?i)\\b(left|right)\\b");

  private BenchAugmentImages() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args, System.out));
  }

  /**
   * A 2019-layout release in {@code root}: {@code n} images of {@code src} (its {@code
   * Train_images}, in name order, the last {@code sided} of them replaced by images whose answers
   * name a side) and all their QA lines.
   */
  static Path release(Path src, Path root, int n, int sided) throws IOException {
    List<String> lines = Files.readAllLines(src.resolve("All_QA_Pairs_train.txt"));
    Set<String> chosen = new LinkedHashSet<>();
    List<String> sorted;
    try (Stream<Path> s = Files.list(src.resolve("Train_images"))) {
      sorted = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String f : sorted) {
      if (chosen.size() == n - sided) {
        break;
      }
      chosen.add(f.replaceFirst("\\.jpg$", ""));
    }
    for (String l : lines) {
      String[] parts = l.split("\\|");
      if (chosen.size() < n && parts.length == 3 && SIDE.matcher(parts[2]).find()) {
        chosen.add(parts[0]);
      }
    }
    Path train = root.resolve("ImageClef_2019_Training");
    Path images = train.resolve("Train_images");
    Files.createDirectories(images);
    for (String id : chosen) {
      Files.copy(src.resolve("Train_images/" + id + ".jpg"), images.resolve(id + ".jpg"));
    }
    List<String> qa = new ArrayList<>();
    for (String l : lines) {
      if (chosen.contains(l.split("\\|")[0])) {
        qa.add(l);
      }
    }
    Files.write(train.resolve("All_QA_Pairs_train.txt"), qa, StandardCharsets.UTF_8);
    return root;
  }

  /** One timed configuration: the best of the timed runs, in seconds. */
  record Timing(double best, double augmentPhase, List<Double> all) {}

  static int run(String[] args, PrintStream out) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("--data", "../shared/data/vqa-med-2019/ImageClef_2019_Training");
    a.put("--images", "64");
    a.put("--work", "work/bench-augment");
    a.put("--python", "/usr/bin/python3");
    a.put("--peer", "scripts/bench_augment_torch.py");
    a.put("--repeats", "3");
    a.put("--variants", "5");
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!a.containsKey(args[i])) {
        out.println("bench-augment: unknown option " + args[i] + "; options: " + a.keySet());
        return 2;
      }
      a.put(args[i], args[i + 1]);
    }
    Path data = Path.of(a.get("--data")).toAbsolutePath().normalize();
    if (!Files.isDirectory(data.resolve("Train_images"))) {
      out.println("bench-augment: no VQA-Med 2019 training images at " + data);
      return 2;
    }
    int n = Integer.parseInt(a.get("--images"));
    int repeats = Integer.parseInt(a.get("--repeats"));
    String variants = a.get("--variants");
    Path work = Path.of(a.get("--work")).toAbsolutePath().normalize();
    delete(work);
    Files.createDirectories(work);
    Path log = work.resolve("bench.log");
    String loadBefore = loadAverage();
    Path release = release(data, work.resolve("release"), n, 0);
    Path ingest = work.resolve("ingest");

    Map<String, Timing> ours = new LinkedHashMap<>();
    List<Row> plan = null;
    String last = "";
    try (PrintStream logOut = new PrintStream(Files.newOutputStream(log), true, "UTF-8")) {
      for (String master : List.of("local[1]", "local[2]")) {
        SparkSession spark =
            SparkTestBase.withJobSettings(SparkSession.builder())
                .master(master)
                .appName("bench-augment " + master)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
          if (!Files.exists(ingest)) {
            int code =
                new Main(logOut, logOut)
                    .run(
                        new String[] {
                          "ingest",
                          "--set",
                          "medvqa.ingest.release=" + release,
                          "--set",
                          "medvqa.ingest.out=" + ingest
                        });
            if (code != 0) {
              out.println("bench-augment: ingest failed; see " + log);
              return 1;
            }
          }
          String tag = master.replaceAll("[^0-9]", "");
          List<Double> times = new ArrayList<>();
          List<Double> phases = new ArrayList<>();
          for (int r = 0; r <= repeats; r++) {
            Path o = work.resolve("ours-" + tag + "-" + r);
            long t = System.nanoTime();
            String printed = augment(ingest, o, variants, logOut);
            double seconds = (System.nanoTime() - t) / 1e9;
            if (printed == null) {
              out.println("bench-augment: augment-images failed; see " + log);
              return 1;
            }
            last = printed;
            if (r > 0) { // run 0 warms up
              times.add(seconds);
              JsonNode prov = JSON.readTree(o.resolve("provenance.json").toFile());
              phases.add(prov.path("notes").path("seconds_augmenting").asDouble());
            }
            if (!(master.equals("local[2]") && r == repeats)) {
              delete(o); // only the last output is kept, for the peer's plan
            }
          }
          ours.put(
              master,
              new Timing(
                  times.stream().min(Double::compare).orElseThrow(),
                  phases.stream().min(Double::compare).orElseThrow(),
                  times));
          out.printf(Locale.ROOT, "ours %s: runs %s s%n", master, fmt(times));
          if (master.equals("local[2]")) {
            plan =
                spark
                    .read()
                    .parquet(work.resolve("ours-2-" + repeats).resolve("manifest").toString())
                    .filter("variant_id > 0")
                    .dropDuplicates("variant_image")
                    .orderBy("variant_image")
                    .select(
                        "parent_image_path",
                        "variant_image",
                        "flip_horizontal",
                        "flip_vertical",
                        "rotation",
                        "shift_x",
                        "shift_y",
                        "blur_sigma",
                        "image_path")
                    .collectAsList();
          }
        } finally {
          spark.stop();
          SparkSession.clearActiveSession();
          SparkSession.clearDefaultSession();
        }
      }
    }

    // The peer, on the parameters ours drew.
    Path planFile = work.resolve("plan.tsv");
    StringBuilder tsv = new StringBuilder();
    for (Row r : plan) {
      List<String> f = new ArrayList<>();
      f.add(Path.of(URI.create(r.getString(0))).toString());
      f.add(r.getString(1));
      for (int i = 2; i < 8; i++) {
        f.add(String.valueOf(r.get(i)));
      }
      f.add(Path.of(URI.create(r.getString(8))).toString());
      tsv.append(String.join("\t", f)).append('\n');
    }
    Files.writeString(planFile, tsv);
    JsonNode peer = peer(a, planFile, work.resolve("peer"), "1,2", "torchvision", repeats, out);
    JsonNode peerPil = peer(a, planFile, work.resolve("peer-pil"), "2", "pil", repeats, out);
    if (peer == null || peerPil == null) {
      return 1;
    }

    double o1 = n / ours.get("local[1]").best();
    double o2 = n / ours.get("local[2]").best();
    double p1 = peer.path("runs").path("1").path("images_per_s").asDouble();
    double p2 = peer.path("runs").path("2").path("images_per_s").asDouble();
    double pPil = peerPil.path("runs").path("2").path("images_per_s").asDouble();
    double phase2 = n / ours.get("local[2]").augmentPhase();
    out.println();
    out.printf(
        Locale.ROOT,
        "bench-augment: %d VQA-Med 2019 training images, %s variants each (%d written), JPEG;"
            + " best of %d runs after a warm-up; img/s = source images per second%n",
        n,
        variants,
        plan.size(),
        repeats);
    out.printf(Locale.ROOT, "%-46s %11s %11s %7s%n", "what", "ours img/s", "peer img/s", "ratio");
    row(out, "1 core: local[1] / 1 process", o1, p1);
    row(out, "2 cores: local[2] / 2 processes", o2, p2);
    row(out, "2 cores, peer blurring with PIL (approximate)", o2, pPil);
    out.printf(Locale.ROOT, "%-46s %11.2f %11.2f%n", "speed-up 2 cores / 1 core", o2 / o1, p2 / p1);
    out.printf(
        Locale.ROOT,
        "ours, local[2], image phase alone (no manifest join and write): %.2f img/s%n",
        phase2);
    out.printf(
        Locale.ROOT,
        "same pixels: mean |ours - peer| = %.3f of 255 over all %d variants (torch %s, PIL %s)%n",
        peer.path("mean_abs_diff_vs_ours").asDouble(),
        plan.size(),
        peer.path("torch").asText(),
        peer.path("pil").asText());
    out.println("last job output line: " + last);
    out.println(
        "load average (1, 5, 15 min) before: "
            + loadBefore
            + ", after: "
            + loadAverage()
            + " on "
            + Runtime.getRuntime().availableProcessors()
            + " cores (other processes share them)");
    out.printf(
        Locale.ROOT,
        "bench-augment: ours=%.2f peer=%.2f ratio=%.2f speedup=%.2f%n",
        o2,
        p2,
        o2 / p2,
        o2 / o1);
    return 0;
  }

  private static void row(PrintStream out, String what, double ours, double peer) {
    out.printf(Locale.ROOT, "%-46s %11.2f %11.2f %7.2f%n", what, ours, peer, ours / peer);
  }

  /** Runs augment-images on the active session; returns its last line, or null on failure. */
  private static String augment(Path ingest, Path out, String variants, PrintStream log) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8);
        StageContext ctx =
            new StageContext(
                "augment-images",
                Main.load(
                    null,
                    new String[] {
                      "medvqa.augment.images.manifest=" + ingest,
                      "medvqa.augment.images.out=" + out,
                      "medvqa.augment.images.variants=" + variants
                    }),
                p,
                p)) {
      new AugmentImagesJob().run(ctx);
      int code = Main.OK;
      log.print(buf.toString(StandardCharsets.UTF_8));
      if (code != 0) {
        return null;
      }
    } catch (Exception e) {
      log.print(buf.toString(StandardCharsets.UTF_8));
      e.printStackTrace(log);
      return null;
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  private static JsonNode peer(
      Map<String, String> a,
      Path plan,
      Path out,
      String workers,
      String blur,
      int repeats,
      PrintStream say)
      throws IOException, InterruptedException {
    List<String> cmd =
        List.of(
            a.get("--python"),
            a.get("--peer"),
            "--plan",
            plan.toString(),
            "--out",
            out.toString(),
            "--workers",
            workers,
            "--blur",
            blur,
            "--repeats",
            String.valueOf(repeats));
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    List<String> lines = stdout.lines().filter(l -> l.startsWith("{")).toList();
    if (code != 0 || lines.isEmpty()) {
      say.println("bench-augment: the peer failed (exit " + code + "): " + String.join(" ", cmd));
      return null;
    }
    return JSON.readTree(lines.get(lines.size() - 1));
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String fmt(List<Double> xs) {
    List<String> s = new ArrayList<>();
    for (double x : xs) {
      s.add(String.format(Locale.ROOT, "%.2f", x));
    }
    return String.join(", ", s);
  }

  private static void delete(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
