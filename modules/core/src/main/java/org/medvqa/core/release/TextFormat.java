package org.medvqa.core.release;

import java.util.Locale;

/** The line formats that VQA-Med releases ship their text files in. */
public enum TextFormat {
  /** {@code image|question|answer}: 2019 and 2020 training and validation pairs. */
  QA(3, 3),
  /** {@code image|question|answer} in a file that names its category (2019 QAPairsByCategory). */
  CATEGORY_QA(3, 3),
  /** {@code image|category|question|answer}, '#' between alternatives: the 2019 test file. */
  TEST_2019(4, 4),
  /** {@code image|question}: test questions without answers, and VQG training questions. */
  QUESTIONS(2, 2),
  /** {@code image|category|question}: the 2019 test questions without answers. */
  TEST_2019_QUESTIONS(3, 3),
  /** {@code image|q1|q2|…}: VQG reference questions (2021 VQG test). */
  VQG_REFS(2, Integer.MAX_VALUE),
  /** {@code image|a1|a2|…}: reference answers keyed by image (2021 VQA). */
  ANSWERS(2, Integer.MAX_VALUE),
  /**
   * One image id per line: listings such as train_ImageIDs.txt or the 2021 VQG test's
   * Task2-VQGeneration2021-TestSet.txt (detected as any file none of whose lines has a '|'); read
   * for no records, each line's id checked.
   */
  IMAGE_IDS(1, 1),
  /**
   * VQA-RAD's JSON list of question objects (split, answer type and organ per object); read by
   * {@link VqaRadJson}, not line by line.
   */
  VQA_RAD(1, 1);

  private final int minFields;
  private final int maxFields;

  TextFormat(int minFields, int maxFields) {
    this.minFields = minFields;
    this.maxFields = maxFields;
  }

  public int minFields() {
    return minFields;
  }

  public int maxFields() {
    return maxFields;
  }

  /** The config spelling: {@code qa}, {@code category-qa}, {@code test-2019}, … */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses a config spelling, naming the accepted ones when it is unknown. */
  public static TextFormat fromConfigName(String name) {
    for (TextFormat f : values()) {
      if (f.configName().equals(name)) {
        return f;
      }
    }
    StringBuilder ok = new StringBuilder();
    for (TextFormat f : values()) {
      ok.append(ok.length() == 0 ? "" : ", ").append(f.configName());
    }
    throw new IllegalArgumentException("unknown text format '" + name + "' (expected " + ok + ")");
  }
}
