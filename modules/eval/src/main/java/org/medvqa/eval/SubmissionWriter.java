package org.medvqa.eval;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes a run file in the ImageCLEF format ({@link Submission} reads it) and, beside it, the
 * ground truth of the items whose references are known, line by line in the caller's order.
 *
 * <ul>
 *   <li>VQA: {@code id|answer}; ground truth in the 2019 test format, {@code
 *       id|category|question|answer#answer…} ({@link GroundTruthFormat}).
 *   <li>VQG: {@code id|q1|q2|…}; an image without a generated question gets {@code ?}, which scores
 *       what nothing would (BLEU 0) where the format needs a question; ground truth {@code
 *       id|ref1|ref2|…}.
 * </ul>
 */
public final class SubmissionWriter {
  private final Task task;
  private final Writer submission;
  private final Writer groundTruth;
  private long withReferences;
  private long nothingGenerated;

  /**
   * @param submission where the run file goes
   * @param groundTruth where the ground truth goes (the caller drops the file when {@link
   *     #withReferences} stays 0)
   */
  public SubmissionWriter(Task task, Writer submission, Writer groundTruth) {
    this.task = task;
    this.submission = submission;
    this.groundTruth = groundTruth;
  }

  /**
   * One item.
   *
   * @param outputs the answer (VQA: its first element; none writes an empty answer) or the
   *     generated questions (VQG)
   * @param references the reference answers or questions; none: no ground-truth line
   */
  public void write(
      String id, String category, String question, List<String> outputs, List<String> references)
      throws IOException {
    if (task == Task.VQG) {
      List<String> generated = outputs;
      if (generated.isEmpty()) {
        nothingGenerated++;
        generated = List.of("?");
      }
      submission.write(id + "|" + String.join("|", generated) + "\n");
      if (!references.isEmpty()) {
        withReferences++;
        groundTruth.write(id + "|" + String.join("|", references) + "\n");
      }
      return;
    }
    submission.write(id + "|" + (outputs.isEmpty() ? "" : outputs.get(0)) + "\n");
    if (!references.isEmpty()) {
      withReferences++;
      groundTruth.write(
          id + "|" + category + "|" + question + "|" + String.join("#", references) + "\n");
    }
  }

  /** Items written with references (ground-truth lines). */
  public long withReferences() {
    return withReferences;
  }

  /** VQG images that got {@code ?} for want of a generated question. */
  public long nothingGenerated() {
    return nothingGenerated;
  }
}
