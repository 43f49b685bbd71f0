package org.medvqa.eval;

import java.util.Locale;

/** The two VQA-Med tasks: answering a question, or generating questions for an image. */
public enum Task {
  /** Visual question answering: one {@code id|answer} line per test item. */
  VQA,
  /** Visual question generation: {@code id|question|question…} per test image. */
  VQG;

  /** The configuration name, {@code vqa} or {@code vqg}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code vqa} or {@code vqg} (case-insensitive). */
  public static Task fromName(String name) {
    String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (Task task : values()) {
      if (task.label().equals(wanted)) {
        return task;
      }
    }
    throw new IllegalArgumentException("unknown task '" + name + "'; valid values: vqa, vqg");
  }
}
