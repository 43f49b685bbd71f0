package org.medvqa.eval;

import java.util.List;

/** The result of scoring a VQG submission. */
public final class VqgEvaluation {

  private final double bleu;
  private final int count;
  private final List<VqgItemResult> items;

  /** A result without per-image detail. */
  public VqgEvaluation(double bleu, int count) {
    this(bleu, count, List.of());
  }

  /** Aggregates image results (one per ground-truth image): the mean of the best BLEUs. */
  public static VqgEvaluation of(List<VqgItemResult> results) {
    if (results.isEmpty()) {
      throw new IllegalArgumentException("no images to aggregate");
    }
    double sum = 0;
    for (VqgItemResult r : results) {
      sum += r.bleu();
    }
    return new VqgEvaluation(sum / results.size(), results.size(), results);
  }

  /** A result. */
  public VqgEvaluation(double bleu, int count, List<VqgItemResult> items) {
    this.bleu = bleu;
    this.count = count;
    this.items = List.copyOf(items);
  }

  /** Mean over ground-truth images of the best BLEU per image. */
  public double bleu() {
    return bleu;
  }

  /** The number of ground-truth images. */
  public int count() {
    return count;
  }

  /** Every image's result, in ground-truth order. */
  public List<VqgItemResult> items() {
    return items;
  }

  /** {@code {"task":"vqg","bleu":…,"count":N}}, BLEU rounded to 4 decimals. */
  public String toJson() {
    return Scores.json(
        g -> {
          g.writeStartObject();
          g.writeStringField("task", "vqg");
          g.writeNumberField("bleu", Scores.round(bleu));
          g.writeNumberField("count", count);
          g.writeEndObject();
        });
  }

  /** {@code bleu=0.xxxx}. */
  @Override
  public String toString() {
    return "bleu=" + Scores.format(bleu);
  }
}
