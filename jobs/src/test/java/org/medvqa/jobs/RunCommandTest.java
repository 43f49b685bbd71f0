package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.pipeline.RunRecord;

/**
 * {@code run} end to end on the synthetic release, with a tiny random ResNet standing in for the
 * ImageNet weights: ingest both releases, extract into the shared cache, train on Spark (local[2]),
 * predict the validation release and evaluate.
 */
class RunCommandTest extends SparkTestBase {
  @TempDir static Path dir;
  static Path release;
  static Path model;

  @BeforeAll
  static void fixtures() throws Exception {
    release = dir.resolve("release");
    Run synth =
        medvqa(
            "synth",
            "--set",
            set("medvqa.synth.out", release),
            "--set",
            "medvqa.synth.train-images=120",
            "--set",
            "medvqa.synth.val-images=30",
            "--set",
            "medvqa.synth.test-images=8",
            "--set",
            "medvqa.synth.image-size=64");
    assertEquals(0, synth.code(), synth.toString());
    model = dir.resolve("tiny.zip");
    ModelSerializer.writeModel(
        ExtractFeaturesJobTest.tinyNetwork(), new File(model.toString()), false);
  }

  static Run run(String conf, Path out, String... extra) {
    return run(
        conf,
        release.resolve("ImageClef_2019_Training"),
        release.resolve("ImageClef_2019_Validation"),
        out,
        extra);
  }

