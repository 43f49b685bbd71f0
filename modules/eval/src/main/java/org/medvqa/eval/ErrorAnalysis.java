package org.medvqa.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.medvqa.core.QuestionForm;

/**
 * Where a VQA run loses its points: accuracy per question category and {@link QuestionForm}
 * (yes/no, choice, open), each with its share of the overall score, the number of distinct answers
 * the run gave (a group answered with one answer has not been learned) and its most frequent
 * confusions. It reads what the evaluator scored, so it needs a ground truth with questions (the
 * 2019 test layout that {@code predict} writes).
 */
public final class ErrorAnalysis {
  /** How many confusions are listed per group. */
  private static final int CONFUSIONS = 3;

  /**
   * One group's figures.
   *
   * @param category the question category ("" when the ground truth has none)
   * @param form the question's form
   * @param count questions in the group
   * @param correct questions answered right (official accuracy)
   * @param distinctAnswers distinct answers the run gave in the group
   * @param distinctReferences distinct first reference answers in the group
   * @param confusions the most frequent "answer -> reference" errors with their counts
   */
  public record Group(
      String category,
      QuestionForm form,
      int count,
      int correct,
      int distinctAnswers,
      int distinctReferences,
      Map<String, Integer> confusions) {
    public double accuracy() {
      return count == 0 ? 0 : (double) correct / count;
    }
  }

  private final List<Group> groups;
  private final int total;

  private ErrorAnalysis(List<Group> groups, int total) {
    this.groups = List.copyOf(groups);
    this.total = total;
  }

  /** The groups of {@code evaluation}'s items, with questions and references from {@code gt}. */
  public static ErrorAnalysis of(GroundTruth gt, VqaEvaluation evaluation) {
    Map<String, GroundTruth.Item> byId = new HashMap<>();
    gt.items().forEach(i -> byId.put(i.id(), i));
    Map<String, List<String[]>> rows = new TreeMap<>(); // key -> {answer, reference, matched}
    for (VqaItemResult r : evaluation.items()) {
      GroundTruth.Item item = byId.get(r.id());
      String question = item == null || item.question() == null ? "" : item.question();
      String reference = item == null ? "" : item.references().get(0).toLowerCase(Locale.ROOT);
      String key =
          (r.category() == null ? "" : r.category()) + "\t" + QuestionForm.of(question).name();
      rows.computeIfAbsent(key, k -> new ArrayList<>())
          .add(new String[] {r.normalizedCandidate(), reference, r.matched() ? "1" : "0"});
    }
    List<Group> groups = new ArrayList<>();
    rows.forEach(
        (key, list) -> {
          String[] k = key.split("\t", -1);
          Set<String> answers = new HashSet<>();
          Set<String> references = new HashSet<>();
          Map<String, Integer> errors = new HashMap<>();
          int correct = 0;
          for (String[] x : list) {
            answers.add(x[0]);
            references.add(x[1]);
            if ("1".equals(x[2])) {
              correct++;
            } else {
              errors.merge(x[0] + " -> " + x[1], 1, Integer::sum);
            }
          }
          Map<String, Integer> top = new LinkedHashMap<>();
          errors.entrySet().stream()
              .sorted(
                  Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                      .thenComparing(Map.Entry.comparingByKey()))
              .limit(CONFUSIONS)
              .forEach(e -> top.put(e.getKey(), e.getValue()));
          groups.add(
              new Group(
                  k[0],
                  QuestionForm.valueOf(k[1]),
                  list.size(),
                  correct,
                  answers.size(),
                  references.size(),
                  top));
        });
    return new ErrorAnalysis(groups, evaluation.items().size());
  }

  public List<Group> groups() {
    return groups;
  }

  /**
   * A table: per group its questions, accuracy, the points it loses of the overall accuracy (errors
   * / all questions), the distinct answers given and expected, and its top confusions.
   */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%-12s %-7s %6s %8s %7s %8s %8s  %s%n",
            "category",
            "form",
            "n",
            "accuracy",
            "lost",
            "answers",
            "refs",
            "top confusions (answer -> reference)"));
    for (Group g : groups) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-12s %-7s %6d %8.4f %7.4f %8d %8d  %s%n",
              g.category().isEmpty() ? "-" : g.category(),
              g.form().label(),
              g.count(),
              g.accuracy(),
              total == 0 ? 0 : (double) (g.count() - g.correct()) / total,
              g.distinctAnswers(),
              g.distinctReferences(),
              g.confusions()));
    }
    return b.toString();
  }
}
