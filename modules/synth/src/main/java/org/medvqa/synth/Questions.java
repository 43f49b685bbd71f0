package org.medvqa.synth;

import java.util.List;

/**
 * Question templates in the style of the 2019 release: lower case, ending with '?', sometimes
 * naming the modality ("what is abnormal in the ct scan?"). Written for this project, not taken
 * from the release.
 */
final class Questions {
  private static final String MOD = "{mod}";

  private static final List<String> MODALITY =
      List.of(
          "what modality is shown?",
          "what imaging modality was used to acquire this image?",
          "how was this image taken?",
          "what kind of scan is this?",
          "which imaging technique produced this picture?",
          "what type of imaging is this?",
          "what modality was used for this image?");

  private static final List<String> PLANE =
      List.of(
          "in what plane is this image taken?",
          "which plane is this image in?",
          "what plane is shown?",
          "in what plane is this {mod}?",
          "what is the plane of this {mod}?",
          "which imaging plane is depicted?");

  private static final List<String> ORGAN =
      List.of(
          "which organ system is shown in the {mod}?",
          "what organ system is imaged?",
          "what part of the body is shown in this image?",
          "what organ system does this {mod} show?",
          "which organ system is primarily seen here?",
          "what organ is this image of?");

  private static final List<String> ABNORMALITY =
      List.of(
          "what is abnormal in the {mod}?",
          "what abnormality is seen in the image?",
          "what is the primary finding in this image?",
          "what is most alarming about this {mod}?",
          "what lesion is shown?");

  /** A yes/no question; its wording decides whether "yes" means abnormal or normal. */
  record YesNo(String text, boolean yesMeansAbnormal) {}

  private static final List<YesNo> YES_NO =
      List.of(
          new YesNo("is this image normal?", false),
          new YesNo("is this image abnormal?", true),
          new YesNo("does this {mod} look normal?", false),
          new YesNo("is there an abnormality in the {mod}?", true),
          new YesNo("is anything wrong in this image?", true),
          new YesNo("is this a normal {mod}?", false));

  private Questions() {}

  static String modality(int template) {
    return MODALITY.get(template % MODALITY.size());
  }

  static String plane(int template, Scene.Modality modality) {
    return fill(PLANE.get(template % PLANE.size()), modality);
  }

  static String organ(int template, Scene.Modality modality) {
    return fill(ORGAN.get(template % ORGAN.size()), modality);
  }

  static String abnormality(int template, Scene.Modality modality) {
    return fill(ABNORMALITY.get(template % ABNORMALITY.size()), modality);
  }

  static YesNo yesNo(int template, Scene.Modality modality) {
    YesNo q = YES_NO.get(template % YES_NO.size());
    return new YesNo(fill(q.text(), modality), q.yesMeansAbnormal());
  }

  private static String fill(String template, Scene.Modality modality) {
    return template.replace(MOD, modality.noun);
  }
}
