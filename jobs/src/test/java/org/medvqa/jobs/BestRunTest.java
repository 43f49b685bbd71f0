package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Category;

/**
 * Our best VQA run file ({@code vqa-best.conf}, model kind {@code hybrid}) through {@code run}, on
 * the synthetic release and on the same release laid out as VQA-RAD publishes its data, where the
 * evaluation scores CLOSED and OPEN questions apart. {@link RunCommandTest} makes the release and
 * the tiny feature network.
 */
class BestRunTest extends SparkTestBase {
  @TempDir static Path tmp;

  /** RunCommandTest's synthetic release and tiny network, made in this class's own folder. */
  @BeforeAll
  static void setUp() throws Exception {
    RunCommandTest.dir = tmp;
    RunCommandTest.fixtures();
  }

  @Test
  void bestRunTrainsRemembersAndAnswersTheSyntheticRelease() throws Exception {
    Path out = tmp.resolve("best");
    Run r =
        RunCommandTest.run(
            "vqa-best.conf", out, "medvqa.models.hybrid.hidden=64", "medvqa.eval.breakdown=true");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("offered to the nearest-neighbour memory"), r.out());
    assertTrue(r.out().contains("top confusions"), "the breakdown is printed: " + r.out());
    // The answers of the training split go beside the predictions (not the held-out split's), and
    // the breakdown counts the references among them.
    assertTrue(r.out().contains("references seen in training:"), r.out());
    java.util.Set<String> trained = new java.util.TreeSet<>();
    spark
        .read()
        .parquet(out.resolve("ingest-train/manifest").toString())
        .filter("split = 'train'")
        .selectExpr("explode(answers)")
        .collectAsList()
        .forEach(x -> trained.add(x.getString(0)));
    assertTrue(trained.size() > 10, trained.toString());
    assertEquals(
        List.copyOf(trained), Files.readAllLines(out.resolve("predictions/seen-answers.txt")));
    JsonNode spec = RunCommandTest.json(out.resolve("model/spec.json"));
    assertEquals("hybrid", spec.get("kind").asText());
    // The run file's blend weights are chosen per category on the validation share.
    assertTrue(r.out().contains("blend weights chosen on the validation share"), r.out());
    List<Double> choices = new ArrayList<>();
    spec.get("blend_weight_choices").forEach(w -> choices.add(w.asDouble()));
    assertEquals(List.of(0.0, 0.25, 0.5, 0.75, 1.0), choices);
    spec.get("blend_chosen_weights")
        .forEach(
            w ->
                assertTrue(
                    choices.contains(w.asDouble()), spec.get("blend_chosen_weights").toString()));
    java.util.Set<String> remembered = new java.util.HashSet<>();
    spec.get("memory").forEach(m -> remembered.add(m.get("answer").asText()));
    assertTrue(!remembered.isEmpty(), "abnormality training images are in memory");
    // Each test question's answer obeys the hybrid's rules: an open abnormality question gets a
    // remembered diagnosis, a yes/no question yes or no.
    java.util.Map<String, String> answers = new java.util.HashMap<>();
    for (String line : Files.readAllLines(out.resolve("predictions/submission.txt"))) {
      answers.put(line.substring(0, line.indexOf('|')), line.substring(line.indexOf('|') + 1));
    }
    int open = 0;
    int yesNo = 0;
    for (String line : Files.readAllLines(out.resolve("predictions/ground-truth.txt"))) {
      String[] f = line.split("\\|");
      String a = answers.get(f[0]);
      org.medvqa.core.QuestionForm form = org.medvqa.core.QuestionForm.of(f[2]);
      if (form == org.medvqa.core.QuestionForm.YES_NO) {
        yesNo++;
        assertTrue(a.equals("yes") || a.equals("no"), line + " -> " + a);
      } else if (f[1].equals("abnormality") && form == org.medvqa.core.QuestionForm.OPEN) {
        open++;
        assertTrue(remembered.contains(a), line + " -> " + a + " is not from memory");
      }
    }
    assertTrue(open > 0 && yesNo > 0, open + " open abnormality, " + yesNo + " yes/no questions");
    assertTrue(Files.exists(out.resolve("metrics.json")));
  }

  /**
   * With augmented training images (augment-images in the run), the network trains on the variants
   * too, but the memory keeps the originals only: as many questions are offered to it as without
   * augmentation.
   */
  @Test
  void augmentedImagesTrainTheNetworkButOnlyOriginalsAreRemembered() throws Exception {
    java.util.List<Integer> offered = new ArrayList<>();
    for (String augment : List.of("false", "true")) {
      Path out = tmp.resolve("best-augment-" + augment);
      Run r =
          RunCommandTest.run(
              "vqa-best.conf",
              out,
              "medvqa.models.hybrid.hidden=16",
              "medvqa.train.epochs=1",
              "medvqa.pipeline.stages.augment-images=" + augment,
              "medvqa.augment.images.variants=2");
      assertEquals(0, r.code(), r.toString());
      assertTrue(
          !Files.exists(out.resolve("predictions/seen-answers.txt")),
          "without the breakdown no answers are listed for it");
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile(
                  "(\\d+) training and \\d+ validation questions|(\\d+) training questions of")
              .matcher(r.out());
      int trained = -1;
      int remembered = -1;
      while (m.find()) {
        if (m.group(1) != null && trained < 0) {
          trained = Integer.parseInt(m.group(1));
        } else if (m.group(2) != null && remembered < 0) {
          remembered = Integer.parseInt(m.group(2));
        }
      }
      assertTrue(trained > 0 && remembered > 0, r.out());
      offered.add(trained);
      offered.add(remembered);
    }
    assertEquals(3 * offered.get(0), (int) offered.get(2), "two variants of each training image");
    assertEquals(offered.get(1), offered.get(3), "the originals alone are remembered");
  }

  /** The synthetic training release rewritten in VQA-RAD's layout (JSON list, one image folder). */
  static Path asVqaRad(Path target) throws Exception {
    Path train = RunCommandTest.release.resolve("ImageClef_2019_Training");
    Path images = target.resolve("VQA_RAD Image Folder");
    Files.createDirectories(images);
    try (var s = Files.list(train.resolve("Train_images"))) {
      for (Path p : s.toList()) {
        Files.copy(p, images.resolve(p.getFileName()));
      }
    }
    ObjectMapper json = new ObjectMapper();
    ArrayNode list = json.createArrayNode();
    int qid = 0;
    for (String line : Files.readAllLines(train.resolve("All_QA_Pairs_train.txt"))) {
      String[] f = line.split("\\|");
      if (f.length != 3) {
        continue;
      }
      ObjectNode o = list.addObject();
      o.put("qid", qid++);
      o.put("phrase_type", "freeform");
      o.put("image_name", f[0] + ".jpg");
      o.put("image_organ", "HEAD");
      o.put("question", f[1]);
      o.put("answer", f[2]);
      boolean closed = f[2].equals("yes") || f[2].equals("no");
      o.put("answer_type", closed ? "CLOSED" : "OPEN");
      // VQA-RAD's names for three of the 2019 categories; abnormality questions become PRES.
      String type = Category.infer(f[1]).name();
      o.put("question_type", type.equals("ABNORMALITY") ? "PRES" : type);
    }
    Files.writeString(
        target.resolve("VQA_RAD Dataset Public.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(list));
    return target;
  }

  @Test
  void vqaRadTrainsAndIsScoredOnClosedAndOpenQuestions() throws Exception {
    Path rad = asVqaRad(tmp.resolve("VQA_RAD"));
    List<Double> accuracies = new ArrayList<>();
    for (String conf : List.of("vqa-majority.conf", "vqa-best.conf")) {
      Path out = tmp.resolve("rad-" + conf);
      Run r = RunCommandTest.run(conf, rad, null, out);
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("release vqa-rad"), r.out());
      JsonNode m = RunCommandTest.json(out.resolve("metrics.json"));
      JsonNode per = m.get("per_category");
      assertTrue(per.has("closed") && per.has("open"), m.toString());
      assertEquals(
          m.get("count").asInt(),
          per.get("closed").get("count").asInt() + per.get("open").get("count").asInt());
      accuracies.add(m.get("accuracy").asDouble());
      // Closed questions are those whose reference is yes or no here, and they are scored apart.
      long closed =
          Files.readAllLines(out.resolve("predictions/ground-truth.txt")).stream()
              .filter(l -> l.endsWith("|yes") || l.endsWith("|no"))
              .count();
      assertEquals(closed, per.get("closed").get("count").asLong());
      // The models answered by the 2019 categories of the question types, where they have one,
      // while the references were scored by answer type.
      List<String> categories =
          spark
              .read()
              .parquet(out.resolve("ingest-train/manifest").toString())
              .select("category")
              .distinct()
              .as(Encoders.STRING())
              .collectAsList();
      assertTrue(
          categories.containsAll(List.of("modality", "plane", "organ", "closed", "open")),
          categories.toString());
    }
    // The two runs share one seeded held-out split, so they are scored on the same questions.
    assertEquals(2, accuracies.size());
  }
}
