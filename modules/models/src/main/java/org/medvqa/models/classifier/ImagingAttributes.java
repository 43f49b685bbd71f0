package org.medvqa.models.classifier;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.medvqa.core.QuestionForm;

/**
 * What a radiology question and its answer say about the image's acquisition: its modality family
 * (CT, MR, XR, US, ...), whether contrast was given and an MR image's weighting (T1, T2, FLAIR);
 * which of these a yes/no question asks about ("is this a ct scan?" asks whether the family is CT);
 * and which a choice question's options are values of ("contrast or noncontrast?").
 *
 * <p>Why: the question-aware network answers "is this a ct scan?" from an image feature and a
 * question encoding, and must learn for each such question that "yes" means the image looks like a
 * CT, from the 200 training examples of that question. Every modality question of every training
 * image tells the family, so the images that look alike vote with far more examples: on the 2019
 * held-out split, the nearest training images give the family of 94% of the images whose family the
 * question tells, where the network answers "is this a ct scan?" right for 71%.
 *
 * <p>The rules are the phrasing of VQA-Med's modality questions and answers ("ct noncontrast", "mr
 * - t2 weighted", "xr - plain film"; "is this a noncontrast mri?"), which VQA-RAD shares for the
 * families. A question that names a modality and asks about its contrast is asked of images of that
 * modality (2019: the nearest training images of 97% of the "was the mri taken with contrast?"
 * images are MR, whatever the answer), so it states the family either way; "is this a ct scan?"
 * answered no states nothing about the family.
 */
final class ImagingAttributes {
  /** The modality family: CT, MR, XR, US, AN (angiography), MG, NM, PET, GI (barium studies). */
  static final String FAMILY = "family";

  /** Whether contrast was given: C (yes) or N (no). */
  static final String CONTRAST = "contrast";

  /** An MR image's weighting: T1, T2 or FLAIR. */
  static final String WEIGHTING = "weighting";

  /** The value a yes/no question asks about, among images of {@code family} when not null. */
  record Asked(String attribute, String value, String family) {}

  /**
   * A choice question whose options are values of one attribute ("is this a contrast or noncontrast
   * ct?": contrast C or N, among CT images): each option answer by its value.
   */
  record Choice(String attribute, Map<String, String> optionByValue, String family) {}

  /** First words of answers and modality words of questions (but {@link #ENGLISH}), by family. */
  private static final Map<String, String> FAMILY_WORDS =
      Map.ofEntries(
          Map.entry("ct", "CT"),
          Map.entry("cta", "CT"),
          Map.entry("mr", "MR"),
          Map.entry("mri", "MR"),
          Map.entry("mra", "MR"),
          Map.entry("t1", "MR"),
          Map.entry("t2", "MR"),
          Map.entry("flair", "MR"),
          Map.entry("xr", "XR"),
          Map.entry("x-ray", "XR"),
          Map.entry("xray", "XR"),
          Map.entry("radiograph", "XR"),
          Map.entry("us", "US"),
          Map.entry("us-d", "US"),
          Map.entry("ultrasound", "US"),
          Map.entry("sonogram", "US"),
          Map.entry("an", "AN"),
          Map.entry("angiogram", "AN"),
          Map.entry("venogram", "AN"),
          Map.entry("mammograph", "MG"),
          Map.entry("mammogram", "MG"),
          Map.entry("nm", "NM"),
          Map.entry("pet", "PET"),
          Map.entry("bas", "GI"),
          Map.entry("ugi", "GI"),
          Map.entry("be", "GI"),
          Map.entry("sbft", "GI"));

  /**
   * Family words that are words of English in a question ("is this an mri?", "can you show us"):
   * only answers use them as codes.
   */
  private static final Set<String> ENGLISH = Set.of("an", "us", "be");

  /** Open answers that say no contrast was given. */
  private static final Set<String> NO_CONTRAST =
      Set.of("noncontrast", "ct noncontrast", "mr - t1w - noncontrast");

  /** Words of a CT or MR answer that say contrast was given (an MR angiogram may have none). */
  private static final Set<String> CONTRAST_WORDS =
      Set.of("contrast", "gadolinium", "gd", "iv", "cta");

  /** Answers (whole) that state an MR weighting: VQA-Med 2019's phrasings. */
  private static final Map<String, String> WEIGHTING_ANSWERS =
      Map.ofEntries(
          Map.entry("t1", "T1"),
          Map.entry("t2", "T2"),
          Map.entry("flair", "FLAIR"),
          Map.entry("mr - t2 weighted", "T2"),
          Map.entry("mr - t1w - noncontrast", "T1"),
          Map.entry("mr - t1w w/gadolinium", "T1"),
          Map.entry("mr - t1w w/gd (fat suppressed)", "T1"),
          Map.entry("mr - flair", "FLAIR"),
          Map.entry("mr - flair w/gd", "FLAIR"));

  /** A value of one attribute ("contrast", "C"). */
  private record Value(String attribute, String value) {}

  /** Option answers of choice questions (and words of questions) that name an attribute's value. */
  private static final Map<String, Value> OPTION_VALUES =
      Map.of(
          "contrast", new Value(CONTRAST, "C"),
          "noncontrast", new Value(CONTRAST, "N"),
          "t1", new Value(WEIGHTING, "T1"),
          "t2", new Value(WEIGHTING, "T2"),
          "flair", new Value(WEIGHTING, "FLAIR"));

  private ImagingAttributes() {}

  /** {@code text} lower-cased with its runs of white space as one space. */
  private static String clean(String text) {
    return String.join(" ", text.trim().toLowerCase(Locale.ROOT).split("\\s+"));
  }

