package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;
import org.medvqa.core.stage.StageContext;
import org.medvqa.features.ResNet50;

/**
 * Integration on 32 real VQA-Med 2019 images (../shared/data; skipped where absent): ingest, then
 * extract-features on local[2], with the real ImageNet weights when {@code make weights} has run
 * (else, outside CI, a tiny random network, said in the output; in CI the weights are required).
 */
class ExtractFeaturesRealDataTest extends SparkTestBase {
  static final Path WEIGHTS =
      Path.of("../models/resnet50-keras-imagenet.zip").toAbsolutePath().normalize();

  @Test
  void thirtyTwoRealImagesThroughIngestAndExtractFeatures(@TempDir Path dir) throws Exception {
    Path train = sharedData().resolve("vqa-med-2019/ImageClef_2019_Training");
    Requirements.require(
        Files.isDirectory(train), "real VQA-Med 2019 data not found at " + train + "; skipped");
    Path release = miniRelease(train, dir.resolve("ImageClef_2019_Training"), 32);
    Path ingest = dir.resolve("ingest");
    Run i =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.release-name=2019",
            "--set",
            "medvqa.ingest.out=" + ingest);
    assertEquals(0, i.code(), i.toString());

    boolean real = Files.isRegularFile(WEIGHTS);
    // On a user's machine a tiny random network stands in (said below); in CI the weights must be
    // there, or this test would pass without testing the real network.
    Requirements.require(real || !Requirements.inCi(), "no " + WEIGHTS + " (make weights)");
    Path model = WEIGHTS;
    List<String> sets = new ArrayList<>();
    if (!real) {
      System.out.println(
          "ExtractFeaturesRealDataTest: no "
              + WEIGHTS
              + " (make weights); using a tiny random network");
      model = dir.resolve("tiny.zip");
      ModelSerializer.writeModel(
          ResNet50.builder()
              .optImageSize(64)
              .optWidthDivisor(16)
              .optBlocks(1, 1, 1, 1)
              .build()
              .init(),
          new File(model.toString()),
          false);
      sets.add("medvqa.features.image.size=64");
    }
    Path out = dir.resolve("features");
    sets.addAll(
        List.of(
            "medvqa.features.manifest=" + ingest,
            "medvqa.features.out=" + out,
            "medvqa.features.model.file=" + model));
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try (java.io.PrintStream p = new java.io.PrintStream(b, true, StandardCharsets.UTF_8);
        StageContext ctx =
            new StageContext(
                "extract-features", Main.load(null, sets.toArray(new String[0])), p, p)) {
      new ExtractFeaturesJob().run(ctx); // throws on failure
    }
    String printed = b.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    assertTrue(printed.contains("summary: images=32 rejected=0"), printed);
    Dataset<Row> f = spark.read().parquet(out.resolve("features").toString());
    assertEquals(32, f.count());
    int width = real ? ResNet50.FEATURES : 128;
    Set<List<Float>> distinct = new HashSet<>();
    for (Row r : f.collectAsList()) {
      List<Float> v = r.getList(r.fieldIndex("features"));
      assertEquals(width, v.size());
      assertTrue(v.stream().allMatch(x -> Float.isFinite(x) && x >= 0));
      distinct.add(v);
    }
    assertEquals(32, distinct.size(), "every image has its own feature vector");
  }

  /** The first {@code n} images of the real training set and their question lines, 2019 layout. */
  static Path miniRelease(Path train, Path target, int n) throws IOException {
    Path images = target.resolve("Train_images");
    Files.createDirectories(images);
    List<String> ids = new ArrayList<>();
    try (var s = Files.list(train.resolve("Train_images"))) {
      s.map(p -> p.getFileName().toString())
          .filter(x -> x.endsWith(".jpg"))
          .sorted()
          .limit(n)
          .forEach(ids::add);
    }
    Set<String> wanted = new HashSet<>();
    for (String f : ids) {
      Files.copy(train.resolve("Train_images").resolve(f), images.resolve(f));
      wanted.add(f.substring(0, f.length() - 4));
    }
    List<String> lines = new ArrayList<>();
    for (String line :
        Files.readAllLines(train.resolve("All_QA_Pairs_train.txt"), StandardCharsets.UTF_8)) {
      if (wanted.contains(line.split("\\|", 2)[0])) {
        lines.add(line);
      }
    }
    Files.write(target.resolve("All_QA_Pairs_train.txt"), lines, StandardCharsets.UTF_8);
    return target;
  }
}
