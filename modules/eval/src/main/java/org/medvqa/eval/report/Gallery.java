package org.medvqa.eval.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/** The gallery's choice of example test items: seeded, and balanced over question categories. */
public final class Gallery {
  /** The group of items without a category. */
  static final String NO_CATEGORY = "";

  private Gallery() {}

  /**
   * Up to {@code n} items: each category's items (categories in name order) are shuffled with one
   * {@link Random} seeded by {@code seed}, then taken in turn, one per category, until {@code n}
   * are taken or none are left. So every category is shown about equally often, whatever its share
   * of the test set, and the same items with the same seed give the same choice.
   *
   * @param category an item's category, or null for none
   */
  public static <T> List<T> choose(List<T> items, Function<T, String> category, int n, long seed) {
    Map<String, List<T>> groups = new TreeMap<>();
    for (T item : items) {
      String c = category.apply(item);
      groups.computeIfAbsent(c == null ? NO_CATEGORY : c, k -> new ArrayList<>()).add(item);
    }
    Random random = new Random(seed);
    List<List<T>> queues = new ArrayList<>();
    for (List<T> group : groups.values()) {
      Collections.shuffle(group, random);
      queues.add(group);
    }
    List<T> chosen = new ArrayList<>(Math.min(n, items.size()));
    for (int round = 0; chosen.size() < n; round++) {
      boolean any = false;
      for (List<T> q : queues) {
        if (round < q.size() && chosen.size() < n) {
          chosen.add(q.get(round));
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    return chosen;
  }
}
