package org.medvqa.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HadoopFilesTest {
  private final HadoopFiles files = new HadoopFiles(new Configuration());

  @Test
  void findsImageFoldersByWordNotByPrefix(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("ImageClef_2019_Training/Train_images"));
    Files.createDirectories(dir.resolve("VQAMed2019_Test/VQAMed2019_Test_Images"));
    Files.createDirectories(dir.resolve("ImageClef_2019_Training/QAPairsByCategory"));
    List<String> names =
        files.imageDirs(files.qualify(dir.toString())).stream()
            .map(p -> p.getName())
            .sorted()
            .toList();
    assertEquals(List.of("Train_images", "VQAMed2019_Test_Images"), names);
  }

  @Test
  void temporaryOutputIsRenamedIntoPlaceOnlyOnce(@TempDir Path dir) throws IOException {
    org.apache.hadoop.fs.Path target = files.qualify(dir.resolve("out").toString());
    org.apache.hadoop.fs.Path tmp = files.temporaryFor(target);
    files.write(new org.apache.hadoop.fs.Path(tmp, "a.txt"), "x");
    assertFalse(files.exists(target));
    files.commit(tmp, target);
    assertTrue(Files.exists(dir.resolve("out/a.txt")));
    org.apache.hadoop.fs.Path tmp2 = files.temporaryFor(target);
    files.write(new org.apache.hadoop.fs.Path(tmp2, "b.txt"), "y");
    IOException e = assertThrows(IOException.class, () -> files.commit(tmp2, target));
    assertTrue(e.getMessage().contains("already exists"));
  }

  @Test
  void leftoversOfKilledRunsAreRemovedAndNothingElse(@TempDir Path dir) throws IOException {
    org.apache.hadoop.fs.Path target = files.qualify(dir.resolve("ingest").toString());
    org.apache.hadoop.fs.Path killed = files.temporaryFor(target);
    files.write(new org.apache.hadoop.fs.Path(killed, "manifest/part-0.parquet"), "half");
    org.apache.hadoop.fs.Path other =
        files.temporaryFor(files.qualify(dir.resolve("ingest-2").toString()));
    files.write(new org.apache.hadoop.fs.Path(other, "a.txt"), "another output's");
    Files.createDirectories(dir.resolve("ingest.failed-1"));
    assertEquals(List.of(killed.getName()), names(files.removeLeftovers(target)));
    assertFalse(files.exists(killed));
    assertTrue(files.exists(other), "another output's temporary folder stays");
    assertTrue(Files.exists(dir.resolve("ingest.failed-1")), "a failed output kept for inspection");
    assertEquals(List.of(), files.removeLeftovers(target));
  }

  private static List<String> names(List<org.apache.hadoop.fs.Path> paths) {
    return paths.stream().map(org.apache.hadoop.fs.Path::getName).toList();
  }
}
