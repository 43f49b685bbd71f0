package org.medvqa.core;

import java.nio.file.Path;

/** Where real-data tests find ../shared/data (Surefire sets medvqa.shared.data). */
public final class TestData {
  private TestData() {}

  public static Path shared() {
    return Path.of(System.getProperty("medvqa.shared.data", "../../../shared/data"))
        .toAbsolutePath()
        .normalize();
  }

  public static Path vqaMed2019() {
    return shared().resolve("vqa-med-2019");
  }
}
