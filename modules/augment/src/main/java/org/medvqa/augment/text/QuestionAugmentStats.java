package org.medvqa.augment.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medvqa.core.config.Provenance;

/**
 * What {@link QuestionAugmentStage} did: its record counts, what the rewrites came to, the
 * neighbour table and the vectors it used, and the seconds of each phase ({@link
 * QuestionAugmentStage#PHASES}).
 *
 * @param recordsIn input rows
 * @param recordsRejected input rows without a sample id or question
 * @param recordsOut output rows (originals kept and variants)
 * @param questions questions tagged (those of the chosen splits)
 * @param rewritten questions with at least one variant
 * @param withoutCandidates questions with no candidate word
 * @param withoutNeighbours questions whose candidates have no neighbour
 * @param withoutValidRewrite questions with neighbours but no rewrite that keeps tags and category
 * @param variants variants written
 * @param candidates distinct candidates (word/tag)
 * @param candidatesNotInVectors candidate words the vectors do not hold
 * @param candidatesWithoutNeighbours candidates that kept no neighbour
 * @param vectorWords words of the vectors
 * @param vectorDimensions dimensions of the vectors
 * @param vectorsSource where the vectors came from, as their file says
 * @param seconds seconds per phase, in the order run
 */
public record QuestionAugmentStats(
    long recordsIn,
    long recordsRejected,
    long recordsOut,
    long questions,
    long rewritten,
    long withoutCandidates,
    long withoutNeighbours,
    long withoutValidRewrite,
    long variants,
    int candidates,
    int candidatesNotInVectors,
    int candidatesWithoutNeighbours,
    int vectorWords,
    int vectorDimensions,
    String vectorsSource,
    Map<String, Double> seconds) {

  public QuestionAugmentStats {
    seconds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
  }

  /** These statistics with the seconds of one more phase. */
  public QuestionAugmentStats withSeconds(String phase, double s) {
    Map<String, Double> more = new LinkedHashMap<>(seconds);
    more.put(phase, s);
    return new QuestionAugmentStats(
        recordsIn,
        recordsRejected,
        recordsOut,
        questions,
        rewritten,
        withoutCandidates,
        withoutNeighbours,
        withoutValidRewrite,
        variants,
        candidates,
        candidatesNotInVectors,
        candidatesWithoutNeighbours,
        vectorWords,
        vectorDimensions,
        vectorsSource,
        more);
  }

  /** The seconds of a phase; 0 for one that did not run. */
  public double seconds(String phase) {
    return seconds.getOrDefault(phase, 0.0);
  }

  /**
   * Adds the counts, the vectors' source and the seconds of each phase ({@code seconds_<phase>}) to
   * a provenance record.
   */
  public Provenance addTo(Provenance p) {
    p.count("records_in", recordsIn)
        .count("records_rejected", recordsRejected)
        .count("records_out", recordsOut)
        .count("questions", questions)
        .count("questions_rewritten", rewritten)
        .count("questions_without_candidates", withoutCandidates)
        .count("questions_without_neighbours", withoutNeighbours)
        .count("questions_without_valid_rewrite", withoutValidRewrite)
        .count("variants", variants)
        .count("candidates", candidates)
        .count("candidate_words_not_in_vectors", candidatesNotInVectors)
        .count("candidates_without_neighbours", candidatesWithoutNeighbours)
        .count("vector_words", vectorWords)
        .count("vector_dimensions", vectorDimensions)
        .note("vectors_source", vectorsSource);
    for (String phase : QuestionAugmentStage.PHASES) {
      p.note(
          "seconds_" + phase.replace(' ', '_'), String.format(Locale.ROOT, "%.3f", seconds(phase)));
    }
    return p;
  }

  /** The phase table the job prints: a header, then one line per phase. */
  public List<String> phaseTable() {
    List<String> lines = new ArrayList<>();
    lines.add("phase                 seconds");
    for (String phase : QuestionAugmentStage.PHASES) {
      lines.add(String.format(Locale.ROOT, "  %-18s %8.2f", phase, seconds(phase)));
    }
    return lines;
  }
}
