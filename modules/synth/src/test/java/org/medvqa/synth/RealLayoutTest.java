package org.medvqa.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;

/**
 * Where the real release is at hand (system property medvqa.shared.data, set by the build), checks
 * that the synthetic training directory has the same file names and line shapes. Reads only names
 * and field counts of the real files; skips on machines without the data.
 */
class RealLayoutTest {
  private static final String TRAIN = "ImageClef_2019_Training";

  @Test
  void trainingLayoutMatchesTheRealRelease(@TempDir Path tmp) throws IOException {
    String shared = System.getProperty("medvqa.shared.data");
    Requirements.require(shared != null, "medvqa.shared.data not set");
    Path real = Path.of(shared, "vqa-med-2019");
    Requirements.require(
        Files.isDirectory(real.resolve(TRAIN)), "no real VQA-Med 2019 release at " + real);

    SyntheticRelease.of(SyntheticRelease.Settings.defaults().withCounts(8, 4, 4)).write(tmp);

    assertEquals(textFiles(real.resolve(TRAIN)), textFiles(tmp.resolve(TRAIN)));
    assertEquals(
        Set.of("Train_images"),
        directories(real.resolve(TRAIN)).stream()
            .filter(d -> !d.equals("QAPairsByCategory"))
            .collect(java.util.stream.Collectors.toSet()));
    for (String file : textFiles(real.resolve(TRAIN))) {
      assertEquals(
          fieldCounts(real.resolve(TRAIN).resolve(file)),
          fieldCounts(tmp.resolve(TRAIN).resolve(file)),
          file);
    }
  }

  /**
   * The text files under a split directory, relative, e.g. QAPairsByCategory/C1_Modality_train.txt.
   */
  private static Set<String> textFiles(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.toString().endsWith(".txt"))
          .map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  private static List<String> directories(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
    }
  }

  /** The distinct numbers of '|'-separated fields per line in the first lines of a file. */
  private static Set<Integer> fieldCounts(Path file) throws IOException {
    try (Stream<String> lines = Files.lines(file)) {
      return lines
          .limit(200)
          .map(l -> l.split("\\|", -1).length)
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }
}
