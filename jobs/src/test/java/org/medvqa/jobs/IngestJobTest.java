package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.image.CmykJpeg;

class IngestJobTest extends SparkTestBase {
  static byte[] jpeg(int w, int h, int shade) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, (shade + x + y) & 0xff);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpg", out);
    return out.toByteArray();
  }

  /** A small 2019-layout release with one bad record of every kind. */
  static Path badRelease(Path root) throws Exception {
    Path train = root.resolve("ImageClef_2019_Training");
    Path images = train.resolve("Train_images");
    Files.createDirectories(images);
    for (int i = 1; i <= 6; i++) {
      Files.write(images.resolve("img" + i + ".jpg"), jpeg(40, 30, i * 20));
    }
    byte[] full = jpeg(300, 300, 5);
    Files.write(images.resolve("truncated.jpg"), Arrays.copyOf(full, full.length / 3));
    Files.write(
        images.resolve("garbage.jpg"), "this is not a jpeg".getBytes(StandardCharsets.UTF_8));
    Files.write(images.resolve("cmyk.jpg"), CmykJpeg.encodeAdobe(CmykJpeg.image(32, 32)));
    ByteArrayOutputStream qa = new ByteArrayOutputStream();
    String good =
        "img1|what modality is shown?|ct\n"
            + "img1|in what plane is this image taken?|axial\n"
            + "img2|what organ system is shown?|skull and contents\n"
            + "img2|what is abnormal in the ct scan?|glioma\n"
            + "img3|what modality is shown?|mr - t2 weighted\n"
            + "img4|what modality is shown?|xr - plain film\n"
            + "img5|what plane is this?|sagittal\n"
            + "img6|what plane is this?|coronal\n"
            + "cmyk|what plane is this?|coronal\n"
            + "\n";
    qa.writeBytes(good.getBytes(StandardCharsets.UTF_8));
    String bad =
        "missing|what modality is shown?|ct\n" // line 11: missing image file
            + "truncated|what modality is shown?|ct\n" // 12: truncated JPEG
            + "garbage|what modality is shown?|ct\n" // 13: not an image
            + "img3|only two fields?\n" // 14: wrong field count
            + "img3| |ct\n" // 15: empty question
            + "img3|what plane is this?|\n" // 16: empty answer
            + "img1|what modality is shown?|mr\n" // 17: duplicate of line 1
            + "../../etc/passwd|what modality is shown?|ct\n"; // 18: path traversal
    qa.writeBytes(bad.getBytes(StandardCharsets.UTF_8));
    qa.writeBytes(
        new byte[] {
          'i', 'm', 'g', '4', '|', 'w', 'h', 'a', 't', (byte) 0xFF, '?', '|', 'c', 't', '\n'
        }); // 19
    Files.write(train.resolve("All_QA_Pairs_train.txt"), qa.toByteArray());
    Path cats = train.resolve("QAPairsByCategory");
    Files.createDirectories(cats);
    Files.writeString(
        cats.resolve("C2_Plane_train.txt"),
        "img1|in what plane is this image taken?|axial\nimg6|what plane is this?|coronal\n");
    Files.writeString(
        cats.resolve("C3_Organ_train.txt"),
        "img2|what organ system is shown?|skull and contents\nimg5|which organ is imaged?|spine and contents\n");
    Files.writeString(cats.resolve("C4_Abnormality_train.txt"), "");
    return root;
  }

  @Test
  void everyBadRecordIsRejectedWithItsReasonAndNothingIsLost(@TempDir Path dir) throws Exception {
    Path release = badRelease(dir.resolve("release"));
    Path out = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.out=" + out,
            "--set",
            "medvqa.ingest.max-rejected-fraction=1.0");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("summary:"), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Dataset<Row> rej = spark.read().parquet(out.resolve("_rejected").toString() + "/*.parquet");

    Map<Integer, String> reasons = new HashMap<>();
    for (Row row : rej.collectAsList()) {
      String file = row.getString(0);
      if (file.endsWith("All_QA_Pairs_train.txt")) {
        reasons.put(row.getInt(1), row.getString(3));
      } else {
        reasons.put(-1, file + ": " + row.getString(3));
      }
    }
    assertTrue(reasons.get(11).contains("missing image file"), reasons.toString());
    assertTrue(
        reasons.get(12).contains("corrupt") || reasons.get(12).contains("unreadable"),
        reasons.toString());
    assertTrue(reasons.get(13).contains("not a readable image"), reasons.toString());
    assertTrue(reasons.get(14).contains("wrong field count"), reasons.toString());
    assertTrue(reasons.get(15).contains("empty question"), reasons.toString());
    assertTrue(reasons.get(16).contains("empty answer"), reasons.toString());
    assertTrue(
        reasons.get(17).contains("duplicate (image, question) pair: first at"), reasons.toString());
    assertTrue(reasons.get(17).contains("All_QA_Pairs_train.txt:1"), reasons.toString());
    assertTrue(reasons.get(18).contains("path separator"), reasons.toString());
    assertTrue(reasons.get(19).contains("not UTF-8"), reasons.toString());
    assertTrue(
        reasons.get(-1).contains("C4_Abnormality_train.txt: empty file"), reasons.toString());
    assertEquals(10, rej.count(), reasons.toString());

    // 9 good pairs in the main file + 1 pair only the organ file has (img5 organ question).
    assertEquals(10, m.count());
    // Every input record is either in the manifest or rejected: 18 QA lines + 4 category-file
    // lines, of which 3 repeat main-file pairs, + 1 empty file.
    Map<String, Row> byQuestion =
        m.collectAsList().stream()
            .collect(Collectors.toMap(x -> x.getString(1) + "|" + x.getString(3), x -> x));
    assertEquals(
        "plane", byQuestion.get("img1|in what plane is this image taken?").getAs("category"));
    assertEquals(
        "file", byQuestion.get("img1|in what plane is this image taken?").getAs("category_source"));
    assertEquals(
        "inferred", byQuestion.get("img1|what modality is shown?").getAs("category_source"));
    assertEquals("modality", byQuestion.get("img1|what modality is shown?").getAs("category"));
    Row organOnly = byQuestion.get("img5|which organ is imaged?");
    assertEquals("organ", organOnly.getAs("category"));
    assertTrue(((String) organOnly.getAs("source_file")).endsWith("C3_Organ_train.txt"));
    Row cmyk = byQuestion.get("cmyk|what plane is this?");
    assertEquals(32, (int) cmyk.getAs("image_width"));
    assertTrue(((String) cmyk.getAs("image_path")).endsWith("Train_images/cmyk.jpg"));
    List<String> ids =
        m.select("sample_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertEquals(ids.size(), ids.stream().distinct().count());
    // Content-derived (release, file name, image, question): see IntegrityFaultsTest for stability.
    assertTrue(ids.stream().allMatch(s -> s.matches("2019-train-[0-9a-f]{16}")), ids.toString());
    assertTrue(Files.exists(out.resolve("provenance.json")));
    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"records_rejected\" : 10"), prov);
    assertTrue(prov.contains("\"records_out\" : 10"), prov);
  }

  @Test
  void tooManyRejectsFailsAndLeavesNoOutput(@TempDir Path dir) throws Exception {
    Path release = badRelease(dir.resolve("release"));
    Path out = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + release,
            "--set",
            "medvqa.ingest.out=" + out);
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("above medvqa.ingest.max-rejected-fraction"), r.toString());
    assertFalse(Files.exists(out));
    try (var s = Files.list(dir)) {
      assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("ingest.failed-")));
    }
  }

  @Test
  void missingReleaseAndExistingOutputFailClearly(@TempDir Path dir) throws Exception {
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + dir.resolve("nope"),
            "--set",
            "medvqa.ingest.out=" + dir.resolve("o"));
    assertEquals(1, r.code());
    assertTrue(r.err().contains("does not exist"), r.toString());
    Files.createDirectories(dir.resolve("o"));
    Run r2 =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + dir,
            "--set",
            "medvqa.ingest.out=" + dir.resolve("o"));
    assertEquals(1, r2.code());
    assertTrue(r2.err().contains("already exists"), r2.toString());
  }

  /** A 2021-style release: VQA questions plus reference answers by image, and VQG references. */
  @Test
  void layout2021QuestionsGetTheirReferenceAnswersAndVqgReferencesBecomeRows(@TempDir Path dir)
      throws Exception {
    Path root = dir.resolve("VQA-Med-2021");
    Path vqaTest = root.resolve("Task1-VQAnswering-TestSet");
    Path vqgTest = root.resolve("Task2-VQGeneration-TestSet");
    Files.createDirectories(vqaTest.resolve("VQA-Med-2021-Test-Images"));
    Files.createDirectories(vqgTest.resolve("VQGeneration_2021_Test_images"));
    for (String id : List.of("t1", "t2", "t3")) {
      Files.write(vqaTest.resolve("VQA-Med-2021-Test-Images/" + id + ".jpg"), jpeg(20, 20, 1));
    }
    Files.write(vqgTest.resolve("VQGeneration_2021_Test_images/g1.jpg"), jpeg(20, 20, 2));
    Files.writeString(
        vqaTest.resolve("VQA-Med-2021-VQAnswering-Test-Questions.txt"),
        "t1|what is abnormal in the mri?\nt2|what abnormality is seen in the image?\n");
    Files.writeString(
        vqaTest.resolve("VQA-Med-2021-Test-ReferenceAnswers.txt"),
        "t1|glioma|brain tumor\nt2|fracture\nt3|cyst\n");
    Files.writeString(
        vqgTest.resolve("VQGeneration_2021_Test_ReferenceQuestions.txt"),
        "g1|what is abnormal in the ct?|what is seen in this image?|is this normal?\n");
    Path out = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + root,
            "--set",
            "medvqa.ingest.out=" + out,
            "--set",
            "medvqa.ingest.max-rejected-fraction=0.5");
    assertEquals(0, r.code(), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    Map<String, Row> vqa =
        m.filter("task = 'vqa'").collectAsList().stream()
            .collect(Collectors.toMap(x -> x.getString(1), x -> x));
    assertEquals(List.of("glioma", "brain tumor"), vqa.get("t1").getList(4));
    assertEquals(List.of("fracture"), vqa.get("t2").getList(4));
    assertEquals("2021", vqa.get("t1").getAs("release"));
    assertEquals("test", vqa.get("t1").getAs("split"));
    assertEquals(3, m.filter("task = 'vqg' and image_id = 'g1'").count());
    List<Row> rej =
        spark.read().parquet(out.resolve("_rejected").toString() + "/*.parquet").collectAsList();
    assertEquals(1, rej.size(), rej.toString());
    assertTrue(rej.get(0).getString(3).contains("reference answers for image t3"), rej.toString());
    assertEquals(3, rej.get(0).getInt(1));
  }

  /**
   * The 2021 VQG test as the organisers ship it: references {@code image|q1|q2|…}, images, and
   * {@code Task2-VQGeneration2021-TestSet.txt}, one image id per line, which is read as a listing
   * (no records, no rejects) rather than as reference answers with every line rejected.
   */
  @Test
  void vqg2021TestReleaseWithItsIdListingIngestsWithoutRejects(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("VQA-Med-2021-Task2-VQGeneration-TestSet");
    Path images = root.resolve("VQGeneration_2021_Test_Images");
    Files.createDirectories(images);
    for (String id : List.of("synpic101", "synpic102")) {
      Files.write(images.resolve(id + ".jpg"), jpeg(20, 20, 3));
    }
    Files.writeString(
        root.resolve("Task2-VQGeneration2021-TestSet-ReferenceQuestions.txt"),
        "synpic101|what is abnormal in the ct?|what is seen in this image?\n"
            + "synpic102|what organ is shown?|is this normal?|what plane is this?\n");
    Files.writeString(root.resolve("Task2-VQGeneration2021-TestSet.txt"), "synpic101\nsynpic102\n");
    Path out = dir.resolve("ingest");
    Run r =
        medvqa(
            "ingest",
            "--set",
            "medvqa.ingest.release=" + root,
            "--set",
            "medvqa.ingest.out=" + out);
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.toString().contains("image-ids"), r.toString());
    Dataset<Row> m = spark.read().parquet(out.resolve("manifest").toString());
    assertEquals(5, m.filter("task = 'vqg' and split = 'test'").count());
    String prov = Files.readString(out.resolve("provenance.json"));
    assertTrue(prov.contains("\"records_rejected\" : 0"), prov);
    assertTrue(prov.contains("\"records_out\" : 5"), prov);
  }
}
