package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.medvqa.augment.text.QuestionAugmentStage;

/**
 * {@code make bench-questions}: augment-questions on the 12,792 real VQA-Med 2019 training
 * questions, K variants each, GloVe 6B 100d, on local[2]. Prints the job's phases with their
 * seconds, then the wall time of the job (vectors and OpenNLP models loaded inside it, Spark
 * session already up) and its rate. No peer exists for this job, so there is no ratio column. The
 * last line is {@code bench-questions: questions=N variants=K seconds=S rate=Q}.
 *
 * <pre>
 * AugmentQuestionsBenchmark [--data QA_FILE] [--vectors FILE] [--variants K] [--work DIR]
 *     [--master local[2]]
 * </pre>
 */
public final class AugmentQuestionsBenchmark {
  private AugmentQuestionsBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.exit(run(args));
  }

  static int run(String[] args) throws Exception {
    Path data =
        Path.of(System.getProperty("medvqa.shared.data", "../shared/data"))
            .resolve("vqa-med-2019/ImageClef_2019_Training/All_QA_Pairs_train.txt");
    Path vectors = Path.of("vectors/glove-6b-100d.bin");
    int variants = 5;
    Path work = Path.of("work/bench-questions");
    String master = "local[2]";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--data" -> data = Path.of(args[i + 1]);
        case "--vectors" -> vectors = Path.of(args[i + 1]);
        case "--variants" -> variants = Integer.parseInt(args[i + 1]);
        case "--work" -> work = Path.of(args[i + 1]);
        case "--master" -> master = args[i + 1];
        default -> {
          System.err.println("bench-questions: unknown option " + args[i]);
          return 2;
        }
      }
    }
    if (!Files.isRegularFile(data)) {
      System.err.println("bench-questions: no VQA-Med 2019 training questions at " + data);
      return 2;
    }
    if (!Files.isRegularFile(vectors)) {
      System.err.println("bench-questions: no vectors at " + vectors + " (run make vectors)");
      return 2;
    }
    deleteRecursively(work);
    Files.createDirectories(work);

    long t0 = System.nanoTime();
    SparkSession spark =
        SparkTestBase.withJobSettings(SparkSession.builder())
            .master(master)
            .appName("medvqa bench-questions")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
    double sparkSeconds = (System.nanoTime() - t0) / 1e9;
    try {
      List<Row> rows = QuestionJobsHarness.realRows(data, 1, 0);
      Path manifest = QuestionJobsHarness.writeManifest(spark, work.resolve("ingest"), rows);
      Path out = work.resolve("augmented");
      long start = System.nanoTime();
      int code =
          QuestionJobsHarness.run(
              new AugmentQuestionsJob(),
              System.out,
              System.err,
              "medvqa.augment.questions.manifest=" + manifest.toAbsolutePath(),
              "medvqa.augment.questions.out=" + out.toAbsolutePath(),
              "medvqa.augment.questions.variants=" + variants,
              "medvqa.vectors.path=" + vectors.toAbsolutePath());
      double wall = (System.nanoTime() - start) / 1e9;
      if (code != 0) {
        System.err.println("bench-questions: the job failed with exit code " + code);
        return code;
      }
      JsonNode prov = new ObjectMapper().readTree(out.resolve("provenance.json").toFile());
      JsonNode notes = prov.get("notes");
      JsonNode counts = prov.get("counts");
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "bench-questions: %d questions x %d variants, GloVe 6B 100d (%d words), %s%n",
          rows.size(),
          variants,
          counts.get("vector_words").asLong(),
          master);
      System.out.printf(Locale.ROOT, "%-22s %9s %7s%n", "phase", "seconds", "share");
      double sum = 0;
      for (String phase : QuestionAugmentStage.PHASES) {
        double s = notes.get("seconds_" + phase.replace(' ', '_')).asDouble();
        sum += s;
        System.out.printf(Locale.ROOT, "%-22s %9.2f %6.1f%%%n", phase, s, 100 * s / wall);
      }
      System.out.printf(
          Locale.ROOT,
          "%-22s %9.2f %6.1f%%%n",
          "other (Spark, counts)",
          wall - sum,
          100 * (wall - sum) / wall);
      System.out.printf(Locale.ROOT, "%-22s %9.2f%n", "job wall time", wall);
      System.out.printf(
          Locale.ROOT, "%-22s %9.2f  (not in the job's time)%n", "spark start", sparkSeconds);
      System.out.printf(
          Locale.ROOT,
          "rewritten %d of %d questions into %d variants; %d output rows%n",
          counts.get("questions_rewritten").asLong(),
          counts.get("questions").asLong(),
          counts.get("variants").asLong(),
          counts.get("records_out").asLong());
      System.out.printf(
          Locale.ROOT,
          "bench-questions: questions=%d variants=%d seconds=%.1f rate=%.0f%n",
          rows.size(),
          variants,
          wall,
          rows.size() / wall);
      return 0;
    } finally {
      spark.stop();
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
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