  /** The family a question names ("... noncontrast ct?" names CT), or null (none, or two). */
  private static String namedFamily(String q) {
    return named(q, w -> ENGLISH.contains(w) ? null : FAMILY_WORDS.get(w));
  }

  /** The one weighting a question names ("is this a t2 weighted image?": T2), or null. */
  private static String namedWeighting(String q) {
    return named(
        q,
        w -> {
          Value v = OPTION_VALUES.get(w);
          return v != null && v.attribute().equals(WEIGHTING) ? v.value() : null;
        });
  }

  /**
   * The one value {@code valueOf} gives the words of question {@code q}; null when it gives none,
   * or two different ones ("is this a ct or an mri?").
   */
  private static String named(String q, java.util.function.Function<String, String> valueOf) {
    String found = null;
    for (String w : q.split("[^a-z0-9-]+")) {
      String v = valueOf.apply(w);
      if (v == null) {
        continue;
      }
      if (found != null && !found.equals(v)) {
        return null;
      }
      found = v;
    }
    return found;
  }

  /**
   * The attribute a yes/no question asks about: "is this a ct scan?" asks family = CT; "is this a
   * noncontrast mri?" asks contrast = N among MR images; "was iv contrast given?" contrast = C.
   * Null for other questions (weighting, GI contrast, anything open or a choice).
   */
  static Asked asked(String question) {
    if (QuestionForm.of(question) != QuestionForm.YES_NO) {
      return null;
    }
    String q = clean(question);
    String family = namedFamily(q);
    if (q.contains("gi contrast") || q.contains("weighted")) {
      return null;
    }
    if (q.contains("noncontrast")) {
      return new Asked(CONTRAST, "N", family);
    }
    if (q.contains("contrast")) {
      return new Asked(CONTRAST, "C", family);
    }
    if (family != null && q.startsWith("is this a")) { // "is this a ct scan?", "is this an mri?"
      return new Asked(FAMILY, family, null);
    }
    return null;
  }

  /**
   * The attribute a choice question's {@code options} (the answers its form allows) are values of:
   * "is this a contrast or noncontrast ct?" with options contrast, noncontrast (and "ct
   * noncontrast", which names no single value and is left out) chooses contrast among CT images;
   * "is this a t1 weighted, t2 weighted, or flair image?" the weighting among MR images. Null when
   * the question is no choice, or its options name fewer than two values of one attribute.
   */
  static Choice choice(String question, List<String> options) {
    if (QuestionForm.of(question) != QuestionForm.CHOICE) {
      return null;
    }
    String attribute = null;
    Map<String, String> byValue = new LinkedHashMap<>();
    for (String option : options) {
      Value v = OPTION_VALUES.get(clean(option));
      if (v == null) {
        continue;
      }
      if (attribute != null && !attribute.equals(v.attribute())) {
        return null; // "is this a t1 or a contrast image?": no one attribute
      }
      attribute = v.attribute();
      byValue.putIfAbsent(v.value(), option);
    }
    if (byValue.size() < 2) {
      return null;
    }
    String family = attribute.equals(WEIGHTING) ? "MR" : namedFamily(clean(question));
    return new Choice(attribute, byValue, family);
  }

  /** What a training question and its answer state about the image (possibly nothing). */
  static Map<String, String> stated(String question, String answer) {
    String q = clean(question);
    String a = clean(answer);
    Map<String, String> out = new LinkedHashMap<>();
    Asked asked = asked(question);
    if (asked != null && (a.equals("yes") || a.equals("no"))) {
      boolean yes = a.equals("yes");
      if (asked.attribute().equals(FAMILY)) {
        if (yes) {
          out.put(FAMILY, asked.value());
        }
      } else {
        if (asked.family() != null) {
          out.put(FAMILY, asked.family());
        }
        out.put(CONTRAST, yes == asked.value().equals("C") ? "C" : "N");
      }
      return out;
    }
    if (QuestionForm.of(question) == QuestionForm.YES_NO) {
      // "is this a t1 weighted image?" answered yes states the weighting; answered no, it leaves
      // two. Such questions are not asked of the memory (see asked): in the 2019 training set
      // their answer follows the question's wording, not the image.
      String weighting = a.equals("yes") && q.contains("weighted") ? namedWeighting(q) : null;
      if (weighting != null) {
        out.put(FAMILY, "MR");
        out.put(WEIGHTING, weighting);
      }
      return out;
    }
    if (a.equals("contrast") || a.equals("noncontrast")) {
      String f = namedFamily(q);
      if (f != null) {
        out.put(FAMILY, f);
      }
      out.put(CONTRAST, a.equals("contrast") ? "C" : "N");
      return out;
    }
    String first = a.split(" ")[0];
    String f = FAMILY_WORDS.get(first);
    if (f != null) {
      out.put(FAMILY, f);
    }
    String weighting = WEIGHTING_ANSWERS.get(a);
    if (weighting != null) {
      out.put(WEIGHTING, weighting);
    }
    if (NO_CONTRAST.contains(a)) {
      out.put(CONTRAST, "N");
    } else if (f != null && (f.equals("CT") || f.equals("MR"))) {
      for (String w : a.split("[^a-z0-9-]+")) {
        if (CONTRAST_WORDS.contains(w)) {
          out.put(CONTRAST, "C");
          break;
        }
      }
    } else if (a.equals("iv") || a.equals("gi and iv")) {
      out.put(CONTRAST, "C"); // "what type of contrast did this patient have?"
    }
    return out;
  }
}
