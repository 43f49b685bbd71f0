package org.medvqa.synth;

import java.util.Locale;

/** The three parts of the release, with the directory and file names the real 2019 release uses. */
enum Split {
  TRAIN("ImageClef_2019_Training", "Train_images", "train", "synth"),
  VALIDATION("ImageClef_2019_Validation", "Val_images", "val", "synthval"),
  TEST("VQAMed2019_Test", "VQAMed2019_Test_Images", "test", "synthtest");

  final String directory;
  final String imagesDirectory;
  final String suffix;
  private final String idPrefix;

  Split(String directory, String imagesDirectory, String suffix, String idPrefix) {
    this.directory = directory;
    this.imagesDirectory = imagesDirectory;
    this.suffix = suffix;
    this.idPrefix = idPrefix;
  }

  /** Ids count from 1 and have six digits, like {@code synth000001}; index is 0-based. */
  String imageId(int index) {
    return String.format(Locale.ROOT, "%s%06d", idPrefix, index + 1);
  }
}
