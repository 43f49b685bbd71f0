package org.medvqa.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.augment.text.NeighbourSearch;
import org.medvqa.augment.text.VectorFormat;
import org.medvqa.augment.text.VectorSettings;
import org.medvqa.augment.text.VectorsIO;
import org.medvqa.augment.text.WordVectors;
import org.medvqa.core.io.HadoopFiles;

class TrainVectorsJobTest extends SparkTestBase {
  static final List<String> ORGANS = List.of("liver", "kidney", "spleen", "pancreas");
  static final List<String> FINDINGS = List.of("cyst", "abscess", "hemangioma", "metastasis");

  /**
   * Synthetic questions where organs and findings fill different slots: organs appear where organs
   * do, findings where findings do, so word2vec should put each near its own kind.
   */
  static List<Row> sentences(int n, long seed) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>();
    String[] organTemplates = {
      "is the %s enlarged in this image?", "what abnormality is seen in the %s?",
      "which lobe of the %s is affected?", "is the %s normal in size?"
    };
    String[] findingTemplates = {
      "is this a %s?", "what kind of %s is shown here?",
      "how large is the %s?", "does the %s enhance after contrast?"
    };
    for (int i = 0; i < n; i++) {
      String organ = ORGANS.get(r.nextInt(ORGANS.size()));
      String finding = FINDINGS.get(r.nextInt(FINDINGS.size()));
      String q =
          i % 2 == 0
              ? String.format(organTemplates[r.nextInt(4)], organ)
              : String.format(findingTemplates[r.nextInt(4)], finding);
      rows.add(
          QuestionJobsHarness.row(
              "s-" + i, "img" + (i % 50), q, "train", finding + " of the " + organ));
    }
    return rows;
  }

  @Test
  void trainsDomainVectorsThatAugmentQuestionsCanUse(@TempDir Path dir) throws Exception {
    Path manifest =
        QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), sentences(1200, 3));
    Path out = dir.resolve("vectors");
    Run r =
        QuestionJobsHarness.run(
            new TrainVectorsJob(),
            "medvqa.vectors.train.manifest=" + manifest,
            "medvqa.vectors.train.out=" + out,
            "medvqa.vectors.train.vector-size=16",
            "medvqa.vectors.train.window=3",
            "medvqa.vectors.train.min-count=1",
            "medvqa.vectors.train.iterations=10");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("train-vectors: summary: sentences=2400 "), r.toString());
    assertTrue(Files.exists(out.resolve("provenance.json")));
    WordVectors v =
        VectorsIO.read(
            new HadoopFiles(new Configuration()),
            new VectorSettings(out.toString(), VectorFormat.COMPACT, 0));
    assertEquals(16, v.dim());
    assertEquals("the", v.word(0), "most frequent first");
    for (String organ : ORGANS) {
      NeighbourSearch.Hit[] hits =
          NeighbourSearch.nearest(v, new int[] {v.indexOf(organ)}, v.size(), 1)[0];
      // Among the organ and finding words, the nearest to an organ is another organ.
      String nearest =
          java.util.Arrays.stream(hits)
              .map(h -> v.word(h.index()))
              .filter(w -> ORGANS.contains(w) || FINDINGS.contains(w))
              .findFirst()
              .orElseThrow();
      assertTrue(ORGANS.contains(nearest), organ + " -> " + nearest);
    }

    // augment-questions reads the output folder as its vectors.
    Run aug =
        QuestionJobsHarness.run(
            new AugmentQuestionsJob(),
            "medvqa.augment.questions.manifest=" + manifest,
            "medvqa.augment.questions.out=" + dir.resolve("aug"),
            "medvqa.augment.questions.min-similarity=0.3",
            "medvqa.vectors.path=" + out);
    assertEquals(0, aug.code(), aug.toString());
    assertTrue(
        spark
                .read()
                .parquet(dir.resolve("aug/manifest").toString())
                .filter("question_variant_id > 0")
                .count()
            > 0,
        aug.toString());
  }

  @Test
  void nothingToTrainOnFailsClearly(@TempDir Path dir) throws Exception {
    Path manifest =
        QuestionJobsHarness.writeManifest(spark, dir.resolve("ingest"), sentences(10, 1));
    Run r =
        QuestionJobsHarness.run(
            new TrainVectorsJob(),
            "medvqa.vectors.train.manifest=" + manifest,
            "medvqa.vectors.train.out=" + dir.resolve("v"),
            "medvqa.vectors.train.splits=[test]");
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains("no questions or answers in splits [test]"), r.toString());
    Run bad =
        QuestionJobsHarness.run(
            new TrainVectorsJob(),
            "medvqa.vectors.train.manifest=" + manifest,
            "medvqa.vectors.train.out=" + dir.resolve("v"),
            "medvqa.vectors.train.vector-size=0");
    assertEquals(2, bad.code(), bad.toString());
    assertTrue(bad.err().contains("medvqa.vectors.train.vector-size"), bad.toString());
    assertTrue(Set.of(0, 1, 2).contains(bad.code()));
  }
}
