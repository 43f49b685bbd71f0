package org.medvqa.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of scoring a VQA submission: unrounded means, with {@link #toString()} and {@link
 * #toJson()} giving the official 4-decimal scores.
 */
public final class VqaEvaluation {

  private final double accuracy;
  private final double bleu;
  private final int count;
  private final Map<String, CategoryScore> perCategory;
  private final List<VqaItemResult> items;

  /** A result without per-item detail. */
  public VqaEvaluation(
      double accuracy, double bleu, int count, Map<String, CategoryScore> perCategory) {
    this(accuracy, bleu, count, perCategory, List.of());
  }

  /** A result; the category map is copied, keeping its order. */
  public VqaEvaluation(
      double accuracy,
      double bleu,
      int count,
      Map<String, CategoryScore> perCategory,
      List<VqaItemResult> items) {
    this.accuracy = accuracy;
    this.bleu = bleu;
    this.count = count;
    this.perCategory = Collections.unmodifiableMap(new LinkedHashMap<>(perCategory));
    this.items = List.copyOf(items);
  }

  /**
   * Aggregates item results (one per ground-truth item, in order): the means, and per category
   * where the items have one.
   */
  public static VqaEvaluation of(List<VqaItemResult> results) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no items to aggregate");
    }
    Map<String, double[]> sums = new LinkedHashMap<>(); // category -> {accuracy, bleu, count}
    double accuracySum = 0;
    double bleuSum = 0;
    for (VqaItemResult r : results) {
      accuracySum += r.matched() ? 1 : 0;
      bleuSum += r.bleu();
      if (r.category() != null) {
        double[] s = sums.computeIfAbsent(r.category(), c -> new double[3]);
        s[0] += r.matched() ? 1 : 0;
        s[1] += r.bleu();
        s[2]++;
      }
    }
    Map<String, CategoryScore> perCategory = new LinkedHashMap<>();
    sums.forEach(
        (c, s) -> perCategory.put(c, new CategoryScore(s[0] / s[2], s[1] / s[2], (int) s[2])));
    int n = results.size();
    return new VqaEvaluation(accuracySum / n, bleuSum / n, n, perCategory, results);
  }

  /** Mean accuracy over the ground-truth items. */
  public double accuracy() {
    return accuracy;
  }

  /** Mean BLEU over the ground-truth items. */
  public double bleu() {
    return bleu;
  }

  /** The number of ground-truth items. */
  public int count() {
    return count;
  }

  /** Scores per 2019 category, in order of first appearance; empty when categories are unknown. */
  public Map<String, CategoryScore> perCategory() {
    return perCategory;
  }

  /** Every item's result, in ground-truth order. */
  public List<VqaItemResult> items() {
    return items;
  }

  /**
   * {@code {"task":"vqa","accuracy":…,"bleu":…,"count":N,"per_category":{…}}}, scores rounded to 4
   * decimals; {@code per_category} only when the ground truth has categories.
   */
  public String toJson() {
    return Scores.json(
        g -> {
          g.writeStartObject();
          g.writeStringField("task", "vqa");
          g.writeNumberField("accuracy", Scores.round(accuracy));
          g.writeNumberField("bleu", Scores.round(bleu));
          g.writeNumberField("count", count);
          if (!perCategory.isEmpty()) {
            g.writeObjectFieldStart("per_category");
            for (Map.Entry<String, CategoryScore> e : perCategory.entrySet()) {
              g.writeObjectFieldStart(e.getKey());
              g.writeNumberField("accuracy", Scores.round(e.getValue().accuracy()));
              g.writeNumberField("bleu", Scores.round(e.getValue().bleu()));
              g.writeNumberField("count", e.getValue().count());
              g.writeEndObject();
            }
            g.writeEndObject();
          }
          g.writeEndObject();
        });
  }

  /** {@code accuracy=0.xxxx bleu=0.xxxx}. */
  @Override
  public String toString() {
    return "accuracy=" + Scores.format(accuracy) + " bleu=" + Scores.format(bleu);
  }
}