  /** {@code run} of {@code conf} on {@code train} and {@code test} (null: a held-out split). */
  static Run run(String conf, Path train, Path test, Path out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--config",
                Path.of("../conf/runs/" + conf).toAbsolutePath().toString(),
                "--set",
                set("medvqa.data.train", train),
                "--set",
                set("medvqa.out", out),
                "--set",
                set("medvqa.workspace", dir.resolve("workspace")),
                "--set",
                set("medvqa.features.model.file", model),
                "--set",
                "medvqa.features.image.size=64",
                "--set",
                "medvqa.features.image.preprocessing=raw",
                "--set",
                "medvqa.train.epochs=6",
                "--set",
                "medvqa.train.learning-rate=0.003"));
    if (test != null) {
      args.add("--set");
      args.add(set("medvqa.data.test", test));
    }
    for (String e : extra) {
      args.add("--set");
      args.add(e);
    }
    return medvqa(args.toArray(new String[0]));
  }

  static JsonNode json(Path p) throws Exception {
    return new ObjectMapper().readTree(p.toFile());
  }

  @Test
  void classifierAndQuestionAwareRunsShareTheFeatureCache() throws Exception {
    Path out5 = dir.resolve("run5");
    Run r5 = run("vqa-run5.conf", out5);
    assertEquals(0, r5.code(), r5.toString());
    assertTrue(r5.out().contains("120 images to extract (0 already in"), r5.out());
    assertTrue(r5.out().contains("train: epoch 6/6: loss"), r5.out());
    for (String f :
        List.of(
            "model/model.zip",
            "model/spec.json",
            "model/metrics.jsonl",
            "model/training.json",
            "model/provenance.json",
            "submission.txt",
            "metrics.json",
            "provenance.json")) {
      assertTrue(Files.exists(out5.resolve(f)), f);
    }
    assertEquals(6, Files.readAllLines(out5.resolve("model/metrics.jsonl")).size());
    assertEquals(120, Files.readAllLines(out5.resolve("submission.txt")).size());
    double acc5 = json(out5.resolve("metrics.json")).get("accuracy").asDouble();

    // The question-aware run finds every image's features in the cache.
    Path outQ = dir.resolve("qaware");
    Run rq =
        run("vqa-qaware.conf", outQ, "medvqa.models.qaware.hidden=64", "medvqa.train.epochs=16");
    assertEquals(0, rq.code(), rq.toString());
    assertTrue(rq.out().contains("0 images to extract (150 already in"), rq.out());
    double accQ = json(outQ.resolve("metrics.json")).get("accuracy").asDouble();
    // Four kinds of question per image: an image-only classifier answers all four alike, so it
    // cannot pass about a quarter; reading the question must do better.
    assertTrue(acc5 < 0.4, "run 5 accuracy " + acc5);
    // Parameter averaging across two task threads is not bit-reproducible, hence a margin.
    assertTrue(
        accQ > acc5 + 0.15, "question-aware " + accQ + " vs run 5 " + acc5 + "\n" + rq.out());
    // A model that answers each category with one constant answer scores about a quarter here
    // too: it has learned only the routing. Distinct answers beyond the four categories show more.
    Set<String> answers = new TreeSet<>();
    for (String line : Files.readAllLines(outQ.resolve("submission.txt"))) {
      answers.add(line.substring(line.indexOf('|') + 1));
    }
    assertTrue(answers.size() > 4, "distinct question-aware answers: " + answers);

    // The same command again finds every stage complete and recomputes nothing.
    Run again = run("vqa-run5.conf", out5);
    assertEquals(0, again.code(), again.toString());
    assertTrue(
        again.out().contains("train: model is complete for these inputs and settings; skipped"),
        again.out());
    assertEquals(
        acc5, json(out5.resolve("metrics.json")).get("accuracy").asDouble(), 0.0, "same metrics");

    // predict on its own, into an empty feature table: it extracts what the split lacks first.
    Run predict =
        medvqa(
            "predict",
            "--set",
            set("medvqa.predict.model", out5.resolve("model")),
            "--set",
            set("medvqa.predict.manifest", out5.resolve("ingest-test")),
            "--set",
            "medvqa.predict.split=val",
            "--set",
            set("medvqa.predict.out", dir.resolve("predict-fresh")),
            "--set",
            set("medvqa.predict.features", dir.resolve("fresh-features")),
            "--set",
            "medvqa.predict.features-key=image_sha256",
            "--set",
            set("medvqa.features.model.file", model),
            "--set",
            "medvqa.features.image.size=64",
            "--set",
            "medvqa.features.image.preprocessing=raw");
    assertEquals(0, predict.code(), predict.toString());
    assertTrue(predict.out().contains("extracting the features this split's images lack"));
    assertTrue(predict.out().contains("30 images to extract (0 already in"), predict.out());
    assertEquals(
        Files.readAllLines(out5.resolve("submission.txt")),
        Files.readAllLines(dir.resolve("predict-fresh/submission.txt")));

    // An empty training split is refused, naming the split.
    String cache =
        json(out5.resolve("provenance.json")).get(RunRecord.SECTION).get("feature_cache").asText();
    Run empty =
        medvqa(
            "train",
            "--set",
            "medvqa.train.model=classifier",
            "--set",
            set("medvqa.train.manifest", out5.resolve("ingest-train")),
            "--set",
            "medvqa.train.split=no-such-split",
            "--set",
            "medvqa.train.features=" + cache,
            "--set",
            "medvqa.train.features-key=image_sha256",
            "--set",
            set("medvqa.train.out", dir.resolve("empty-model")),
            "--set",
            "medvqa.train.epochs=1");
    assertEquals(1, empty.code(), empty.toString());
    assertTrue(empty.err().contains("no training answers in split 'no-such-split'"), empty.err());
  }

  @Test
  void aSingleAnswerTrainingSetIsRefusedWithAClearMessage() throws Exception {
    Path one = dir.resolve("one-answer");
    Path imgs = one.resolve("Train_images");
    Files.createDirectories(imgs);
    Path src = release.resolve("ImageClef_2019_Training/Train_images");
    List<String> lines = new ArrayList<>();
    try (var s = Files.list(src)) {
      for (Path p : s.limit(10).toList()) {
        Files.copy(p, imgs.resolve(p.getFileName()));
        String id = p.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        lines.add(id + "|what organ is shown?|skull");
      }
    }
    Files.write(one.resolve("All_QA_Pairs_train.txt"), lines);
    Run r =
        medvqa(
            "run",
            "--config",
            Path.of("../conf/runs/vqa-run5.conf").toAbsolutePath().toString(),
            "--set",
            set("medvqa.data.train", one),
            "--set",
            set("medvqa.out", dir.resolve("one-out")),
            "--set",
            set("medvqa.workspace", dir.resolve("workspace")),
            "--set",
            set("medvqa.features.model.file", model),
            "--set",
            "medvqa.features.image.size=64",
            "--set",
            "medvqa.features.image.preprocessing=raw",
            "--set",
            "medvqa.ingest.holdout.fraction=0.2");
    assertEquals(1, r.code(), r.toString());
    assertTrue(
        r.err()
            .contains(
                "cannot train classifier on split 'train': a classifier needs at least 2 distinct"
                    + " training answers, got 1 ('skull')"),
        r.err());
  }

  /** Run 5 with the whole (here: tiny) ResNet trained from the images, on local[2]. */
  @Test
  void fineTunedClassifierTrainsFromTheImages() throws Exception {
    Path backbone = dir.resolve("tiny-top.zip");
    ModelSerializer.writeModel(
        org.medvqa.features.ResNet50.builder()
            .optImageSize(32)
            .optWidthDivisor(16)
            .optBlocks(1, 1, 1, 1)
            .optTop(true)
            .build()
            .init(),
        new File(backbone.toString()),
        false);
    Path out = dir.resolve("finetune");
    Run r =
        run(
            "vqa-run5-finetune.conf",
            out,
            set("medvqa.models.classifier-finetune.backbone", backbone),
            "medvqa.models.classifier-finetune.image-size=32",
            "medvqa.models.classifier-finetune.preprocessing=raw",
            "medvqa.train.epochs=2");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("train: epoch 2/2: loss"), r.out());
    assertTrue(!r.out().contains("extract-features"), "no feature extraction: " + r.out());
    assertEquals(120, Files.readAllLines(out.resolve("submission.txt")).size());
    assertTrue(json(out.resolve("metrics.json")).get("accuracy").asDouble() >= 0);
    assertEquals("classifier-finetune", json(out.resolve("model/spec.json")).get("kind").asText());
  }

  /**
   * Paper run 3 (the VAE with both reconstructions) through {@code run}, small sizes; then run 2,
   * which is run 1's model, with run 3's training manifest named again as extra training data: it
   * trains on twice the questions and still predicts and scores the same held-out release. (Whether
   * the VAE learns is for the models' and the trainer's tests; on this release and these few epochs
   * it answers every question alike, see the README.)
   */
  @Test
  void vaeRunsTrainPredictAndEvaluate() throws Exception {
    String[] small = {
      "medvqa.models.vae-vqa.embedding=16",
      "medvqa.models.vae-vqa.hidden=32",
      "medvqa.models.vae-vqa.z=8",
      "medvqa.train.epochs=3"
    };
    Path out3 = dir.resolve("vae-run3");
    Run r3 = run("vqa-run3.conf", out3, small);
    assertEquals(0, r3.code(), r3.toString());
    assertTrue(r3.out().contains("train: epoch 3/3: loss"), r3.out());
    JsonNode spec = json(out3.resolve("model/spec.json"));
    assertEquals("vae-vqa", spec.get("kind").asText());
    assertTrue(
        spec.get("reconstruct-image").asBoolean() && spec.get("reconstruct-question").asBoolean());
    assertEquals(4, spec.get("output-length").asInt());
    List<String> sub = Files.readAllLines(out3.resolve("submission.txt"));
    assertEquals(120, sub.size());
    for (String line : sub) {
      // id|answer, the answer at most output-length - 1 words (the last step is for </s>).
      String[] f = line.split("\\|", -1);
      assertEquals(2, f.length, line);
      assertTrue(f[1].isEmpty() || f[1].split(" ").length <= 4, line);
    }
    JsonNode metrics = json(out3.resolve("metrics.json"));
    assertEquals(120, metrics.get("count").asInt());
    assertEquals(4, metrics.get("per_category").size());

    Path out2 = dir.resolve("vae-run2");
    List<String> extra = new ArrayList<>(List.of(small));
    extra.add("medvqa.data.extra-train=[\"" + out3.resolve("ingest-train") + "\"]");
    extra.add("medvqa.train.epochs=1");
    Run r2 = run("vqa-run2.conf", out2, extra.toArray(new String[0]));
    assertEquals(0, r2.code(), r2.toString());
    long once =
        json(out3.resolve("model/provenance.json"))
            .get("counts")
            .get("training_questions")
            .asLong();
    long twice =
        json(out2.resolve("model/provenance.json"))
            .get("counts")
            .get("training_questions")
            .asLong();
    assertEquals(2 * once, twice, "run 2 trains on the extra manifest too");
    assertEquals(3, json(out2.resolve("model/spec.json")).get("output-length").asInt());
    assertEquals(120, json(out2.resolve("metrics.json")).get("count").asInt());
  }

  /**
   * VQG run 2 through {@code run} with a test release in the VQG layout (references {@code
   * image|q1|q2}, an images folder): one line of generated questions per test image, scored with
   * the VQG BLEU.
   */
  @Test
  void vqgRunGeneratesQuestionsForAVqgTestRelease() throws Exception {
    Path test = dir.resolve("vqg-test/Task2-VQGeneration-TestSet");
    Path images = test.resolve("VQGeneration_2021_Test_Images");
    Files.createDirectories(images);
    Path val = release.resolve("ImageClef_2019_Validation");
    java.util.Map<String, List<String>> refs = new java.util.TreeMap<>();
    for (String line : Files.readAllLines(val.resolve("All_QA_Pairs_val.txt"))) {
      String[] f = line.split("\\|");
      refs.computeIfAbsent(f[0], k -> new ArrayList<>(List.of("what is shown in this image?")))
          .add(f[1]);
    }
    List<String> lines = new ArrayList<>();
    try (var s = Files.list(val.resolve("Val_images"))) {
      for (Path p : s.sorted().limit(10).toList()) {
        Files.copy(p, images.resolve(p.getFileName()));
        String id = p.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        lines.add(id + "|" + String.join("|", refs.get(id)));
      }
    }
    Files.write(test.resolve("VQGeneration_2021_Test_ReferenceQuestions.txt"), lines);
    Path out = dir.resolve("vqg-run2");
    Run r =
        run(
            "vqg-run2.conf",
            out,
            set("medvqa.data.test", dir.resolve("vqg-test")),
            "medvqa.models.vae-vqg.embedding=16",
            "medvqa.models.vae-vqg.hidden=32",
            "medvqa.models.vae-vqg.z=8",
            "medvqa.models.vae-vqg.questions-per-image=3",
            "medvqa.train.epochs=15",
            "medvqa.train.batch-size=16",
            "medvqa.train.learning-rate=0.01");
    assertEquals(0, r.code(), r.toString());
    assertEquals("vae-vqg", json(out.resolve("model/spec.json")).get("kind").asText());
    List<String> sub = Files.readAllLines(out.resolve("submission.txt"));
    assertEquals(10, sub.size(), sub.toString());
    for (String line : sub) {
      String[] f = line.split("\\|");
      assertTrue(f.length >= 2 && f.length <= 4, line);
      assertTrue(refs.containsKey(f[0]), line);
    }
    JsonNode m = json(out.resolve("metrics.json"));
    assertEquals("vqg", m.get("task").asText());
    double bleu = m.get("bleu").asDouble();
    assertTrue(bleu > 0 && bleu <= 1, "VQG BLEU " + bleu + " " + sub);
  }

  /** A test release without answers: the run writes the submission and no metrics. */
  @Test
  void aTestReleaseWithoutAnswersGetsASubmissionOnly() throws Exception {
    Path test = dir.resolve("questions-only");
    Path src = release.resolve("VQAMed2019_Test");
    Files.createDirectories(test.resolve("VQAMed2019_Test_Images"));
    try (var s = Files.list(src.resolve("VQAMed2019_Test_Images"))) {
      for (Path p : s.toList()) {
        Files.copy(p, test.resolve("VQAMed2019_Test_Images").resolve(p.getFileName()));
      }
    }
    Files.copy(
        src.resolve("VQAMed2019_Test_Questions.txt"),
        test.resolve("VQAMed2019_Test_Questions.txt"));
    Path out = dir.resolve("majority-no-answers");
    Run r =
        medvqa(
            "run",
            "--config",
            Path.of("../conf/runs/vqa-majority.conf").toAbsolutePath().toString(),
            "--set",
            set("medvqa.data.train", release.resolve("ImageClef_2019_Training")),
            "--set",
            set("medvqa.data.test", test),
            "--set",
            set("medvqa.out", out));
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("submission only"), r.out());
    assertEquals(8, Files.readAllLines(out.resolve("submission.txt")).size());
    assertTrue(!Files.exists(out.resolve("metrics.json")));
  }
}
