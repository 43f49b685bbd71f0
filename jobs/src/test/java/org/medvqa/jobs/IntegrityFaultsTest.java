package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.image.CmykJpeg;
import org.medvqa.core.io.ContentHash;

/**
 * The fault matrix, continued ({@link PipelineFaultsTest} part 1): inputs that used to get through
 * with exit 0 and wrong or missing data. For each, every job that reads the input ends with a
 * rejected row naming the reason, or with a clear error and a non-zero exit; never exit 0 with less
 * or different data than it was given.
 *
 * <ul>
 *   <li>an image whose bytes changed after ingest: augment-images, extract-features (also into the
 *       shared, content-keyed cache), reject or fail;
 *   <li>an image whose decoding is in doubt, past an ingest that did not decode it: augment-images
 *       and extract-features reject it;
 *   <li>an empty question file that would lose its split: ingest fails naming it;
 *   <li>a killed ingest's temporary folder: the next run of the same output removes it;
 *   <li>sample ids: derived from content, stable when other lines are added or removed;
 *   <li>the evaluator's inputs: not UTF-8, binary, empty.
 * </ul>
 *
 * (A typo in the configuration's root and missing includes: {@link CommandLineTest}.)
 */
class IntegrityFaultsTest extends SparkTestBase {
  private static final String MAIN = "All_QA_Pairs_train.txt";

  @TempDir static Path dir;
  static Path release;
  static Path tiny;

  @BeforeAll
  static void fixtures() throws Exception {
    release = dir.resolve("release");
    PipelineFaultsTest.synth(release, 12, 3, 3);
    tiny = dir.resolve("tiny.zip");
    ModelSerializer.writeModel(
        ExtractFeaturesJobTest.tinyNetwork(), new File(tiny.toString()), false);
  }

  /** A copy of the synthetic release's training folder, to damage. */
  static Path trainingCopy(String name) throws Exception {
    Path from = release.resolve("ImageClef_2019_Training");
    Path to = dir.resolve(name);
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  static Run ingest(Path release, Path out, String... sets) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "ingest",
                "--set",
                set("medvqa.ingest.release", release),
                "--set",
                set("medvqa.ingest.out", out),
                "--set",
                "medvqa.ingest.release-name=2019"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return medvqa(args.toArray(new String[0]));
  }

