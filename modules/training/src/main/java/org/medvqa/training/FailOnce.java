package org.medvqa.training;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Fault injection for tests of task retries: the first call anywhere creates the marker file and
 * throws; every later call passes. Local file system only (the tests run on one machine).
 */
final class FailOnce {
  private FailOnce() {}

  static <T> T pass(String marker, T value) throws IOException {
    try {
      Files.createFile(Paths.get(marker));
    } catch (FileAlreadyExistsException e) {
      return value;
    }
    throw new IOException("injected task failure (medvqa.train.inject-task-failure)");
  }
}
