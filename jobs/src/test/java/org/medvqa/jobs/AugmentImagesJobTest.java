package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.augment.image.AugmentPartition;
import org.medvqa.augment.image.ImageAugmentSettings;
import org.medvqa.augment.image.ImageAugmentStage;
import org.medvqa.core.image.CmykJpeg;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import scala.collection.JavaConverters;

/**
 * augment-images on a tiny release holding every kind of image (grey, RGB, grey stored as RGB,
 * Adobe CMYK and YCCK JPEG, progressive JPEG, 16-bit PNG), one image damaged and one deleted after
 * ingest, and one image whose answer names a side.
 */
class AugmentImagesJobTest extends SparkTestBase {
  @TempDir static Path dir;
  private static Path ingest;
  private static Path images;
  private static Path augmented;
  private static Result main;

  /** The settings of the main run, which the rerun repeats. */
  private static final String[] MAIN = {
    "medvqa.augment.images.variants=3",
    "medvqa.augment.images.flip.horizontal=1.0",
    "medvqa.augment.images.max-rejected-fraction=0.5"
  };

  /** The result of one job run, with what it printed. */
  record Result(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- out\n" + out + "\n--- err\n" + err;
    }
  }

  static Result augment(Path manifest, Path out, String... sets) {
    List<String> all = new ArrayList<>();
    all.add("medvqa.augment.images.manifest=" + manifest);
    all.add("medvqa.augment.images.out=" + out);
    all.addAll(Arrays.asList(sets));
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8);
        StageContext ctx =
            new StageContext(
                "augment-images", Main.load(null, all.toArray(new String[0])), po, pe)) {
      try {
        new AugmentImagesJob().run(ctx);
        code = Main.OK;
      } catch (StageFailure f) {
        pe.println("failed: " + f.getMessage());
        code = Main.FAILED;
      } catch (Exception x) {
        x.printStackTrace(pe);
        code = Main.FAILED;
      }
    }
    return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
  }

  static byte[] encode(BufferedImage img, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(img, format, out));
    return out.toByteArray();
  }

  static BufferedImage pattern(int w, int h, int type, boolean grey) {
    BufferedImage img = new BufferedImage(w, h, type);
    WritableRaster r = img.getRaster();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int b = 0; b < r.getNumBands(); b++) {
          r.setSample(x, y, b, (x * 5 + y * 3 + (grey ? 0 : b * 60)) & 0xff);
        }
      }
    }
    return img;
  }

  /** A one-colour four-channel JPEG with an Adobe APP14 marker (0 CMYK, 2 YCCK). */
  static byte[] adobe(int[] stored, int transform) throws Exception {
    BufferedImage img = CmykJpeg.image(36, 28);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 36; x++) {
        img.getRaster().setPixel(x, y, stored);
      }
    }
    byte[] plain = CmykJpeg.encode(img);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(plain, 0, 2);
    out.write(
        new byte[] {
          (byte) 0xFF,
          (byte) 0xEE,
          0,
          14,
          'A',
          'd',
          'o',
          'b',
          'e',
          0,
          100,
          0,
          0,
          0,
          0,
          (byte) transform
        });
    out.write(plain, 2, plain.length - 2);
    return out.toByteArray();
  }

  static byte[] progressive(BufferedImage img) throws Exception {
    ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = w.getDefaultWriteParam();
    p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      w.setOutput(ios);
      w.write(null, new IIOImage(img, null, null), p);
    } finally {
      w.dispose();
    }
    return out.toByteArray();
  }

  static BufferedImage sixteenBitGrey(int w, int h) {
    ComponentColorModel cm =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_GRAY),
            new int[] {16},
            false,
            false,
            Transparency.OPAQUE,
            DataBuffer.TYPE_USHORT);
    WritableRaster r = cm.createCompatibleWritableRaster(w, h);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        r.setSample(x, y, 0, x * 1500 + y * 300);
      }
    }
    return new BufferedImage(cm, r, false, null);
  }

  @BeforeAll
  static void release() throws Exception {
    Path train = dir.resolve("release/ImageClef_2019_Training");
    images = train.resolve("Train_images");
    Files.createDirectories(images);
    Map<String, byte[]> files = new HashMap<>();
    files.put("grey.jpg", encode(pattern(40, 30, BufferedImage.TYPE_BYTE_GRAY, true), "jpg"));
    files.put("rgb.jpg", encode(pattern(48, 32, BufferedImage.TYPE_3BYTE_BGR, false), "jpg"));
    files.put("greyrgb.png", encode(pattern(32, 32, BufferedImage.TYPE_3BYTE_BGR, true), "png"));
    files.put("cmyk.jpg", adobe(new int[] {255, 0, 0, 255}, 0));
    files.put("ycck.jpg", adobe(new int[] {179, 171, 0, 255}, 2));
    files.put("progressive.jpg", progressive(pattern(50, 40, BufferedImage.TYPE_3BYTE_BGR, false)));
    files.put("sixteen.png", encode(sixteenBitGrey(30, 20), "png"));
    files.put("damaged.jpg", encode(pattern(200, 150, BufferedImage.TYPE_BYTE_GRAY, true), "jpg"));
    files.put("deleted.jpg", encode(pattern(20, 20, BufferedImage.TYPE_BYTE_GRAY, true), "jpg"));
    files.put("side.jpg", encode(pattern(30, 30, BufferedImage.TYPE_BYTE_GRAY, true), "jpg"));
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Files.write(images.resolve(f.getKey()), f.getValue());
    }
    String qa =
        "grey|what modality is shown?|ct\n"
            + "grey|in what plane is this image taken?|axial\n"
            + "rgb|what modality is shown?|mr - t2 weighted\n"
            + "greyrgb|what organ system is shown?|skull and contents\n"
            + "cmyk|what plane is this?|coronal\n"
            + "ycck|what plane is this?|sagittal\n"
            + "progressive|what modality is shown?|xr - plain film\n"
            + "sixteen|what modality is shown?|us - ultrasound\n"
            + "damaged|what modality is shown?|ct\n"
            + "deleted|what modality is shown?|ct\n"
            + "side|what is abnormal in the ct scan?|left renal vein\n"
            + "side|what plane is this?|axial\n";
    Files.writeString(train.resolve("All_QA_Pairs_train.txt"), qa);
    ingest = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + dir.resolve("release"),
            "--set",
            "medvqa.ingest.out=" + ingest);
    assertEquals(0, r.code(), r.toString());
    // Damaged and lost after ingest checked them.
    byte[] full = files.get("damaged.jpg");
    Files.write(images.resolve("damaged.jpg"), Arrays.copyOf(full, full.length / 2));
    Files.delete(images.resolve("deleted.jpg"));
    augmented = dir.resolve("augmented");
    main = augment(ingest, augmented, MAIN);
  }

  private static Map<String, Row> byId(Dataset<Row> m) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : m.collectAsList()) {
      out.put(r.<String>getAs("sample_id"), r);
    }
    return out;
  }

  @Test
  void everyImageKindIsAugmentedAndUnusableImagesAreRejected() throws Exception {
    Path out = augmented;
    Result r = main;
    assertEquals(0, r.code(), r.toString());
    assertTrue(
        r.out().lines().reduce((a, b) -> b).orElse("").contains("summary: images=8"), r.out());
    assertTrue(r.out().contains("variants=24"), r.out());

    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    // 10 good rows (8 images), each as the original and 3 variants.
    assertEquals(40, m.count());
    Map<String, Row> rows = byId(m);
    // Ingest's sample ids are content hashes (release, file, image, question): the first line's.
    Row original = m.filter("image_id = 'grey' AND variant_id = 0").orderBy("source_line").first();
    String first = original.getAs("sample_id");
    assertTrue(first.matches("2019-train-[0-9a-f]{16}"), first);
    Row v2 = rows.get(first + "-i2");
    assertNotNull(v2, rows.keySet().toString());
    assertEquals("grey", v2.getAs("image_id"));
    assertEquals(first, v2.getAs("parent_sample_id"));
    assertEquals(2, (int) v2.getAs("variant_id"));
    assertEquals("grey-v2", v2.getAs("variant_image"));
    assertEquals("ct", v2.<String>getList(v2.fieldIndex("answers")).get(0));
    assertTrue(((String) v2.getAs("parent_image_path")).endsWith("Train_images/grey.jpg"));
    String path = v2.getAs("image_path");
    assertTrue(path.startsWith("file:" + out + "/images/"), path);
    assertTrue(path.matches(".*/images/[0-9a-f]{2}/grey-v2\\.jpg"), path);
    assertTrue((boolean) v2.getAs("flip_horizontal"), "flip.horizontal = 1");
    assertEquals(0, (int) original.getAs("variant_id"));
    assertEquals(original.<String>getAs("parent_image_path"), original.getAs("image_path"));
    assertEquals(0.0, (double) original.getAs("rotation"));

    // Every variant file exists, decodes, keeps the size, and grey stays grey.
    Map<String, Integer> channels = new HashMap<>();
    for (Row row : m.filter("variant_id > 0").collectAsList()) {
      Path file = Path.of(java.net.URI.create(row.getAs("image_path")));
      assertTrue(Files.isRegularFile(file), file.toString());
      BufferedImage img = ImageIO.read(file.toFile());
      assertNotNull(img, file.toString());
      assertEquals((int) row.getAs("image_width"), img.getWidth());
      assertEquals((int) row.getAs("image_height"), img.getHeight());
      channels.put(row.getAs("image_id"), img.getColorModel().getNumComponents());
    }
    assertEquals(1, channels.get("grey"));
    assertEquals(1, channels.get("greyrgb"), "grey stored as RGB is written as grey");
    assertEquals(1, channels.get("sixteen"));
    assertEquals(3, channels.get("rgb"));
    assertEquals(3, channels.get("cmyk"));
    assertEquals(3, channels.get("ycck"));
    assertEquals(3, channels.get("progressive"));
    try (Stream<Path> s = Files.walk(out.resolve("images"))) {
      List<Path> all = s.filter(Files::isRegularFile).toList();
      assertEquals(24, all.size(), "no .crc or other side files: " + all);
    }

    // Laterality: an answer names a side, so none of the image's variants is flipped.
    List<Row> side = m.filter("image_id = 'side' and variant_id > 0").collectAsList();
    assertEquals(6, side.size());
    for (Row row : side) {
      assertFalse((boolean) row.getAs("flip_horizontal"));
      assertFalse((boolean) row.getAs("flips_allowed"));
    }

    // The damaged and the deleted image: their rows are rejected with the reason.
    List<Row> rejected =
        spark.read().parquet(out.resolve("_rejected") + "/*.parquet").collectAsList();
    assertEquals(2, rejected.size(), rejected.toString());
    String reasons = rejected.toString();
    // Damaged after ingest: its bytes no longer have the hash ingest recorded (issue 17).
    assertTrue(
        reasons.contains(
            "image damaged: " + org.medvqa.core.io.ContentHash.CHANGED + "recorded SHA-256 "),
        reasons);
    assertTrue(reasons.contains("image deleted: missing image file"), reasons);

    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"variants_written\" : 24"), prov);
    assertTrue(prov.contains("\"records_rejected\" : 2"), prov);
    assertTrue(prov.contains("\"images_without_flips\" : 1"), prov);
    assertTrue(prov.contains("\"seed\" : 42"), prov);
  }

  @Test
  void aRerunAndARetriedTaskWriteTheSameBytes() throws Exception {
    assertEquals(0, main.code(), main.toString());
    Path again = dir.resolve("rerun");
    assertEquals(0, augment(ingest, again, MAIN).code());
    List<Path> files;
    try (Stream<Path> s = Files.walk(augmented.resolve("images"))) {
      files = s.filter(Files::isRegularFile).map(augmented::relativize).sorted().toList();
    }
    assertEquals(24, files.size(), files.toString());
    for (Path f : files) {
      assertArrayEquals(
          Files.readAllBytes(augmented.resolve(f)),
          Files.readAllBytes(again.resolve(f)),
          f.toString());
    }

    // A retried task: the executor function again, over the files the first attempt wrote.
    Path retry = dir.resolve("retry");
    ImageAugmentSettings s =
        ImageAugmentSettings.from(
            Main.load(null, new String[] {MAIN[0], MAIN[1], "medvqa.augment.images.shards=1"}));
    Row image =
        RowFactory.create(
            "rgb",
            images.resolve("rgb.jpg").toUri().toString(),
            1L,
            JavaConverters.asScalaBuffer(List.of("what modality is shown?")),
            JavaConverters.asScalaBuffer(List.of("mr - t2 weighted")));
    SerializableConf conf = new SerializableConf(new Configuration());
    Path firstRun =
        Path.of(
                java.net.URI.create(
                    spark
                        .read()
                        .parquet(augmented.resolve("manifest").toString())
                        .filter("variant_image = 'rgb-v1'")
                        .first()
                        .<String>getAs("image_path")))
            .getParent();
    for (int attempt = 0; attempt < 2; attempt++) {
      Iterator<Row> it =
          new AugmentPartition(
                  s,
                  conf,
                  retry.toUri().toString(),
                  "file:/final",
                  spark.sparkContext().longAccumulator())
              .call(List.of(image).iterator());
      List<Row> rows = new ArrayList<>();
      it.forEachRemaining(rows::add);
      assertEquals(4, rows.size());
      assertNull(rows.get(0).get(ImageAugmentStage.VARIANT_SCHEMA.fieldIndex("v_problem")));
      assertEquals("file:/final/rgb-v1.jpg", rows.get(1).getString(3));
      for (int k = 1; k <= 3; k++) {
        assertArrayEquals(
            Files.readAllBytes(firstRun.resolve("rgb-v" + k + ".jpg")),
            Files.readAllBytes(retry.resolve("rgb-v" + k + ".jpg")),
            "attempt " + attempt + " variant " + k);
        // Each variant carries its own content hash: the feature cache's key for it.
        assertEquals(
            org.medvqa.core.io.ContentHash.sha256Hex(
                Files.readAllBytes(retry.resolve("rgb-v" + k + ".jpg"))),
            rows.get(k).get(ImageAugmentStage.VARIANT_SCHEMA.fieldIndex("v_sha256")));
      }
    }
  }

  @Test
  void tooManyRejectsFailAndLeaveNoOutput() throws Exception {
    Path out = dir.resolve("strict");
    Result r = augment(ingest, out, "medvqa.augment.images.variants=1");
    assertEquals(Main.FAILED, r.code(), r.toString());
    assertTrue(r.err().contains("above medvqa.augment.images.max-rejected-fraction"), r.err());
    assertFalse(Files.exists(out));
    try (Stream<Path> s = Files.list(dir)) {
      assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("strict.failed-")));
    }
    Result again =
        augment(
            ingest,
            dir.resolve("augmented-exists"),
            "medvqa.augment.images.variants=1",
            "medvqa.augment.images.max-rejected-fraction=1");
    assertEquals(0, again.code(), again.toString());
    Result exists = augment(ingest, dir.resolve("augmented-exists"));
    assertEquals(Main.FAILED, exists.code());
    assertTrue(exists.err().contains("already exists"), exists.toString());
  }

  @Test
  void pngOutputAndOnlyVariantsWithoutOriginals() throws Exception {
    Path out = dir.resolve("png");
    Result r =
        augment(
            ingest,
            out,
            "medvqa.augment.images.format=png",
            "medvqa.augment.images.variants=1",
            "medvqa.augment.images.keep-originals=false",
            "medvqa.augment.images.splits=[]",
            "medvqa.augment.images.max-rejected-fraction=0.5");
    assertEquals(0, r.code(), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    assertEquals(10, m.count());
    assertEquals(0, m.filter("variant_id = 0").count());
    for (Row row : m.collectAsList()) {
      String p = row.getAs("image_path");
      assertTrue(p.endsWith("-v1.png"), p);
      assertNotNull(ImageIO.read(Path.of(java.net.URI.create(p)).toFile()), p);
    }
  }
}
