package org.medvqa.eval;

import java.util.Locale;

/** The layouts of the official ground-truth files. */
public enum GroundTruthFormat {
  /** Decide from the content; see {@link GroundTruth#read} for the rule. */
  AUTO("auto"),
  /** {@code id|category|question|answer}, {@code #} between alternative answers (2019 test). */
  TEST_2019("2019-test"),
  /**
   * {@code id|question|answer}, {@code #} between alternatives (2019/2020 train and val, 2020
   * test).
   */
  QA("qa"),
  /** {@code id|answer|answer…}: every field after the id is a reference answer (2021). */
  VQA_2021("2021"),
  /** {@code id|question|question…}: the reference questions of one image (VQG). */
  VQG("vqg");

  private final String label;

  GroundTruthFormat(String label) {
    this.label = label;
  }

  /** The configuration name. */
  public String label() {
    return label;
  }

  /** Parses {@code auto}, {@code 2019-test}, {@code qa}, {@code 2021} or {@code vqg}. */
  public static GroundTruthFormat fromName(String name) {
    String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (GroundTruthFormat format : values()) {
      if (format.label.equals(wanted)) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "unknown ground-truth format '" + name + "'; valid values: auto, 2019-test, qa, 2021, vqg");
  }
}
