package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.image.CmykJpeg;
import org.medvqa.core.image.ImageDecoder;

/**
 * {@code pipeline} under faults, on small synthetic releases (64-pixel images):
 *
 * <ol>
 *   <li>a release with one bad record of every kind planted in it: the run succeeds, nothing
 *       crashes, and every input line is either in the manifest or in {@code _rejected} with a
 *       reason naming its problem; the odd images that are accepted (CMYK, 16-bit PNG) go through
 *       augment-images and extract-features too;
 *   <li>a DL4J training killed (SIGKILL) after a checkpoint and started again with the same
 *       command: it resumes, skips the finished stages and ends with the model an uninterrupted run
 *       makes;
 *   <li>task failures injected into the first attempt of Spark tasks ({@link FlakyFileSystem},
 *       master {@code local[2,4]}): the ingest and augment outputs equal those of a clean run.
 * </ol>
 *
 * Parts 2 and 3 run the job in a child JVM (a kill, and another master, need their own process).
 */
class PipelineFaultsTest extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MAIN = "All_QA_Pairs_train.txt";

  @TempDir static Path dir;

  /** The release with the planted records, and what ingest must make of each input line. */
  static Path release;

  static List<Expect> expected;
  static Path tiny;

  /** The clean run of part 1, which part 3 compares with (made once, by whichever needs it). */
  private static Path cleanRun;

  private static Run cleanRunResult;

  /**
   * One input line (or an empty file, line 0) and its fate: {@code reason} null for accepted, else
   * a fragment the rejection reason must contain.
   */
  record Expect(String file, int line, String reason) {}

  @BeforeAll
  static void fixtures() throws Exception {
    release = dir.resolve("release");
    synth(release, 24, 6, 6);
    expected = plant(release);
    tiny = dir.resolve("tiny.zip");
    ModelSerializer.writeModel(
        ExtractFeaturesJobTest.tinyNetwork(), new File(tiny.toString()), false);
  }

  static void synth(Path out, int train, int val, int test) {
    Run synth =
        medvqa(
            "synth",
            "--set",
            set("medvqa.synth.out", out),
            "--set",
            "medvqa.synth.train-images=" + train,
            "--set",
            "medvqa.synth.val-images=" + val,
            "--set",
            "medvqa.synth.test-images=" + test,
            "--set",
            "medvqa.synth.image-size=64");
    assertEquals(0, synth.code(), synth.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // 1. Bad input.

  /**
   * Plants the bad records into the synthetic 2019 release and returns what ingest must make of
   * every line of the files it reads. Each case says, in its comment, what is correct and why.
   */
  static List<Expect> plant(Path root) throws Exception {
    Path train = root.resolve("ImageClef_2019_Training");
    Path images = train.resolve("Train_images");
    Path main = train.resolve(MAIN);
    List<String> original = Files.readAllLines(main, StandardCharsets.UTF_8);
    List<Expect> expect = new ArrayList<>();
    for (int i = 1; i <= original.size(); i++) {
      expect.add(new Expect(MAIN, i, null)); // the synthetic release's own pairs: all good
    }
    String[] first = original.get(0).split("\\|");
    String[] second = original.get(1).split("\\|");
    String id = first[0];
    byte[] good = jpeg(64, 64);

    // Odd but usable images: accepted, and augment-images and extract-features must read them.
    // A CMYK JPEG (with the Adobe marker Photoshop and scanners write): decoded by the
    // TwelveMonkeys plugin, converted to sRGB by the image code.
    Files.write(images.resolve("cmyk_img.jpg"), CmykJpeg.encodeAdobe(CmykJpeg.image(64, 64)));
    // 16-bit PNGs (the 2019 layout names no image format; ingest looks for .jpg, .jpeg, .png):
    // grey (as radiographs are stored) and RGB; rescaled to 8 bits by the image code.
    Files.write(images.resolve("grey16_img.png"), png16(64, 64, false));
    Files.write(images.resolve("rgb16_img.png"), png16(64, 64, true));
    // Unusable images: rejected, the reason naming the problem.
    // Decoding in doubt: four components without the Adobe marker (libjpeg and PIL read CMYK,
    // Java's decoders YCbCr with alpha, which can come out nearly blank), and transparent pixels.
    Files.write(images.resolve("unmarked_img.jpg"), CmykJpeg.encode(CmykJpeg.image(64, 64)));
    Files.write(images.resolve("transparent_img.png"), transparentPng(64, 64));
    // A JPEG whose entropy-coded data was partly overwritten (bit rot): JPEG has no checksum, but
    // the decoder finds the damaged scan longer than its frame and warns, which counts as corrupt.
    // (Damage that keeps the scan's structure would decode into wrong pixels unnoticed: no reader
    // can tell those.)
    Files.write(images.resolve("garbled_img.jpg"), garbled(good));
    Files.write(images.resolve("truncated_img.jpg"), Arrays.copyOf(good, good.length * 2 / 3));
    Files.write(images.resolve("corrupt_img.jpg"), brokenHuffmanTable(good));
    Files.write(
        images.resolve("notimage_img.jpg"), "not an image at all".getBytes(StandardCharsets.UTF_8));
    Files.write(images.resolve("empty_img.jpg"), new byte[0]);
    // Headers declaring sides above max-image-side (20000): refused from the header, before any
    // pixel buffer is allocated (the files are a few hundred bytes).
    Files.write(images.resolve("huge_img.jpg"), withJpegSize(good, 60000, 60000));
    Files.write(images.resolve("hugepng_img.png"), pngHeaderOnly(100000, 100000));

    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(Files.readAllBytes(main));
    b.write('\n'); // the main file, as the real one, ends without a newline
    int[] line = {original.size()};
    java.util.function.BiConsumer<byte[], String> add =
        (bytes, reason) -> {
          b.writeBytes(bytes);
          b.write('\n');
          expect.add(new Expect(MAIN, ++line[0], reason));
        };
    java.util.function.BiConsumer<String, String> text =
        (s, reason) -> add.accept(s.getBytes(StandardCharsets.UTF_8), reason);
    text.accept("cmyk_img|what modality is shown?|ct", null);
    text.accept("grey16_img|in what plane is this image taken?|axial", null);
    text.accept("rgb16_img|what organ system is shown?|chest", null);
    text.accept(
        "garbled_img|what modality is used?|mr", "image garbled_img: corrupt image: Corrupt JPEG");
    text.accept(
        "unmarked_img|what modality is shown?|ct",
        "doubtful decoding: a four-component JPEG without an Adobe marker");
    text.accept(
        "transparent_img|what modality is shown?|ct",
        "doubtful decoding: the image has transparent pixels");
    text.accept("missing_img|what modality is shown?|ct", "missing image file");
    text.accept("truncated_img|what modality is shown?|ct", "image truncated_img: corrupt image");
    text.accept("corrupt_img|what modality is shown?|ct", "image corrupt_img: unreadable image");
    text.accept("notimage_img|what modality is shown?|ct", "not a readable image format");
    text.accept("empty_img|what modality is shown?|ct", "empty image file");
    text.accept(
        "huge_img|what modality is shown?|ct",
        "image is 60000x60000, larger than the limit of 20000 px");
    text.accept(
        "hugepng_img|what modality is shown?|ct",
        "image is 100000x100000, larger than the limit of 20000 px");
    // Text that is not UTF-8 (a Latin-1 file edited in): the line is rejected with its raw bytes
    // escaped, never decoded into replacement characters.
    add.accept(
        concat(
            id.getBytes(StandardCharsets.UTF_8),
            new byte[] {'|', 'w', 'h', 'a', 't', ' ', (byte) 0xE9, '?', '|', 'c', 't'}),
        "not UTF-8: invalid byte 0xE9");
    add.accept(
        concat(id.getBytes(StandardCharsets.UTF_8), new byte[] {'|', (byte) 0xFF, '|', 'c', 't'}),
        "not UTF-8: invalid byte 0xFF");
    text.accept(id + "|only two fields?", "wrong field count: 2 fields, expected 3");
    text.accept(id + "|what|is|this?", "wrong field count: 4 fields, expected 3");
    text.accept(id + "|what plane is the new view?|", "empty answer");
    text.accept(id + "|what plane is the newer view?|   ", "empty answer");
    text.accept(id + "|   |ct", "empty question");
    // The same (image, question) again, with the same and with another answer: the first one
    // wins (the release's order), the others are rejected pointing at it.
    text.accept(original.get(0), "duplicate (image, question) pair: first at");
    text.accept(
        second[0] + "|" + second[1] + "|a different answer",
        "duplicate (image, question) pair: first at");
    // Ids that would escape the image folder.
    text.accept("../../etc/passwd|what modality is shown?|ct", "contains a path separator");
    text.accept("..|what modality is shown?|ct", "contains '..'");
    text.accept("img 1|what modality is shown?|ct", "has characters other than");
    add.accept(new byte[0], "blank"); // a blank line holds no record: not counted
    expect.remove(expect.size() - 1);
    text.accept(first[0] + "|which plane is this, again?|axial", null); // after the blank line
    Files.write(main, b.toByteArray());

    // An empty category file (its pairs are still in the main file, their category then inferred
    // from the question): one rejected record naming the file, line 0.
    Path cats = train.resolve("QAPairsByCategory");
    Files.write(cats.resolve("C4_Abnormality_train.txt"), new byte[0]);
    expect.add(new Expect("C4_Abnormality_train.txt", 0, "empty file: no records"));
    // A category file of a category other than the four: each line is rejected naming it (one
    // repeats a main-file pair, one is new), neither is read as an uncategorised pair.
    Files.writeString(
        cats.resolve("C5_Colour_train.txt"),
        original.get(0) + "\n" + id + "|what colour is the image?|grey\n");
    for (int i = 1; i <= 2; i++) {
      expect.add(
          new Expect(
              "C5_Colour_train.txt",
              i,
              "unknown category 'Colour' in the name of C5_Colour_train.txt"));
    }

    // An unknown category: the 2019 test file states each question's category.
    Path test = root.resolve("VQAMed2019_Test/VQAMed2019_Test_Questions_w_Ref_Answers.txt");
    List<String> testLines = Files.readAllLines(test, StandardCharsets.UTF_8);
    String testId = testLines.get(0).split("\\|")[0];
    Files.writeString(
        test,
        testId + "|colour|what colour is this image?|grey\n",
        java.nio.file.StandardOpenOption.APPEND);
    for (int i = 1; i <= testLines.size(); i++) {
      expect.add(new Expect("VQAMed2019_Test_Questions_w_Ref_Answers.txt", i, null));
    }
    expect.add(
        new Expect(
            "VQAMed2019_Test_Questions_w_Ref_Answers.txt",
            testLines.size() + 1,
            "unknown category 'colour'"));
    return expect;
  }

  /** The pipeline of part 1: majority model, augment-images on, the planted release. */
  static List<String> pipelineArgs(String releaseRoot, String out, String workspace) {
    return new ArrayList<>(
        List.of(
            "pipeline",
            "--config",
            Path.of("../conf/runs/vqa-majority.conf").toAbsolutePath().toString(),
            "--set",
            "medvqa.data.train=" + releaseRoot + "/ImageClef_2019_Training",
            "--set",
            "medvqa.data.test=" + releaseRoot + "/VQAMed2019_Test",
            "--set",
            "medvqa.out=" + out,
            "--set",
            "medvqa.workspace=" + workspace,
            "--set",
            "medvqa.pipeline.stages.augment-images=true",
            "--set",
            "medvqa.augment.images.variants=1",
            // Every training image is augmented: no held-out part.
            "--set",
            "medvqa.ingest.holdout.fraction=0",
            "--set",
            "medvqa.ingest.max-rejected-fraction=0.5"));
  }

  /** Runs part 1's pipeline once in this JVM (local[2]); part 3 compares with it. */
  static synchronized Path cleanRun() {
    if (cleanRun == null) {
      Path out = dir.resolve("clean-run");
      cleanRunResult =
          medvqa(
              pipelineArgs(
                      release.toAbsolutePath().toString(),
                      out.toString(),
                      dir.resolve("workspace").toString())
                  .toArray(new String[0]));
      cleanRun = out;
    }
    return cleanRun;
  }

  @Test
  void everyPlantedBadRecordIsRejectedWithItsReasonAndEveryGoodOneIsKept() throws Exception {
    Path out = cleanRun();
    Run r = cleanRunResult;
    assertEquals(0, r.code(), r.toString());
    assertFalse(crashed(r.out() + r.err()), r.toString());
    assertTrue(
        r.out().contains("stages run: ingest-train, ingest-test, augment-images, model"), r.out());

    // Every line of every file read is accounted for exactly once: a manifest row, a rejected
    // row, or (category files) the category of a main-file pair.
    Map<String, Row> fate = new HashMap<>(); // "file:line" -> manifest or rejected row
    List<Row> manifest = new ArrayList<>();
    List<Row> rejected = new ArrayList<>();
    for (String ingest : List.of("ingest-train", "ingest-test")) {
      manifest.addAll(table(out.resolve(ingest).resolve("manifest")));
      rejected.addAll(table(out.resolve(ingest).resolve("_rejected")));
    }
    for (Row row : manifest) {
      String key = fileName(row.getAs("source_file")) + ":" + row.getAs("source_line");
      assertNull(fate.put(key, row), "two manifest rows from " + key);
    }
    for (Row row : rejected) {
      String key = fileName(row.getString(0)) + ":" + row.getInt(1);
      assertNull(fate.put(key, row), "line " + key + " both kept and rejected, or twice rejected");
    }
    List<String> problems = new ArrayList<>();
    for (Expect e : expected) {
      Row row = fate.remove(e.file() + ":" + e.line());
      if (row == null) {
        problems.add(e + ": silently dropped");
      } else if (e.reason() == null && row.schema().getFieldIndex("reason").isDefined()) {
        problems.add(e + ": rejected: " + row.getAs("reason"));
      } else if (e.reason() != null && !row.schema().getFieldIndex("reason").isDefined()) {
        problems.add(e + ": accepted");
      } else if (e.reason() != null && !row.<String>getAs("reason").contains(e.reason())) {
        problems.add(e + ": rejected for another reason: " + row.getAs("reason"));
      }
    }
    // Left: rows of lines no case expects (other than category-file lines, checked below).
    fate.keySet().removeIf(k -> k.matches("C[1-4]_\\w+_train\\.txt:\\d+"));
    fate.forEach((k, row) -> problems.add(k + ": unexpected row " + row));
    assertEquals(List.of(), problems, r.out());

    // The category files: each line labels the main file's pair (or is a row of its own).
    Path cats = release.resolve("ImageClef_2019_Training/QAPairsByCategory");
    Map<String, Row> byPair = new HashMap<>();
    for (Row row : manifest) {
      byPair.put(row.getAs("image_id") + "|" + row.getAs("question"), row);
    }
    for (String c : List.of("C1_Modality_train.txt", "C2_Plane_train.txt", "C3_Organ_train.txt")) {
      List<String> lines = Files.readAllLines(cats.resolve(c));
      assertEquals(24, lines.size(), c);
      for (String l : lines) {
        String[] f = l.split("\\|");
        Row row = byPair.get(f[0] + "|" + f[1]);
        assertNotNull(row, c + ": " + l + " is neither labelled nor kept");
        assertEquals("file", row.getAs("category_source"), l);
        assertTrue(c.toLowerCase(java.util.Locale.ROOT).contains(row.getAs("category")), l);
      }
    }
    // Count per file: lines in = manifest rows + rejected rows (the main file; blank lines hold
    // no record).
    long mainLines =
        Arrays.stream(
                new String(
                        Files.readAllBytes(release.resolve("ImageClef_2019_Training/" + MAIN)),
                        StandardCharsets.ISO_8859_1)
                    .split("\n"))
            .filter(l -> !l.isBlank())
            .count();
    long mainRows =
        Stream.concat(
                manifest.stream().map(x -> (String) x.getAs("source_file")),
                rejected.stream().map(x -> x.getString(0)))
            .filter(f -> f.endsWith("/" + MAIN))
            .count();
    assertEquals(mainLines, mainRows, "lines in " + MAIN + " vs manifest + rejected rows");

    // The accepted odd images: their sizes and content hashes are in the manifest ...
    for (String odd : List.of("cmyk_img", "grey16_img", "rgb16_img")) {
      Row row =
          byPair.values().stream()
              .filter(x -> x.getAs("image_id").equals(odd))
              .findFirst()
              .orElseThrow();
      assertEquals(64, (int) row.getAs("image_width"), odd);
      assertEquals(64, (int) row.getAs("image_height"), odd);
      assertEquals(64, ((String) row.getAs("image_sha256")).length(), odd);
    }
    // ... augment-images made their variant without a rejection ...
    assertEquals(0, table(out.resolve("augment-images/_rejected")).size());
    ImageDecoder decoder = new ImageDecoder(20000);
    List<Row> augmented = table(out.resolve("augment-images/manifest"));
    for (String odd : List.of("cmyk_img", "grey16_img", "rgb16_img")) {
      List<Row> variants = augmented.stream().filter(x -> x.getAs("image_id").equals(odd)).toList();
      assertEquals(2, variants.size(), odd + ": the original and one variant");
      for (Row v : variants) {
        if ((int) v.getAs("variant_id") == 1) {
          byte[] bytes = Files.readAllBytes(Path.of(java.net.URI.create(v.getAs("image_path"))));
          ImageDecoder.Decoded d = decoder.decode(bytes);
          assertTrue(d.ok(), odd + ": " + d.problem());
          assertEquals(64, d.width());
        }
      }
    }
    // ... and extract-features reads the originals and the variants.
    Path features = dir.resolve("features-of-odd-images");
    Run fx =
        medvqa(
            "extract-features",
            "--set",
            set("medvqa.features.manifest", out.resolve("augment-images")),
            "--set",
            set("medvqa.features.out", features),
            "--set",
            set("medvqa.features.model.file", tiny),
            "--set",
            "medvqa.features.image.size=64",
            "--set",
            "medvqa.features.image.preprocessing=raw",
            "--set",
            "medvqa.features.max-rejected-fraction=0");
    assertEquals(0, fx.code(), fx.toString());
    assertFalse(crashed(fx.out() + fx.err()), fx.toString());
    List<String> keys = new ArrayList<>();
    for (Row k :
        spark
            .read()
            .parquet(features.resolve("features").toString())
            .select("image_id", "variant_id")
            .collectAsList()) {
      keys.add(k.getString(0) + "/" + k.getInt(1));
    }
    for (String odd : List.of("cmyk_img", "grey16_img", "rgb16_img")) {
      assertTrue(keys.contains(odd + "/0") && keys.contains(odd + "/1"), odd + " in " + keys);
    }
    assertEquals(
        0, json(features.resolve("provenance.json")).at("/counts/images_rejected").asLong());
  }

  /** A category file named in the config, without its category, is a configuration error. */
  @Test
  void aCategoryFileNamedInTheConfigNeedsItsCategory() {
    Run r =
        medvqa(
            "ingest",
            "--set",
            set("medvqa.ingest.release", release),
            "--set",
            set("medvqa.ingest.out", dir.resolve("no-category")),
            "--set",
            "medvqa.ingest.files=[{path = \"ImageClef_2019_Training/QAPairsByCategory/"
                + "C1_Modality_train.txt\", format = category-qa, split = train}]");
    assertEquals(2, r.code(), r.toString());
    assertTrue(
        r.err().contains("'medvqa.ingest.files[0].category' (format category-qa)"), r.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Injected task failures.

  @Test
  void injectedTaskFailuresAreRetriedAndChangeNoOutput() throws Exception {
    Path clean = cleanRun();
    assertEquals(0, cleanRunResult.code(), cleanRunResult.toString());
    Path faulty = dir.resolve("faulty-run");
    String flaky = FlakyFileSystem.SCHEME + "://";
    List<String> args =
        pipelineArgs(
            flaky + release.toAbsolutePath(),
            flaky + faulty.toAbsolutePath(),
            flaky + dir.resolve("workspace-faulty").toAbsolutePath());
    args.addAll(
        List.of("--set", "medvqa.hadoop.conf.fs.flaky.impl=" + FlakyFileSystem.class.getName()));
    Run r = child("local[2,4]", args, null);
    assertEquals(0, r.code(), r.out());
    assertFalse(crashedChild(r.out()), r.out());
    // Failures were injected where it matters: reading the release's text files and images,
    // reading the ingest output, writing the augmented images and the Parquet tables.
    List<String> injected =
        r.out().lines().filter(l -> l.startsWith(FlakyFileSystem.MARK)).toList();
    System.out.println(
        "PipelineFaultsTest: " + injected.size() + " task failures injected and retried");
    for (String where :
        List.of(
            "open("
                + flaky.replace("//", "")
                + release.toAbsolutePath()
                + "/ImageClef_2019_Training/",
            "Train_images/",
            "ingest-train/manifest/part-",
            "create(")) {
      assertTrue(injected.stream().anyMatch(l -> l.contains(where)), where + " in " + injected);
    }

    UnaryOperator<String> normal =
        s ->
            // file:///x (as ingest writes local URIs) and flaky:/x (Hadoop's form) are one file.
            s.replaceAll("(file|flaky):/+", "file:/")
                .replace(faulty.toAbsolutePath().toString(), "<out>")
                .replace(clean.toAbsolutePath().toString(), "<out>");
    for (String table :
        List.of(
            "ingest-train/manifest",
            "ingest-train/_rejected",
            "ingest-test/manifest",
            "ingest-test/_rejected",
            "augment-images/manifest",
            "augment-images/_rejected")) {
      List<String> want = rows(clean.resolve(table), normal);
      List<String> got = rows(faulty.resolve(table), normal);
      List<String> missing = new ArrayList<>(want);
      missing.removeAll(got);
      List<String> extra = new ArrayList<>(got);
      extra.removeAll(want);
      assertEquals(want.size(), got.size(), table + ": missing " + missing + ", extra " + extra);
      assertEquals(List.of(), missing, table + ": extra " + extra);
    }
    for (String stage : List.of("ingest-train", "ingest-test", "augment-images")) {
      assertEquals(
          json(clean.resolve(stage + "/provenance.json")).get("counts"),
          json(faulty.resolve(stage + "/provenance.json")).get("counts"),
          stage + " counts");
    }
    // The augmented images: the same files with the same bytes.
    Map<String, byte[]> a = files(clean.resolve("augment-images/images"));
    Map<String, byte[]> b = files(faulty.resolve("augment-images/images"));
    assertEquals(a.keySet(), b.keySet());
    assertTrue(a.size() > 24, a.keySet().toString());
    for (String f : a.keySet()) {
      assertTrue(Arrays.equals(a.get(f), b.get(f)), f + " differs");
    }
    assertEquals(
        json(clean.resolve("metrics.json")).get("accuracy").asDouble(),
        json(faulty.resolve("metrics.json")).get("accuracy").asDouble(),
        0.0);
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Kill and resume.

  @Test
  void aKilledTrainingResumesAndEndsWithTheModelOfAnUninterruptedRun() throws Exception {
    Path clean = dir.resolve("clean-release");
    synth(clean, 40, 8, 4);
    int epochs = 8;
    java.util.function.Function<Path, List<String>> command =
        out ->
            new ArrayList<>(
                List.of(
                    "pipeline",
                    "--config",
                    Path.of("../conf/runs/vqa-run5.conf").toAbsolutePath().toString(),
                    "--set",
                    set("medvqa.data.train", clean.resolve("ImageClef_2019_Training")),
                    "--set",
                    set("medvqa.data.test", clean.resolve("ImageClef_2019_Validation")),
                    "--set",
                    set("medvqa.out", out),
                    "--set",
                    set("medvqa.workspace", dir.resolve("workspace-kill")),
                    "--set",
                    set("medvqa.features.model.file", tiny),
                    "--set",
                    "medvqa.features.image.size=64",
                    "--set",
                    "medvqa.features.image.preprocessing=raw",
                    "--set",
                    "medvqa.train.epochs=" + epochs,
                    "--set",
                    "medvqa.train.batch-size=16",
                    "--set",
                    "medvqa.train.learning-rate=0.003",
                    // One worker: no parameter averaging across threads, so a run is repeatable
                    // and the resumed run must match the uninterrupted one exactly.
                    "--set",
                    "medvqa.train.workers=1"));

    // The uninterrupted run, in this JVM (same master, local[2]).
    Path whole = dir.resolve("uninterrupted");
    Run w = medvqa(command.apply(whole).toArray(new String[0]));
    assertEquals(0, w.code(), w.toString());

    // The same command in a child JVM, killed once epoch 2 is checkpointed ...
    Path out = dir.resolve("killed");
    Run killed = child("local[2]", command.apply(out), l -> l.contains("train: epoch 2/" + epochs));
    assertTrue(killed.code() != 0, "the run was killed: " + killed.out());
    assertFalse(Files.exists(out.resolve("model/provenance.json")), killed.out());
    Path work = out.resolve(".model.work");
    assertTrue(Files.exists(work.resolve("checkpoint.zip")), killed.out());
    assertTrue(json(work.resolve("state.json")).get("epoch").asInt() >= 2);

    // ... and again: the finished stages are skipped, training resumes after its checkpoint.
    Run resumed = child("local[2]", command.apply(out), null);
    assertEquals(0, resumed.code(), resumed.out());
    String o = resumed.out();
    assertTrue(o.contains("ingest-train is complete for these inputs and settings; skipped"), o);
    assertTrue(o.contains("ingest-test is complete for these inputs and settings; skipped"), o);
    assertTrue(o.contains("0 images to extract"), o);
    assertTrue(o.contains("train: resuming after epoch "), o);
    assertFalse(o.contains("train: epoch 1/" + epochs + ":"), o);
    int resumedAfter = json(out.resolve("model/training.json")).get("resumed_after_epoch").asInt();
    assertTrue(resumedAfter >= 2 && resumedAfter < epochs, "resumed after " + resumedAfter);
    assertFalse(Files.exists(work), "the work folder is removed after success");

    // The same model: every epoch's losses and validation score, and the test metrics.
    List<JsonNode> a = jsonLines(whole.resolve("model/metrics.jsonl"));
    List<JsonNode> b = jsonLines(out.resolve("model/metrics.jsonl"));
    assertEquals(epochs, a.size());
    assertEquals(epochs, b.size());
    for (int e = 0; e < epochs; e++) {
      String metric = "validation_" + a.get(e).get("metric").asText();
      for (String f : List.of("epoch", "train_loss", "validation_loss", metric)) {
        assertEquals(a.get(e).get(f).asDouble(), b.get(e).get(f).asDouble(), 1e-6, f + " " + e);
      }
    }
    assertEquals(
        json(whole.resolve("metrics.json")).get("accuracy").asDouble(),
        json(out.resolve("metrics.json")).get("accuracy").asDouble(),
        0.0);
    assertEquals(
        Files.readAllLines(whole.resolve("submission.txt")),
        Files.readAllLines(out.resolve("submission.txt")));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /**
   * Runs {@code medvqa args} in a child JVM; kills it (SIGKILL) at the first line {@code kill}
   * matches.
   */
  static Run child(String master, List<String> args, Predicate<String> kill) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx2g");
    // The parent's --add-opens (the parent pom's medvqa.jvm.opens, as bin/medvqa passes them).
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Djdk.reflect")) {
        cmd.add(a);
      }
    }
    Path tmp = Files.createDirectories(dir.resolve("child-tmp"));
    cmd.add("-Djava.io.tmpdir=" + tmp); // Spark's scratch of a killed child stays in @TempDir
    cmd.add("-Dspark.master=" + master);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    AtomicBoolean killed = new AtomicBoolean();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        out.append(line).append('\n');
        if (kill != null && !killed.get() && kill.test(line)) {
          p.destroyForcibly();
          killed.set(true);
          out.append("[test: killed the child here]\n");
        }
      }
    } catch (IOException e) {
      if (!killed.get()) {
        throw e;
      }
      // Destroying the process closes its output stream under the reader: the kill, not an error.
    }
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("child did not end:\n" + out);
    }
    if (kill != null && !killed.get()) {
      throw new AssertionError("the line to kill at never came:\n" + out);
    }
    return new Run(p.exitValue(), out.toString(), "");
  }

  /**
   * An uncaught exception (a crash) rather than a job failure with its reason, in what a job
   * printed (in this JVM, Spark's log goes elsewhere: any stack trace is the job's).
   */
  static boolean crashed(String output) {
    return output.contains("\tat ") || crashedChild(output);
  }

  /**
   * The same for a child JVM, whose output holds Spark's log too, with the stack traces of the
   * injected task failures: a crash is a job that failed, or a thread that died.
   */
  static boolean crashedChild(String output) {
    return output.contains(": failed: ") || output.contains("Exception in thread");
  }

  static List<Row> table(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new AssertionError(folder + " does not exist");
    }
    // Spark skips paths starting with "_" when it lists a folder: read the part files.
    return spark.read().parquet(folder.toString() + "/*.parquet").collectAsList();
  }

  static List<String> rows(Path folder, UnaryOperator<String> normal) throws IOException {
    List<String> out = new ArrayList<>();
    for (Row r : table(folder)) {
      out.add(normal.apply(r.toString()));
    }
    out.sort(null);
    return out;
  }

  static Map<String, byte[]> files(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  static String fileName(String uri) {
    return uri.substring(uri.lastIndexOf('/') + 1);
  }

  static JsonNode json(Path p) throws IOException {
    return JSON.readTree(p.toFile());
  }

  static List<JsonNode> jsonLines(Path p) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(p)) {
      if (!l.isBlank()) {
        out.add(JSON.readTree(l));
      }
    }
    return out;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A colour JPEG with detail everywhere (so that every part of the file holds pixels). */
  static byte[] jpeg(int w, int h) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    Random rnd = new Random(7);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(0x1000000));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", out);
    return out.toByteArray();
  }

  /** A 16-bit PNG, grey or RGB. */
  static byte[] png16(int w, int h, boolean rgb) throws IOException {
    BufferedImage img;
    if (rgb) {
      ComponentColorModel cm =
          new ComponentColorModel(
              ColorSpace.getInstance(ColorSpace.CS_sRGB),
              false,
              false,
              java.awt.Transparency.OPAQUE,
              DataBuffer.TYPE_USHORT);
      WritableRaster r = cm.createCompatibleWritableRaster(w, h);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          r.setPixel(x, y, new int[] {x * 1000, y * 1000, 30000});
        }
      }
      img = new BufferedImage(cm, r, false, null);
    } else {
      img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          img.getRaster().setSample(x, y, 0, x * 1000 + y * 17);
        }
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, "png", out));
    return out.toByteArray();
  }

  /** An RGBA PNG whose picture is in the alpha channel (its colour channels are all black). */
  static byte[] transparentPng(int w, int h) throws IOException {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, ((x * 4) & 0xff) << 24);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, "png", out));
    return out.toByteArray();
  }

  /** {@code jpeg} with 64 bytes in the middle of its entropy-coded data replaced. */
  static byte[] garbled(byte[] jpeg) {
    byte[] out = jpeg.clone();
    Random rnd = new Random(1);
    for (int i = out.length / 2; i < out.length / 2 + 64; i++) {
      out[i] = (byte) rnd.nextInt(0xFF); // never 0xFF: no marker appears
    }
    return out;
  }

  /** {@code jpeg} with its first Huffman table overwritten with 0xFF bytes. */
  static byte[] brokenHuffmanTable(byte[] jpeg) {
    byte[] out = jpeg.clone();
    int at = marker(out, 0xC4);
    Arrays.fill(out, at + 5, at + 25, (byte) 0xFF);
    return out;
  }

  /** {@code jpeg} with the size in its frame header (SOF0) replaced. */
  static byte[] withJpegSize(byte[] jpeg, int w, int h) {
    byte[] out = jpeg.clone();
    int at = marker(out, 0xC0);
    ByteBuffer.wrap(out, at + 5, 4).putShort((short) h).putShort((short) w);
    return out;
  }

  private static int marker(byte[] jpeg, int code) {
    for (int i = 0; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == code) {
        return i;
      }
    }
    throw new IllegalStateException("no marker " + Integer.toHexString(code));
  }

  /** A PNG whose header declares {@code w x h} grey pixels, with one tiny data chunk. */
  static byte[] pngHeaderOnly(int w, int h) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).array());
    Deflater d = new Deflater();
    d.setInput(new byte[16]);
    d.finish();
    byte[] z = new byte[64];
    int n = d.deflate(z);
    chunk(out, "IDAT", Arrays.copyOf(z, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(t);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
