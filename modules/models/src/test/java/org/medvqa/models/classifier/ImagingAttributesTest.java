package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
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

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "what modality is shown?|ct noncontrast|family=CT,contrast=N",
        "what modality is shown?|ct w/contrast (iv)|family=CT,contrast=C",
        "what modality is shown?|cta - ct angiography|family=CT,contrast=C",
        "what modality is shown?|mr - t1w w/gadolinium|family=MR,contrast=C",
        "what modality is shown?|mr - t1w - noncontrast|family=MR,contrast=N",
        "what modality is shown?|mr - t2 weighted|family=MR",
        "what modality is shown?|mra - mr angiography/venography|family=MR",
        "what modality is shown?|xr - plain film|family=XR",
        "what modality is shown?|us-d - doppler ultrasound|family=US",
        "what modality is shown?|an - angiogram|family=AN",
        "what is the mr weighting in this image?|t2|family=MR",
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
