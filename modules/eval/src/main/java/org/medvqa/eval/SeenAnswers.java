package org.medvqa.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * The answers a model saw in training, normalised as accuracy compares them. A model that answers
 * with one of its training answers (a classifier, a nearest-neighbour memory) cannot answer a
 * question right whose references are all unseen, so the share of questions with a seen reference
 * bounds its accuracy; {@link ErrorAnalysis} prints it beside each group's.
 *
 * <p>Answers are not kept per category: a ground truth's category is not always the one the
 * training rows were filed under (VQA-RAD's references carry their answer type, CLOSED or OPEN,
 * where its training questions are filed by question type), and on the 2019 data the counts are the
 * same either way. The file has one answer per line, as the {@code run} pipeline writes it.
 */
public final class SeenAnswers {
  private final Set<String> answers;

  private SeenAnswers(Set<String> answers) {
    this.answers = answers;
  }

  /** Answers given in memory, normalised here. */
  public static SeenAnswers of(Iterable<String> answers) {
    Set<String> s = new HashSet<>();
    answers.forEach(a -> s.add(AccuracyNormalizer.normalize(a)));
    return new SeenAnswers(s);
  }

  /** Reads the file: one answer per line. */
  public static SeenAnswers read(InputStream in) throws IOException {
    Set<String> s = new HashSet<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      s.add(AccuracyNormalizer.normalize(line));
    }
    return new SeenAnswers(s);
  }

  /** Whether {@code reference} (raw) was seen. */
  public boolean contains(String reference) {
    return answers.contains(AccuracyNormalizer.normalize(reference));
  }

  /** The number of distinct normalised answers. */
  public int size() {
    return answers.size();
  }
}
