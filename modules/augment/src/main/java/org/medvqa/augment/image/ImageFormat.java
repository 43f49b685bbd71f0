package org.medvqa.augment.image;

import java.util.Locale;

/** How variants are written. */
public enum ImageFormat {
  /** Lossy, small and fast; quality from {@code jpeg-quality}. */
  JPEG("jpg"),
  /** Lossless, larger and slower to write. */
  PNG("png");

  private final String extension;

  ImageFormat(String extension) {
    this.extension = extension;
  }

  /** The file-name extension, without the dot. */
  public String extension() {
    return extension;
  }

  /** The name used in the configuration. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code jpeg} or {@code png}.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static ImageFormat fromName(String name) {
    for (ImageFormat f : values()) {
      if (f.configName().equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("'" + name + "', expected one of [jpeg, png]");
  }
}
