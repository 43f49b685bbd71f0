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
 * 2019 test layout that {@code predict} writes). Given the answers seen in training ({@link
 * SeenAnswers}), each group also counts its questions with a seen reference: the most a model that
 * answers from its training answers can get right there.
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
   * @param seen questions with a reference among the answers seen in training; -1 when not given
   */
  public record Group(
      String category,
      QuestionForm form,
      int count,
      int correct,
      int distinctAnswers,
      int distinctReferences,
      Map<String, Integer> confusions,
      int seen) {
    public double accuracy() {
      return count == 0 ? 0 : (double) correct / count;
    }

    /** The share of questions with a seen reference; NaN when the seen answers were not given. */
    public double seenShare() {
      return seen < 0 || count == 0 ? Double.NaN : (double) seen / count;
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
    return of(gt, evaluation, null);
  }

  /**
   * As {@link #of(GroundTruth, VqaEvaluation)}, each group also counting its questions with a
   * reference in {@code seen} (none counted when null).
   */
  public static ErrorAnalysis of(GroundTruth gt, VqaEvaluation evaluation, SeenAnswers seen) {
    Map<String, GroundTruth.Item> byId = new HashMap<>();
    gt.items().forEach(i -> byId.put(i.id(), i));
    // key -> {answer, reference, matched, seen}
    Map<String, List<String[]>> rows = new TreeMap<>();
    for (VqaItemResult r : evaluation.items()) {
      GroundTruth.Item item = byId.get(r.id());
      String question = item == null || item.question() == null ? "" : item.question();
      String reference = item == null ? "" : item.references().get(0).toLowerCase(Locale.ROOT);
      boolean known =
          seen != null && item != null && item.references().stream().anyMatch(seen::contains);
      String key =
          (r.category() == null ? "" : r.category()) + "\t" + QuestionForm.of(question).name();
      rows.computeIfAbsent(key, k -> new ArrayList<>())
          .add(
              new String[] {
                r.normalizedCandidate(), reference, r.matched() ? "1" : "0", known ? "1" : "0"
              });
    }
    List<Group> groups = new ArrayList<>();
    rows.forEach(
        (key, list) -> {
          String[] k = key.split("\t", -1);
          Set<String> answers = new HashSet<>();
          Set<String> references = new HashSet<>();
          Map<String, Integer> errors = new HashMap<>();
          int correct = 0;
          int known = 0;
          for (String[] x : list) {
            known += "1".equals(x[3]) ? 1 : 0;
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
                  top,
                  seen == null ? -1 : known));
        });
    return new ErrorAnalysis(groups, evaluation.items().size());
  }

  public List<Group> groups() {
    return groups;
  }

  /**
   * A table: per group its questions, accuracy, the points it loses of the overall accuracy (errors
   * / all questions), the distinct answers given and expected, and its top confusions; with the
   * seen answers, the share of questions with a seen reference after the accuracy, and a last line
   * for all groups.
   */
  @Override
  public String toString() {
    boolean known = !groups.isEmpty() && groups.get(0).seen() >= 0;
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%-12s %-7s %6s %8s%s %7s %8s %8s  %s%n",
            "category",
            "form",
            "n",
            "accuracy",
            known ? String.format(Locale.ROOT, " %8s", "seen") : "",
            "lost",
            "answers",
            "refs",
            "top confusions (answer -> reference)"));
    for (Group g : groups) {
      b.append(
          String.format(
              Locale.ROOT,
              "%-12s %-7s %6d %8.4f%s %7.4f %8d %8d  %s%n",
              g.category().isEmpty() ? "-" : g.category(),
              g.form().label(),
              g.count(),
              g.accuracy(),
              known ? String.format(Locale.ROOT, " %8.4f", g.seenShare()) : "",
              total == 0 ? 0 : (double) (g.count() - g.correct()) / total,
              g.distinctAnswers(),
              g.distinctReferences(),
              g.confusions()));
    }
    if (known) {
      int seen = groups.stream().mapToInt(Group::seen).sum();
      b.append(
          String.format(
              Locale.ROOT,
              "references seen in training: %d of %d questions (%.4f), the most an answer chosen"
                  + " among the training answers can get right%n",
              seen,
              total,
              total == 0 ? 0 : (double) seen / total));
    }
    return b.toString();
  }
}
