package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The phrasing rules: which attribute a question asks about, and what a question-answer states. */
class ImagingAttributesTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "is this a ct scan?|family|CT|",
        "is this an mri image?|family|MR|",
        "Is this an MRI?|family|MR|",
        "is this an x-ray?|family|XR|",
        "is this a noncontrast ct?|contrast|N|CT",
        "was the ct scan taken with contrast?|contrast|C|CT",
        "is this a noncontrast mri?|contrast|N|MR",
        "was the mri taken with contrast?|contrast|C|MR",
        "was iv contrast given to the patient?|contrast|C|",
      })
  void yesNoQuestionsAskAboutOneValue(String q, String attribute, String value, String family) {
    assertEquals(new ImagingAttributes.Asked(attribute, value, family), ImagingAttributes.asked(q));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "is this a t2 weighted image?",
        "was gi contrast given to the patient?",
        "is this a contrast or noncontrast ct?",
        "what modality is shown?",
        "is this a ct or an mri?",
        "is this an image of us?",
        "is there an abnormality?",
      })
  void otherQuestionsAskNothing(String q) {
    assertNull(ImagingAttributes.asked(q), q);
  }

  @Test
  void choiceQuestionsBetweenValuesOfOneAttribute() {
    assertEquals(
        new ImagingAttributes.Choice("contrast", Map.of("C", "contrast", "N", "noncontrast"), "CT"),
        ImagingAttributes.choice(
            "is this a contrast or noncontrast ct?",
            List.of("contrast", "ct noncontrast", "noncontrast")));
    assertEquals(
        new ImagingAttributes.Choice(
            "weighting", Map.of("T1", "t1", "T2", "t2", "FLAIR", "flair"), "MR"),
        ImagingAttributes.choice(
            "is this a t1 weighted, t2 weighted, or flair image?", List.of("t1", "t2", "flair")));
    assertEquals(
        new ImagingAttributes.Choice("contrast", Map.of("C", "contrast", "N", "noncontrast"), null),
        ImagingAttributes.choice(
            "is this contrast or noncontrast?", List.of("contrast", "noncontrast")));
    // No choice, one value only, options of two attributes, options that are no attribute's.
    assertNull(ImagingAttributes.choice("is this a t1 weighted image?", List.of("t1", "t2")));
    assertNull(ImagingAttributes.choice("is this t1 or fat suppressed?", List.of("t1")));
    assertNull(ImagingAttributes.choice("is this t1 or contrast?", List.of("t1", "contrast")));
    assertNull(ImagingAttributes.choice("is this a ct or an mri?", List.of("ct", "mri")));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "what modality is shown?|ct noncontrast|family=CT,contrast=N",
        "what modality is shown?|ct w/contrast (iv)|family=CT,contrast=C",
        "what modality is shown?|cta - ct angiography|family=CT,contrast=C",
        "what modality is shown?|mr - t1w w/gadolinium|family=MR,contrast=C,weighting=T1",
        "what modality is shown?|mr - t1w - noncontrast|family=MR,contrast=N,weighting=T1",
        "what modality is shown?|mr - t2 weighted|family=MR,weighting=T2",
        "what modality is shown?|mr - flair w/gd|family=MR,weighting=FLAIR,contrast=C",
        "what modality is shown?|mr t2* gradient,gre,mpgr,swan,swi|family=MR",
        "what modality is shown?|mra - mr angiography/venography|family=MR",
        "what modality is shown?|xr - plain film|family=XR",
        "what modality is shown?|us-d - doppler ultrasound|family=US",
        "what modality is shown?|an - angiogram|family=AN",
        "what is the mr weighting in this image?|t2|family=MR,weighting=T2",
        "is this a t1 weighted, t2 weighted, or flair image?|flair|family=MR,weighting=FLAIR",
        "is \tthis a t1 weighted image?|yes|family=MR,weighting=T1",
        "is this a t1 weighted image?|no|",
        "what type of contrast did this patient have?|gi and iv|contrast=C",
        "is this a contrast or noncontrast ct?|noncontrast|family=CT,contrast=N",
        "is this a ct scan?|yes|family=CT",
        "is this a ct scan?|no|",
        "is this a noncontrast mri?|no|family=MR,contrast=C",
        "was the ct scan taken with contrast?|no|family=CT,contrast=N",
        "was iv contrast given to the patient?|yes|contrast=C",
        "is this a t2 weighted image?|no|",
        "what organ system is shown?|skull and contents|",
      })
  void questionsAndAnswersStateWhatTheySay(String q, String a, String expected) {
    Map<String, String> want = new java.util.LinkedHashMap<>();
    if (expected != null) {
      for (String kv : expected.split(",")) {
        want.put(kv.split("=")[0], kv.split("=")[1]);
      }
    }
    assertEquals(want, ImagingAttributes.stated(q, a), q + " / " + a);
  }
}
