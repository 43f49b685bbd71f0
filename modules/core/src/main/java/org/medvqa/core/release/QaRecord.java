package org.medvqa.core.release;

import java.io.Serializable;
import java.util.List;
import org.medvqa.core.Category;

/**
 * One question of a release as read from a line, before images are checked.
 *
 * @param imageId image id without extension
 * @param question the question, or "" for a VQA test file that gives answers only
 * @param answers reference answers (several for '#' alternatives); empty for test questions
 * @param category category if the release says it, else null
 * @param task vqa or vqg
 */
public record QaRecord(
    String imageId, String question, List<String> answers, Category category, String task)
    implements Serializable {

  public QaRecord {
    answers = List.copyOf(answers);
  }
}
