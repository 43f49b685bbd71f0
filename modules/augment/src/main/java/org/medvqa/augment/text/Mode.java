package org.medvqa.augment.text;

import java.util.Locale;

/** How the variants of a question differ: one replaced word each, or every candidate at once. */
public enum Mode {
  /** Variant k replaces one candidate word: best neighbours first, candidates in seeded order. */
  ONE,
  /** Variant k replaces every candidate word by its k-th neighbour. */
  ALL;

  /** The name used in the configuration. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code one} or {@code all}.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static Mode fromName(String name) {
    for (Mode m : values()) {
      if (m.configName().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("'" + name + "', expected one of [one, all]");
  }
}
