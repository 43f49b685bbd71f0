package org.medvqa.core;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The four VQA-Med 2019 question categories. Later releases ask mostly about abnormalities; a
 * question whose release does not say gets its category from {@link #infer(String)}.
 */
public enum Category {
  MODALITY,
  PLANE,
  ORGAN,
  ABNORMALITY;

  // Keyword rules, checked in this order. Order matters: "what plane is this mri taken in?" is a
  // plane question even though it names a modality, so plane and organ come before modality.
  private static final Pattern PLANE_WORDS =
      Pattern.compile("\\b(plane|planes|axial|sagittal|coronal|orientation)\\b");
  private static final Pattern ORGAN_WORDS =
      Pattern.compile("\\b(organ|organs|system|systems|part of the body|body part|anatomy)\\b");
  private static final Pattern ABNORMAL_WORDS =
      Pattern.compile(
          "\\b(abnormal|abnormality|abnormalities|wrong|diagnosis|pathology|normal|alarming"
              + "|primary|lesion|finding|findings|disease|problem|seen in)\\b");
  // Words that only a modality question uses, checked before the abnormality words ("what
  // imaging modality is seen in this image?" is about modality) ...
  private static final Pattern MODALITY_STRONG =
      Pattern.compile(
          "\\b(modality|modalities|contrast|noncontrast|weighted|weighting|flair"
              + "|imaging method|kind of image|type of image|kind of scan|type of imaging)\\b");
  // ... and words that abnormality questions use too ("what is abnormal in the ct scan?"),
  // checked after them.
  private static final Pattern MODALITY_WEAK =
      Pattern.compile(
          "\\b(t1|t2|mri|mr|ct|x-?ray|ultrasound|us|angiogram|imaging|scan|gadolinium|iv|gi"
              + "|dwi|pet|mammograph\\w*|taken|acquire|acquired)\\b");

  /** The lower-case name used in files and manifests ("modality", "plane", …). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a category name as the releases spell it ("modality", "Modality", "C1_Modality").
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static Category fromName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (Category c : values()) {
      if (n.equals(c.label()) || n.endsWith("_" + c.label())) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown category '" + name + "' (expected modality, plane, organ or abnormality)");
  }

  /** Same as {@link #fromName} but returns null for a value that is not a category. */
  public static Category fromNameOrNull(String name) {
    try {
      return fromName(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Infers the category of a question from keywords. Measured on the 12,792 real 2019 training
   * questions against their category files (see CategoryInferenceRealDataTest). Questions with no
   * keyword default to abnormality, the open-ended category of the 2020 and 2021 releases.
   */
  public static Category infer(String question) {
    String q = question.toLowerCase(Locale.ROOT);
    if (PLANE_WORDS.matcher(q).find()) {
      return PLANE;
    }
    if (ORGAN_WORDS.matcher(q).find()) {
      return ORGAN;
    }
    if (MODALITY_STRONG.matcher(q).find()) {
      return MODALITY;
    }
    if (ABNORMAL_WORDS.matcher(q).find()) {
      return ABNORMALITY;
    }
    if (MODALITY_WEAK.matcher(q).find()) {
      return MODALITY;
    }
    return ABNORMALITY;
  }
}
