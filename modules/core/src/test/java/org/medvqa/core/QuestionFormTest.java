package org.medvqa.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuestionFormTest {
  @Test
  void formsOfTheReleasesQuestions() {
    assertEquals(QuestionForm.YES_NO, QuestionForm.of("is this an mri?"));
    assertEquals(QuestionForm.YES_NO, QuestionForm.of("Was GI contrast given to the patient?"));
    assertEquals(QuestionForm.YES_NO, QuestionForm.of("does this image look normal?"));
    assertEquals(QuestionForm.CHOICE, QuestionForm.of("is this a contrast or noncontrast ct?"));
    assertEquals(
        QuestionForm.CHOICE,
        QuestionForm.of("is this a t1 weighted, t2 weighted, or flair image?"));
    assertEquals(QuestionForm.OPEN, QuestionForm.of("what modality is shown?"));
    assertEquals(QuestionForm.OPEN, QuestionForm.of("which plane or orientation is this?"));
    assertEquals(QuestionForm.OPEN, QuestionForm.of("island of reil?")); // "is" only as a word
    assertEquals(QuestionForm.OPEN, QuestionForm.of(""));
  }

  @Test
  void optionsOfAChoiceAreTheAnswersWhoseWordsItNames() {
    String q = "is this image modality t1, t2, or flair?";
    List<String> answers = List.of("t1", "t2", "flair", "mr - flair", "yes", "no", "t2 weighted");
    assertEquals(List.of(0, 1, 2), QuestionForm.CHOICE.allowed(q, answers));
    assertEquals(List.of(4, 5), QuestionForm.YES_NO.allowed("is this a ct?", answers));
    assertEquals(7, QuestionForm.OPEN.allowed(q, answers).size());
    assertTrue(QuestionForm.CHOICE.allows("is this a contrast or noncontrast ct?", "noncontrast"));
    assertFalse(QuestionForm.CHOICE.allows("is this a contrast or noncontrast ct?", "iv"));
    assertFalse(QuestionForm.CHOICE.allows("is this a contrast or noncontrast ct?", ""));
    assertTrue(QuestionForm.YES_NO.allows("is this a ct?", " Yes "));
  }
}
