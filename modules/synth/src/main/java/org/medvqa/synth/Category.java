package org.medvqa.synth;

/** The four question categories of VQA-Med 2019, in the order the release files list them. */
enum Category {
  MODALITY("modality", "C1_Modality"),
  PLANE("plane", "C2_Plane"),
  ORGAN("organ", "C3_Organ"),
  ABNORMALITY("abnormality", "C4_Abnormality");

  /** The lower-case name used in the test files' category column. */
  final String label;

  /** The stem of the per-category QA file, e.g. {@code C1_Modality_train.txt}. */
  final String fileStem;

  Category(String label, String fileStem) {
    this.label = label;
    this.fileStem = fileStem;
  }
}
