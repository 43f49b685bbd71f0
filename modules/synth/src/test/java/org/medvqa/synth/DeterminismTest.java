package org.medvqa.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Same settings, same bytes: the release is a pure function of its settings. */
class DeterminismTest {
  // Small, so that three writes stay fast; the rules do not depend on the counts.
  private static final SyntheticRelease.Settings SMALL =
      SyntheticRelease.Settings.defaults().withCounts(16, 8, 8);

  @Test
  void sameSeedGivesIdenticalBytesAndAnotherSeedDiffers(@TempDir Path tmp) throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path c = tmp.resolve("c");
    SyntheticRelease.of(SMALL).write(a);
    SyntheticRelease.of(SMALL).write(b);
    SyntheticRelease.of(SMALL.withSeed(SMALL.seed() + 1)).write(c);

    List<Path> files = relativeFiles(a);
    assertEquals(files, relativeFiles(b));
    assertEquals(files, relativeFiles(c), "the file names do not depend on the seed");
    assertEquals(16 + 8 + 8 + 2 * 6 + 2, files.size());
    int differing = 0;
    for (Path f : files) {
      byte[] bytesA = Files.readAllBytes(a.resolve(f));
      assertArrayEquals(bytesA, Files.readAllBytes(b.resolve(f)), f.toString());
      differing += Arrays.equals(bytesA, Files.readAllBytes(c.resolve(f))) ? 0 : 1;
    }
    // Every image and every QA file changes with the seed (id files need not).
    assertEquals(files.size() - 2, differing);
    assertNotEquals(
        Files.readString(a.resolve("ImageClef_2019_Training/All_QA_Pairs_train.txt")),
        Files.readString(c.resolve("ImageClef_2019_Training/All_QA_Pairs_train.txt")));
  }

  @Test
  void anItemDoesNotDependOnHowManyItemsAreWritten() {
    SyntheticRelease.Settings more = SMALL.withCounts(400, 8, 8);
    for (int i = 0; i < 16; i++) {
      assertEquals(Scene.sample(SMALL, Split.TRAIN, i), Scene.sample(more, Split.TRAIN, i));
    }
  }

  private static List<Path> relativeFiles(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> out =
          new ArrayList<>(walk.filter(Files::isRegularFile).map(root::relativize).toList());
      out.sort(null);
      return out;
    }
  }
}
