package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.augment.image.ByteImage;
import org.medvqa.augment.image.ImageAugmentSettings;
import org.medvqa.augment.image.ImageAugmenter;
import org.medvqa.augment.image.Transforms;
import org.medvqa.core.Requirements;

/**
 * augment-images on 32 real VQA-Med 2019 training images (28 in name order and 4 whose answers name
 * a side), through ingest, on local[2]. Skipped where ../shared/data is absent.
 */
class AugmentImagesRealDataTest extends SparkTestBase {
  static final int IMAGES = 32;
  private static final ImageAugmenter AUGMENTER =
      new ImageAugmenter(ImageAugmentSettings.defaults());
  private static final Pattern SIDE = Pattern.compile("(?i)\\b(left|right)\\b");

  /** The release: 28 images in name order and 4 whose answers name a side; skips without data. */
  static Path smallRelease(Path root) throws IOException {
    Path src = sharedData().resolve("vqa-med-2019/ImageClef_2019_Training");
    Requirements.require(
        Files.isDirectory(src.resolve("Train_images")),
        "no VQA-Med 2019 data at " + src + " (see README: Data); skipping the real-data test");
    return BenchAugmentImages.release(src, root, IMAGES, 4);
  }

  @Test
  void thirtyTwoRealImagesThroughIngestAndAugmentation(@TempDir Path dir) throws Exception {
    Path release = smallRelease(dir.resolve("release"));
    Path ingest = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.out=" + ingest);
    assertEquals(0, r.code(), r.toString());
    Path out = dir.resolve("augmented");
    AugmentImagesJobTest.Result a = AugmentImagesJobTest.augment(ingest, out);
    assertEquals(0, a.code(), a.toString());
    System.out.println(a.out());
    assertTrue(a.out().contains("summary: images=32 variants=160"), a.out());

    Dataset<Row> in = spark.read().parquet(ingest.resolve("manifest").toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    assertEquals(in.count() * 6, m.count(), "every QA row as the original and 5 variants");
    List<Row> variants = m.filter("variant_id > 0").dropDuplicates("variant_image").collectAsList();
    assertEquals(160, variants.size());
    Map<String, ByteImage> parents = new HashMap<>();
    int flipped = 0;
    int sided = 0;
    for (Row v : variants) {
      String id = v.getAs("image_id");
      ByteImage parent =
          parents.computeIfAbsent(id, k -> read(v.<String>getAs("parent_image_path")));
      ByteImage variant = read(v.getAs("image_path"));
      assertEquals(parent.width(), variant.width(), id);
      assertEquals(parent.height(), variant.height(), id);
      assertEquals(v.<Integer>getAs("image_width"), variant.width());
      // The recorded parameters, applied again to the parent, give the file (up to JPEG loss).
      ByteImage again =
          Transforms.gaussianBlur(
              Transforms.geometry(
                  parent,
                  v.getAs("flip_horizontal"),
                  v.getAs("flip_vertical"),
                  v.getAs("rotation"),
                  v.getAs("shift_x"),
                  v.getAs("shift_y")),
              v.getAs("blur_sigma"));
      assertEquals(parent.channels(), variant.channels(), id);
      double diff = meanAbsDiff(again, variant);
      assertTrue(diff < 2.0, v.getAs("variant_image") + ": mean |difference| " + diff);
      boolean flip = v.getAs("flip_horizontal");
      flipped += flip ? 1 : 0;
      if (!(boolean) v.getAs("flips_allowed")) {
        sided++;
        assertFalse(flip, id + " has an answer naming a side");
      }
      assertTrue(Math.abs((double) v.<Double>getAs("rotation")) <= 15);
      assertTrue(Math.abs(v.<Integer>getAs("shift_x")) <= Math.round(0.1 * parent.width()));
    }
    Set<String> withSide = new HashSet<>();
    for (Row row : in.collectAsList()) {
      String text = row.getAs("question") + " " + String.join(" ", row.<String>getList(4));
      if (SIDE.matcher(text).find()) {
        withSide.add(row.getAs("image_id"));
      }
    }
    assertTrue(withSide.size() >= 4, withSide.toString());
    assertEquals(withSide.size() * 5, sided, "the images whose answers name a side: " + withSide);
    assertTrue(flipped > 20, "about half of the others' variants are mirrored: " + flipped);
    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"images_augmented\" : 32"), prov);
    assertTrue(prov.contains("\"records_rejected\" : 0"), prov);
  }

  private static double meanAbsDiff(ByteImage a, ByteImage b) {
    long sum = 0;
    for (int i = 0; i < a.data().length; i++) {
      sum += Math.abs((a.data()[i] & 0xff) - (b.data()[i] & 0xff));
    }
    return (double) sum / a.data().length;
  }

  /** An image file decoded as the job decodes it (grey stored as colour becomes grey). */
  private static ByteImage read(String uri) {
    try {
      ImageAugmenter.Source s = AUGMENTER.decode(Files.readAllBytes(Path.of(URI.create(uri))));
      assertTrue(s.ok(), uri + ": " + s.problem());
      return s.pixels();
    } catch (IOException e) {
      throw new AssertionError(uri, e);
    }
  }
}