  static Run extract(Path manifest, Path out, String... sets) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "extract-features",
                "--set",
                set("medvqa.features.manifest", manifest),
                "--set",
                set("medvqa.features.out", out),
                "--set",
                set("medvqa.features.model.file", tiny),
                "--set",
                "medvqa.features.image.size=64",
                "--set",
                "medvqa.features.image.preprocessing=raw",
                "--set",
                "medvqa.features.max-rejected-fraction=0.5"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return medvqa(args.toArray(new String[0]));
  }

  static Run augment(Path manifest, Path out, String... sets) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "augment-images",
                "--set",
                set("medvqa.augment.images.manifest", manifest),
                "--set",
                set("medvqa.augment.images.out", out),
                "--set",
                "medvqa.augment.images.variants=1",
                "--set",
                "medvqa.augment.images.max-rejected-fraction=0.5"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return medvqa(args.toArray(new String[0]));
  }

  /** The {@code _rejected} table of an augment-images output. */
  static List<Row> rejected(Path out) throws Exception {
    return PipelineFaultsTest.table(out.resolve("_rejected"));
  }

  /** The {@code _rejected} table of an extract-features output (one folder per run). */
  static List<Row> featureRejects(Path out) {
    return spark.read().parquet(out.resolve("_rejected").toString() + "/run=*").collectAsList();
  }

  private static List<Row> tableOf(Path p) {
    return spark.read().parquet(p.toString()).collectAsList();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * {@code cp synth…33.jpg synth…32.jpg} after ingest: every stage that reads the image again
   * notices, names both hashes, and keeps the new bytes out of its output (and out of the cache,
   * which is keyed by the recorded hash).
   */
  @Test
  void anImageChangedAfterIngestIsNeverUsedNorCached() throws Exception {
    Path train = trainingCopy("changed-release");
    Path ingested = dir.resolve("changed-ingest");
    Run in = ingest(train, ingested, "medvqa.ingest.holdout.fraction=0");
    assertEquals(0, in.code(), in.toString());
    Map<String, String[]> images = new HashMap<>(); // image id -> path, recorded hash
    for (Row r : tableOf(ingested.resolve("manifest"))) {
      images.put(
          r.getAs("image_id"), new String[] {r.getAs("image_path"), r.getAs("image_sha256")});
    }
    List<String> ids = images.keySet().stream().sorted().toList();
    String victim = ids.get(0);
    String donor = ids.get(1);
    Path victimFile = Path.of(java.net.URI.create(images.get(victim)[0]));
    Files.copy(
        Path.of(java.net.URI.create(images.get(donor)[0])),
        victimFile,
        StandardCopyOption.REPLACE_EXISTING);
    String recorded = images.get(victim)[1];
    String read = ContentHash.sha256Hex(Files.readAllBytes(victimFile));
    assertNotEquals(recorded, read);

    // extract-features: a rejected row naming both hashes; no features for the changed image.
    Path features = dir.resolve("changed-features");
    Run fx = extract(ingested, features);
    assertEquals(0, fx.code(), fx.toString());
    List<Row> bad = featureRejects(features);
    assertEquals(1, bad.size(), bad.toString());
    assertEquals(victim, bad.get(0).getAs("image_id"));
    String reason = bad.get(0).getAs("reason");
    assertTrue(reason.contains(recorded) && reason.contains(read), reason);
    List<String> keys = new ArrayList<>();
    for (Row r : tableOf(features.resolve("features"))) {
      keys.add(r.getAs("image_id"));
    }
    assertFalse(keys.contains(victim), keys.toString());
    assertEquals(ids.size() - 1, keys.size());

    // The shared cache of run/pipeline, keyed by the recorded hash: no entry for it at all.
    Path cache = dir.resolve("changed-cache");
    Run cached = extract(ingested, cache, "medvqa.features.columns.image-id=image_sha256");
    assertEquals(0, cached.code(), cached.toString());
    List<String> hashes = new ArrayList<>();
    for (Row r : tableOf(cache.resolve("features"))) {
      hashes.add(r.getAs("image_id"));
    }
    assertFalse(hashes.contains(recorded), "the new bytes' features under the old hash");
    assertTrue(hashes.contains(images.get(donor)[1]));

    // By setting, the job fails instead, and writes nothing.
    Path strict = dir.resolve("changed-features-strict");
    Run fail = extract(ingested, strict, "medvqa.images.hash-mismatch=fail");
    assertEquals(1, fail.code(), fail.toString());
    assertTrue(fail.err().contains(victim) && fail.err().contains(recorded), fail.toString());
    assertFalse(Files.exists(strict));

    // augment-images: the image's rows rejected with the reason, no variant of it written.
    Path augmented = dir.resolve("changed-augmented");
    Run aug = augment(ingested, augmented);
    assertEquals(0, aug.code(), aug.toString());
    List<Row> augBad = rejected(augmented);
    assertFalse(augBad.isEmpty());
    for (Row r : augBad) {
      String why = r.getAs("reason");
      assertTrue(why.startsWith("image " + victim + ": " + ContentHash.CHANGED), why);
      assertTrue(why.contains(recorded) && why.contains(read), why);
    }
    for (Row r : tableOf(augmented.resolve("manifest"))) {
      assertNotEquals(victim, r.getAs("image_id"));
    }
    Run augFail =
        augment(
            ingested, dir.resolve("changed-augmented-strict"), "medvqa.images.hash-mismatch=fail");
    assertEquals(1, augFail.code(), augFail.toString());
    assertTrue(augFail.err().contains(ContentHash.CHANGED), augFail.toString());
  }

  /**
   * An ingest that only checked that the files exist lets a doubtful image through; the stages that
   * decode it refuse it with the reason instead of featurising a nearly blank picture.
   */
  @Test
  void anImageOfDoubtfulDecodingIsRejectedByEveryStageThatDecodesIt() throws Exception {
    Path train = trainingCopy("doubtful-release");
    Files.write(
        train.resolve("Train_images/unmarked_cmyk.jpg"), CmykJpeg.encode(CmykJpeg.image(64, 64)));
    Files.writeString(
        train.resolve(MAIN),
        "\nunmarked_cmyk|what modality is shown?|ct\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    Path ingested = dir.resolve("doubtful-ingest");
    Run in = ingest(train, ingested, "medvqa.ingest.image-check=exists");
    assertEquals(0, in.code(), in.toString());

    Path features = dir.resolve("doubtful-features");
    Run fx = extract(ingested, features);
    assertEquals(0, fx.code(), fx.toString());
    List<Row> bad = featureRejects(features);
    assertEquals(1, bad.size(), bad.toString());
    assertTrue(
        ((String) bad.get(0).getAs("reason")).startsWith("doubtful decoding: a four-component"),
        bad.toString());

    Path augmented = dir.resolve("doubtful-augmented");
    Run aug = augment(ingested, augmented);
    assertEquals(0, aug.code(), aug.toString());
    List<Row> augBad = rejected(augmented);
    assertEquals(1, augBad.size(), augBad.toString());
    assertTrue(
        ((String) augBad.get(0).getAs("reason"))
            .startsWith("image unmarked_cmyk: doubtful decoding:"),
        augBad.toString());
  }

  /** An empty main question file (and no category files) would lose the whole train split. */
  @Test
  void anEmptyQuestionFileFailsIngestInsteadOfLosingItsSplit() throws Exception {
    Path root = dir.resolve("empty-split-release");
    PipelineFaultsTest.synth(root, 12, 3, 3);
    Path train = root.resolve("ImageClef_2019_Training");
    Files.write(train.resolve(MAIN), new byte[0]);
    try (Stream<Path> s = Files.list(train.resolve("QAPairsByCategory"))) {
      for (Path p : s.toList()) {
        Files.delete(p);
      }
    }
    Path out = dir.resolve("empty-split-ingest");
    // Even with a reject limit the one "empty file" record stays under.
    Run r = ingest(root, out, "medvqa.ingest.max-rejected-fraction=0.5");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("split 'train' has no accepted record"), r.toString());
    assertTrue(r.err().contains(MAIN + " (line 0: empty file: no records)"), r.toString());
    assertFalse(Files.exists(out), "no manifest without its train split");
  }

  /** A killed ingest leaves its hidden temporary folder; the next run of the output removes it. */
  @Test
  void theNextRunRemovesWhatAKilledRunOfTheSameOutputLeft() throws Exception {
    Path out = dir.resolve("leftover-ingest");
    Path leftover = dir.resolve(".leftover-ingest._tmp-0d1e2a3d-0000-4000-8000-000000000000");
    Files.createDirectories(leftover.resolve("manifest"));
    Files.writeString(leftover.resolve("manifest/part-00000.parquet"), "half written");
    Path other = dir.resolve(".leftover-ingest-2._tmp-0d1e2a3d-0000-4000-8000-000000000000");
    Files.createDirectories(other);
    Run r = ingest(release.resolve("ImageClef_2019_Training"), out);
    assertEquals(0, r.code(), r.toString());
    assertFalse(Files.exists(leftover), r.out());
    assertTrue(r.out().contains("removed the temporary output of an interrupted earlier run"));
    assertTrue(Files.exists(other), "another output's temporary folder is not this run's");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(
          List.of(),
          s.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith(".leftover-ingest._tmp-"))
              .toList());
    }
  }

  /**
   * Sample ids come from the content (release, source file name, image id, question): a line
   * removed or added elsewhere changes no other id, so two ingests of nearly the same release share
   * their ids (lineage across scheduled retraining). Ids stay unique.
   */
  @Test
  void sampleIdsAreStableUnderUnrelatedEditsAndUnique() throws Exception {
    Path a = trainingCopy("ids-a");
    Path b = trainingCopy("ids-b");
    List<String> lines = Files.readAllLines(b.resolve(MAIN), StandardCharsets.UTF_8);
    String removed = lines.remove(3);
    String image = lines.get(0).split("\\|")[0];
    lines.add(0, image + "|what else is seen in this image?|nothing");
    Files.write(b.resolve(MAIN), lines, StandardCharsets.UTF_8);
    Path outA = dir.resolve("ids-ingest-a");
    Path outB = dir.resolve("ids-ingest-b");
    for (Run r : List.of(ingest(a, outA), ingest(b, outB))) {
      assertEquals(0, r.code(), r.toString());
    }
    Map<String, String> idsA = ids(outA);
    Map<String, String> idsB = ids(outB);
    int same = 0;
    for (Map.Entry<String, String> e : idsA.entrySet()) {
      if (idsB.containsKey(e.getKey())) {
        assertEquals(e.getValue(), idsB.get(e.getKey()), e.getKey());
        same++;
      }
    }
    assertEquals(idsA.size() - 1, same, "all but the removed line keep their id");
    String[] f = removed.split("\\|");
    assertFalse(idsB.containsKey(MAIN + "|" + f[0] + "|" + f[1]));
    for (Map<String, String> ids : List.of(idsA, idsB)) {
      assertEquals(ids.size(), ids.values().stream().distinct().count(), "unique");
      for (String id : ids.values()) {
        assertTrue(id.matches("2019-train-[0-9a-f]{16}"), id);
      }
    }
    // The held-out split is drawn after the ids: its rows keep the id of their file's split.
    assertTrue(idsA.values().stream().allMatch(id -> id.startsWith("2019-train-")));
  }

  /**
   * (source file name | image id | question) -> sample id of an ingest output. (A pair that is in a
   * category file too comes from that file once the main file's line is gone: another record.)
   */
  private static Map<String, String> ids(Path ingest) {
    Map<String, String> out = new HashMap<>();
    for (Row r : tableOf(ingest.resolve("manifest"))) {
      String file = PipelineFaultsTest.fileName(r.getAs("source_file"));
      out.put(file + "|" + r.getAs("image_id") + "|" + r.getAs("question"), r.getAs("sample_id"));
    }
    return out;
  }

  /** The evaluator reads both its inputs as strictly as ingest reads a release. */
  @Test
  void theEvaluatorRefusesInputsThatAreNotUtf8TextAndSaysWhenOneIsEmpty() throws Exception {
    Path gt = dir.resolve("gt.txt");
    Files.writeString(gt, "a|what is shown?|ct\nb|what plane?|axial\n");
    Path latin1 = dir.resolve("latin1.txt");
    Files.write(latin1, new byte[] {'a', '|', 'c', 't', '\n', 'b', '|', 'a', 'x', (byte) 0xE9});
    Path binary = dir.resolve("binary.txt");
    Files.write(binary, new byte[] {0, 1, 2, 3, (byte) 0xFF, (byte) 0xD8, '\n', 0, 0});
    Path empty = dir.resolve("empty.txt");
    Files.write(empty, new byte[0]);

    Run notUtf8 = evaluate(gt, latin1);
    assertEquals(1, notUtf8.code(), notUtf8.toString());
    assertTrue(notUtf8.err().contains("latin1.txt:2: not UTF-8: invalid byte 0xE9"), notUtf8.err());
    assertFalse(notUtf8.out().contains("accuracy="), "never scored");

    Run bin = evaluate(gt, binary);
    assertEquals(1, bin.code(), bin.toString());
    assertEquals(1, bin.err().strip().lines().count(), bin.err());
    assertTrue(bin.err().chars().noneMatch(c -> c < 0x20 && c != '\n'), bin.err());

    Run none = evaluate(gt, empty);
    assertEquals(1, none.code(), none.toString());
    assertTrue(none.err().contains("the submission is empty"), none.err());
    assertFalse(none.err().contains("no line for id"), none.err());

    Run badTruth = evaluate(latin1, gt);
    assertEquals(1, badTruth.code(), badTruth.toString());
    assertTrue(badTruth.err().contains("not UTF-8"), badTruth.err());
  }

  private static Run evaluate(Path gt, Path submission) {
    return medvqa(
        "evaluate",
        "--set",
        "medvqa.eval.task=vqa",
        "--set",
        set("medvqa.eval.ground-truth", gt),
        "--set",
        set("medvqa.eval.submission", submission));
  }
}
