package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.ManifestColumns;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.features.ResNet50;

/**
 * extract-features on local[2] with a tiny random ResNet (same layer names, 1/16 of the widths).
 */
class ExtractFeaturesJobTest extends SparkTestBase {
  static final int SIZE = 64;
  static final int WIDTH = 2048 / 16;

  @TempDir static Path shared;
  static Path model;
  static Path images;

  @BeforeAll
  static void fixtures() throws Exception {
    model = shared.resolve("tiny.zip");
    ModelSerializer.writeModel(tinyNetwork(), new File(model.toString()), false);
    images = shared.resolve("images");
    Files.createDirectories(images);
    for (int i = 0; i < 6; i++) {
      int type =
          i % 3 == 0
              ? BufferedImage.TYPE_BYTE_GRAY
              : i % 3 == 1 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_USHORT_GRAY;
      BufferedImage img = new BufferedImage(50 + 7 * i, 40, type);
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < img.getWidth(); x++) {
          img.getRaster()
              .setSample(
                  x,
                  y,
                  0,
                  (x * 3 + y * 5 + 40 * i)
                      % (type == BufferedImage.TYPE_USHORT_GRAY ? 65536 : 256));
        }
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      ImageIO.write(img, type == BufferedImage.TYPE_USHORT_GRAY ? "png" : "jpg", b);
      Files.write(
          images.resolve("img" + i + (type == BufferedImage.TYPE_USHORT_GRAY ? ".png" : ".jpg")),
          b.toByteArray());
    }
    Files.writeString(images.resolve("garbage.jpg"), "not an image");
  }

  static ResNet50 tiny() {
    return ResNet50.builder().optImageSize(SIZE).optWidthDivisor(16).optBlocks(1, 1, 1, 1).build();
  }

  /**
   * The tiny network, initialised, as the tests that train on its features use it: its first
   * convolution's weights divided by 255, as if it read pixels in 0-1. Every layer after it is
   * positively homogeneous (ReLU, inference batch norms with zero shift, sums), so the features are
   * those of the unscaled network divided by 255. On the raw 0-255 pixels of the synthetic images
   * the unscaled random network pools to features in the hundreds (mean about 300, largest about
   * 2,000), a thousand times the real ResNet50's; a softmax on those starts with a loss near 20,
   * and the question-aware classifier then collapsed to one answer per category in CI. Scaled, they
   * are of the real network's order (mean about 1, largest about 10).
   */
  static ComputationGraph tinyNetwork() {
    ComputationGraph net = tiny().init();
    net.getLayer("conv1").getParam("W").divi(255);
    return net;
  }

  static String path(String id) throws Exception {
    try (var s = Files.list(images)) {
      return s.filter(p -> p.getFileName().toString().startsWith(id + "."))
          .findFirst()
          .orElseThrow()
          .toUri()
          .toString();
    }
  }

  /** A manifest with every ingest column; {@code rows} are (image id, variant id or null). */
  static Path manifest(Path dir, boolean variants, Object[]... rows) throws Exception {
    StructType schema =
        new StructType()
            .add(ManifestColumns.SAMPLE_ID, DataTypes.StringType)
            .add(ManifestColumns.IMAGE_ID, DataTypes.StringType)
            .add(ManifestColumns.IMAGE_PATH, DataTypes.StringType)
            .add(ManifestColumns.QUESTION, DataTypes.StringType)
            .add(ManifestColumns.ANSWERS, DataTypes.createArrayType(DataTypes.StringType))
            .add(ManifestColumns.CATEGORY, DataTypes.StringType)
            .add(ManifestColumns.CATEGORY_SOURCE, DataTypes.StringType)
            .add(ManifestColumns.SPLIT, DataTypes.StringType)
            .add(ManifestColumns.RELEASE, DataTypes.StringType)
            .add(ManifestColumns.TASK, DataTypes.StringType)
            .add(ManifestColumns.SOURCE_FILE, DataTypes.StringType)
            .add(ManifestColumns.SOURCE_LINE, DataTypes.IntegerType)
            .add(ManifestColumns.IMAGE_WIDTH, DataTypes.IntegerType)
            .add(ManifestColumns.IMAGE_HEIGHT, DataTypes.IntegerType);
    if (variants) {
      schema = schema.add("variant_id", DataTypes.IntegerType);
    }
    List<Row> list = new ArrayList<>();
    int n = 0;
    for (Object[] r : rows) {
      String file = (String) (r.length > 2 ? r[2] : r[0]);
      List<Object> v =
          new ArrayList<>(
              java.util.Arrays.asList(
                  "t-train-" + n,
                  r[0],
                  path(file),
                  "what is shown? " + n,
                  new String[] {"ct"},
                  "modality",
                  "file",
                  "train",
                  "t",
                  "vqa",
                  "f.txt",
                  ++n,
                  1,
                  1));
      if (variants) {
        v.add(r[1]);
      }
      list.add(RowFactory.create(v.toArray()));
    }
    Path out = dir.resolve("manifest-" + System.nanoTime());
    spark.createDataFrame(list, schema).write().parquet(out.resolve("manifest").toString());
    return out;
  }

  record Result(int code, String out) {}

  static Result run(Path manifest, Path out, String... extra) throws Exception {
    List<String> sets =
        new ArrayList<>(
            List.of(
                "medvqa.features.manifest=" + manifest,
                "medvqa.features.out=" + out,
                "medvqa.features.model.file=" + model,
                "medvqa.features.image.size=" + SIZE,
                "medvqa.features.batch-size=3",
                "medvqa.features.max-rejected-fraction=0.5"));
    sets.addAll(List.of(extra));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (PrintStream p = new PrintStream(b, true, StandardCharsets.UTF_8);
        StageContext ctx =
            new StageContext(
                "extract-features", Main.load(null, sets.toArray(new String[0])), p, p)) {
      new ExtractFeaturesJob().run(ctx);
      int code = Main.OK;
      return new Result(code, b.toString(StandardCharsets.UTF_8));
    }
  }

  static Set<String> keys(Dataset<Row> features) {
    Set<String> keys = new TreeSet<>();
    for (Row r : features.select("image_id", "variant_id").collectAsList()) {
      assertTrue(keys.add(r.getString(0) + "/" + r.getInt(1)), "key " + r + " appears twice");
    }
    return keys;
  }

  @Test
  void eachDistinctImageOnceBadOnesRejectedThenOnlyNewKeys(@TempDir Path dir) throws Exception {
    Path m1 =
        manifest(
            dir,
            false,
            new Object[] {"img0"},
            new Object[] {"img0"},
            new Object[] {"img1"},
            new Object[] {"img2"},
            new Object[] {"garbage"});
    Path out = dir.resolve("features");
    Result r1 = run(m1, out);
    assertEquals(0, r1.code(), r1.out());
    assertTrue(r1.out().contains("summary: images=3 rejected=1"), r1.out());
    Dataset<Row> f = spark.read().parquet(out.resolve("features").toString());
    assertEquals(Set.of("img0/0", "img1/0", "img2/0"), keys(f));
    for (Row row : f.collectAsList()) {
      List<Float> v = row.getList(row.fieldIndex("features"));
      assertEquals(WIDTH, v.size());
      assertTrue(
          v.stream().allMatch(x -> Float.isFinite(x) && x >= 0),
          "pooled ReLU features are finite and >= 0");
    }
    Row bad = spark.read().parquet(out.resolve("_rejected").toString()).first();
    assertEquals("garbage", bad.getString(0));
    assertTrue(bad.getString(3).contains("not a readable image"), bad.toString());
    assertTrue(Files.exists(out.resolve("provenance.json")));
    assertTrue(Files.readString(out.resolve("provenance.json")).contains("\"images_out\" : 3"));

    // New images and an augmented variant: only the new keys are computed, in run 2.
    Path m2 =
        manifest(
            dir,
            true,
            new Object[] {"img0", 0},
            new Object[] {"img1", 0},
            new Object[] {"img2", 0},
            new Object[] {"img3", 0},
            new Object[] {"img0", 1, "img4"},
            new Object[] {"img5", 0});
    // Run 2 with another fp32 engine: the same table, and the provenance names each run's engine.
    Result r2 = run(m2, out, "medvqa.features.engine=gemm");
    assertEquals(0, r2.code(), r2.out());
    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"engine_run_1\" : \"onednn fp32\""), prov);
    assertTrue(prov.contains("\"engine_run_2\" : \"gemm fp32\""), prov);
    assertTrue(r2.out().contains("3 images to extract (3 already in"), r2.out());
    assertTrue(Files.isDirectory(out.resolve("features/run=2")));
    Dataset<Row> f2 = spark.read().parquet(out.resolve("features").toString());
    assertEquals(Set.of("img0/0", "img0/1", "img1/0", "img2/0", "img3/0", "img5/0"), keys(f2));
    assertEquals(3, f2.filter("run = 2").count());
    assertTrue(Files.readString(out.resolve("provenance.json")).contains("\"images_total\" : 6"));

    // Nothing left to do.
    Result r3 = run(m2, out);
    assertEquals(0, r3.code(), r3.out());
    assertTrue(r3.out().contains("summary: images=0 new, 6 already extracted"), r3.out());
    assertFalse(Files.exists(out.resolve("features/run=3")));

    // The same table with other preprocessing, or without incremental, is refused.
    StageFailure e =
        assertThrows(StageFailure.class, () -> run(m2, out, "medvqa.features.image.resize=pad"));
    assertTrue(e.getMessage().contains("different settings"), e.getMessage());
    e = assertThrows(StageFailure.class, () -> run(m2, out, "medvqa.features.incremental=false"));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
  }

  @Test
  void theMapIsKeptOnRequestAndTooManyRejectsAddNothing(@TempDir Path dir) throws Exception {
    Path m = manifest(dir, false, new Object[] {"img3"}, new Object[] {"garbage"});
    Path out = dir.resolve("with-map");
    Result r = run(m, out, "medvqa.features.keep-map=true", "medvqa.features.data-format=NHWC");
    assertEquals(0, r.code(), r.out());
    Row row = spark.read().parquet(out.resolve("features").toString()).first();
    int side = tiny().mapSide();
    assertEquals(side * side * WIDTH, row.getList(row.fieldIndex("feature_map")).size());

    Path strict = dir.resolve("strict");
    StageFailure e =
        assertThrows(
            StageFailure.class, () -> run(m, strict, "medvqa.features.max-rejected-fraction=0.1"));
    assertTrue(e.getMessage().contains("1 of 2 images unreadable"), e.getMessage());
    assertFalse(Files.exists(strict), "a failed run leaves no output");
    try (var s = Files.list(dir)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().contains("_tmp-")),
          "and no temporary folder");
    }
  }
}
