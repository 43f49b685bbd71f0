package org.medvqa.synth;

/**
 * What one synthetic image shows and which questions it is asked: a pure function of (seed, split,
 * index).
 *
 * <p>The four attributes are drawn independently of each other, so no answer can be guessed from
 * another category's answer or from a question's wording (questions may name the modality, as the
 * real ones do, but the modality says nothing about plane, organ or abnormality). The image is
 * drawn from the same attributes by {@link Renderer}; everything random about the drawing comes
 * from {@link #renderSeed}.
 *
 * @param finding the marked lesion, or {@code null} when the image is normal (only possible when
 *     the abnormality question is a yes/no one)
 * @param yesNoAbnormality whether the abnormality question asks normal/abnormal instead of naming
 *     the lesion
 * @param organAlternative whether the test reference answer lists a second acceptable organ
 */
record Scene(
    String imageId,
    Modality modality,
    Plane plane,
    Organ organ,
    boolean yesNoAbnormality,
    Finding finding,
    boolean rgb,
    int modalityTemplate,
    int planeTemplate,
    int organTemplate,
    int abnormalityTemplate,
    boolean organAlternative,
    long renderSeed) {

  /** Share of test organ answers that also accept a neighbouring organ system, after '#'. */
  static final double ORGAN_ALTERNATIVE_FRACTION = 0.3;

  /** Imaging modality; decides background, texture and noise of the whole image. */
  enum Modality {
    CT("ct noncontrast", "ct scan"),
    MR("mr - t2 weighted", "mri"),
    US("us - ultrasound", "ultrasound"),
    XR("xr - plain film", "x-ray");

    final String answer;

    /** How questions of other categories name the modality, e.g. "what is abnormal in the mri?". */
    final String noun;

    Modality(String answer, String noun) {
      this.answer = answer;
      this.noun = noun;
    }
  }

  /** Imaging plane; decides the orientation of the main structure. */
  enum Plane {
    AXIAL("axial", 0),
    SAGITTAL("sagittal", 90),
    CORONAL("coronal", 45);

    final String answer;

    /** Angle of the main structure's long axis to the image x axis (coronal also uses -45). */
    final double degrees;

    Plane(String answer, double degrees) {
      this.answer = answer;
      this.degrees = degrees;
    }
  }

  /** Organ system; decides the shape of the main structure. */
  enum Organ {
    SKULL("skull and contents", "face, sinuses, and neck"),
    LUNG("lung, mediastinum, pleura", "heart and great vessels"),
    SPINE("spine and contents", "musculoskeletal"),
    GI("gastrointestinal", "genitourinary");

    final String answer;

    /** A neighbouring system the test reference may also accept, as the real test file does. */
    final String alternative;

    Organ(String answer, String alternative) {
      this.answer = answer;
      this.alternative = alternative;
    }
  }

  /** The marked lesion; its shape and brightness decide the named abnormality. */
  enum Finding {
    CYST("cyst"),
    MASS("mass"),
    FRACTURE("fracture"),
    CALCIFICATION("calcification");

    final String answer;

    Finding(String answer) {
      this.answer = answer;
    }
  }

  /** Draws the scene for one image. The order of draws is part of the format: do not reorder. */
  static Scene sample(SyntheticRelease.Settings settings, Split split, int index) {
    Rng rng = Rng.forItem(settings.seed(), split.ordinal(), index);
    Modality modality = pick(rng, Modality.values());
    Plane plane = pick(rng, Plane.values());
    Organ organ = pick(rng, Organ.values());
    boolean yesNo = rng.chance(settings.yesNoFraction());
    // A named-abnormality question needs a lesion to name; a yes/no one is balanced.
    boolean present = rng.chance(0.5) || !yesNo;
    Finding finding = pick(rng, Finding.values());
    boolean rgb = rng.chance(settings.rgbFraction());
    int modalityTemplate = rng.nextInt(1 << 16);
    int planeTemplate = rng.nextInt(1 << 16);
    int organTemplate = rng.nextInt(1 << 16);
    int abnormalityTemplate = rng.nextInt(1 << 16);
    boolean organAlternative = rng.chance(ORGAN_ALTERNATIVE_FRACTION);
    return new Scene(
        split.imageId(index),
        modality,
        plane,
        organ,
        yesNo,
        present ? finding : null,
        rgb,
        modalityTemplate,
        planeTemplate,
        organTemplate,
        abnormalityTemplate,
        organAlternative,
        rng.nextLong());
  }

  private static <T> T pick(Rng rng, T[] values) {
    return values[rng.nextInt(values.length)];
  }

  String question(Category category) {
    return switch (category) {
      case MODALITY -> Questions.modality(modalityTemplate);
      case PLANE -> Questions.plane(planeTemplate, modality);
      case ORGAN -> Questions.organ(organTemplate, modality);
      case ABNORMALITY ->
          yesNoAbnormality
              ? Questions.yesNo(abnormalityTemplate, modality).text()
              : Questions.abnormality(abnormalityTemplate, modality);
    };
  }

  /** The single answer the image decides. */
  String answer(Category category) {
    return switch (category) {
      case MODALITY -> modality.answer;
      case PLANE -> plane.answer;
      case ORGAN -> organ.answer;
      case ABNORMALITY -> {
        if (!yesNoAbnormality) {
          yield finding.answer;
        }
        boolean abnormal = finding != null;
        yield Questions.yesNo(abnormalityTemplate, modality).yesMeansAbnormal() == abnormal
            ? "yes"
            : "no";
      }
    };
  }

  /** The answer for the test reference file: alternatives joined by '#', the decided one first. */
  String referenceAnswer(Category category) {
    String answer = answer(category);
    return category == Category.ORGAN && organAlternative
        ? answer + "#" + organ.alternative
        : answer;
  }
}
