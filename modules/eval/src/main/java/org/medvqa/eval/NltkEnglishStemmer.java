package org.medvqa.eval;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import org.tartarus.snowball.ext.EnglishStemmer;

/**
 * English stemming exactly as NLTK's {@code SnowballStemmer("english")} does it, computed by
 * Lucene's generated Snowball stemmer.
 *
 * <p>NLTK's stemmer is its own Python rendering of Porter2 and differs from Snowball in a few
 * places, all of which we reproduce:
 *
 * <ul>
 *   <li>words of at most two characters are returned unchanged, before anything else;
 *   <li>its dictionary of special words (Snowball's exception1 plus the plural and past forms of
 *       exception2) is looked up on the whole word, first; Snowball's exception2, which looks at
 *       the word after step 1a, does not exist there, so {@code exceed's} stems to {@code exce};
 *   <li>the curly apostrophes ’ ‘ ‛ become {@code '} before the algorithm;
 *   <li>NLTK tracks the regions R1/R2 as strings and, when steps 1b, 2 or 3 replace a suffix that
 *       R2 covers only partly, empties R2 (or leaves just the final "e") instead of keeping its
 *       start; after step 1b's "at/bl/iz" + e it guesses R2 from the word length. So {@code
 *       realization} stems to {@code realize} in NLTK but {@code realiz} in Snowball.
 * </ul>
 *
 * <p>To get the last two right we drive Lucene's step routines one by one and, after steps 1b, 2
 * and 3, set its region markers to where NLTK's strings would put them; every suffix rule itself is
 * Lucene's. The routines are private in Lucene, so they are reached by reflection, checked at class
 * initialisation (Lucene is pinned; the cross-check test runs this against NLTK).
 *
 * <p>Not thread-safe: one instance per thread.
 */
final class NltkEnglishStemmer {

  /** NLTK's {@code EnglishStemmer.__special_words}, checked on the whole lower-cased word. */
  private static final Map<String, String> SPECIAL_WORDS =
      Map.ofEntries(
          Map.entry("skis", "ski"),
          Map.entry("skies", "sky"),
          Map.entry("dying", "die"),
          Map.entry("lying", "lie"),
          Map.entry("tying", "tie"),
          Map.entry("idly", "idl"),
          Map.entry("gently", "gentl"),
          Map.entry("ugly", "ugli"),
          Map.entry("early", "earli"),
          Map.entry("only", "onli"),
          Map.entry("singly", "singl"),
          Map.entry("sky", "sky"),
          Map.entry("news", "news"),
          Map.entry("howe", "howe"),
          Map.entry("atlas", "atlas"),
          Map.entry("cosmos", "cosmos"),
          Map.entry("bias", "bias"),
          Map.entry("andes", "andes"),
          Map.entry("inning", "inning"),
          Map.entry("innings", "inning"),
          Map.entry("outing", "outing"),
          Map.entry("outings", "outing"),
          Map.entry("canning", "canning"),
          Map.entry("cannings", "canning"),
          Map.entry("herring", "herring"),
          Map.entry("herrings", "herring"),
          Map.entry("earring", "earring"),
          Map.entry("earrings", "earring"),
          Map.entry("proceed", "proceed"),
          Map.entry("proceeds", "proceed"),
          Map.entry("proceeded", "proceed"),
          Map.entry("proceeding", "proceed"),
          Map.entry("exceed", "exceed"),
          Map.entry("exceeds", "exceed"),
          Map.entry("exceeded", "exceed"),
          Map.entry("exceeding", "exceed"),
          Map.entry("succeed", "succeed"),
          Map.entry("succeeds", "succeed"),
          Map.entry("succeeded", "succeed"),
          Map.entry("succeeding", "succeed"));

  private final Steps steps = new Steps();

  /** The NLTK stem of a lower-case token. */
  String stem(String word) {
    if (word.codePointCount(0, word.length()) <= 2) {
      return word;
    }
    String special = SPECIAL_WORDS.get(word);
    if (special != null) {
      return special;
    }
    String w = word.replace('\u2019', '\'').replace('\u2018', '\'').replace('\u201B', '\'');
    if (w.length() == w.codePointCount(0, w.length())) {
      return steps.run(w);
    }
    return stemWithStandIns(w);
  }

  /**
   * Lucene counts UTF-16 chars where NLTK counts code points (step 1a's "ies" asks whether more
   * than one letter precedes it), so characters beyond the BMP stand in as private-use chars, which
   * are non-vowels to both, while the algorithm runs.
   */
  private String stemWithStandIns(String w) {
    StringBuilder encoded = new StringBuilder(w.length());
    Map<Integer, Character> standIns = new HashMap<>();
    Map<Character, Integer> originals = new HashMap<>();
    char next = '\uE000';
    for (int i = 0; i < w.length(); i += Character.charCount(w.codePointAt(i))) {
      int c = w.codePointAt(i);
      if (Character.isBmpCodePoint(c)) {
        encoded.append((char) c);
        continue;
      }
      Character standIn = standIns.get(c);
      if (standIn == null) {
        while (w.indexOf(next) >= 0) {
          next++;
        }
        standIn = next++;
        standIns.put(c, standIn);
        originals.put(standIn, c);
      }
      encoded.append(standIn.charValue());
    }
    String stem = steps.run(encoded.toString());
    StringBuilder decoded = new StringBuilder(stem.length() + 8);
    for (int i = 0; i < stem.length(); i++) {
      Integer original = originals.get(stem.charAt(i));
      if (original == null) {
        decoded.append(stem.charAt(i));
      } else {
        decoded.appendCodePoint(original);
      }
    }
    return decoded.toString();
  }

  /** Lucene's English stemmer, run step by step so NLTK's region bookkeeping can be applied. */
  private static final class Steps extends EnglishStemmer {

    private static final long serialVersionUID = 1L;

    private static final String[] STEP_1B = {"eedly", "ingly", "edly", "eed", "ing", "ed"};

    /** NLTK's step 2 list, in its order (longer suffixes first where they overlap). */
    private static final String[] STEP_2 = {
      "ization", "ational", "fulness", "ousness", "iveness", "tional", "biliti", "lessli", "entli",
      "ation", "alism", "aliti", "ousli", "iviti", "fulli", "enci", "anci", "abli", "izer", "ator",
      "alli", "bli", "ogi", "li"
    };

    private static final String[] STEP_3 = {
      "ational", "tional", "alize", "icate", "iciti", "ative", "ical", "ness", "ful"
    };

    private static final MethodHandle PRELUDE;
    private static final MethodHandle MARK_REGIONS;
    private static final MethodHandle STEP_1A_MH;
    private static final MethodHandle STEP_1B_MH;
    private static final MethodHandle STEP_1C_MH;
    private static final MethodHandle STEP_2_MH;
    private static final MethodHandle STEP_3_MH;
    private static final MethodHandle STEP_4_MH;
    private static final MethodHandle STEP_5_MH;
    private static final MethodHandle POSTLUDE;
    private static final VarHandle P1;
    private static final VarHandle P2;

    static {
      try {
        MethodHandles.Lookup lookup =
            MethodHandles.privateLookupIn(EnglishStemmer.class, MethodHandles.lookup());
        PRELUDE = routine(lookup, "r_prelude");
        MARK_REGIONS = routine(lookup, "r_mark_regions");
        STEP_1A_MH = routine(lookup, "r_Step_1a");
        STEP_1B_MH = routine(lookup, "r_Step_1b");
        STEP_1C_MH = routine(lookup, "r_Step_1c");
        STEP_2_MH = routine(lookup, "r_Step_2");
        STEP_3_MH = routine(lookup, "r_Step_3");
        STEP_4_MH = routine(lookup, "r_Step_4");
        STEP_5_MH = routine(lookup, "r_Step_5");
        POSTLUDE = routine(lookup, "r_postlude");
        P1 = lookup.findVarHandle(EnglishStemmer.class, "I_p1", int.class);
        P2 = lookup.findVarHandle(EnglishStemmer.class, "I_p2", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(
            "Lucene's EnglishStemmer no longer has the step routines this class drives"
                + " (written against lucene-analysis-common 9.12.3): "
                + e);
      }
    }

    private static MethodHandle routine(MethodHandles.Lookup lookup, String name)
        throws ReflectiveOperationException {
      return lookup
          .findVirtual(EnglishStemmer.class, name, MethodType.methodType(boolean.class))
          .asType(MethodType.methodType(boolean.class, Steps.class));
    }

    /**
     * Lucene's {@code stem()} minus the two exception routines (NLTK looked its dictionary up
     * already, and has no exception2), with NLTK's regions imposed after steps 1b, 2 and 3.
     */
    String run(String word) {
      setCurrent(word);
      call(PRELUDE);
      call(MARK_REGIONS);
      limit_backward = cursor;
      cursor = limit;
      step(STEP_1A_MH);
      String before = getCurrent();
      step(STEP_1B_MH);
      afterStep1b(before, getCurrent());
      step(STEP_1C_MH);
      before = getCurrent();
      step(STEP_2_MH);
      afterStep2(before, getCurrent());
      before = getCurrent();
      step(STEP_3_MH);
      afterStep3(before, getCurrent());
      step(STEP_4_MH);
      step(STEP_5_MH);
      cursor = limit_backward;
      call(POSTLUDE);
      return getCurrent();
    }

    private void call(MethodHandle routine) {
      int saved = cursor;
      invoke(routine);
      cursor = saved;
    }

    /**
     * A backward-mode step, restoring the cursor relative to the end as the generated code does.
     */
    private void step(MethodHandle routine) {
      int fromEnd = limit - cursor;
      invoke(routine);
      cursor = limit - fromEnd;
    }

    private void invoke(MethodHandle routine) {
      try {
        boolean unused = (boolean) routine.invokeExact(this);
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    private void afterStep1b(String before, String after) {
      if (before.equals(after)) {
        return;
      }
      String suffix = firstSuffix(before, STEP_1B);
      int start = before.length() - suffix.length();
      int n = after.length();
      int p1 = (int) P1.get(this);
      int p2 = (int) P2.get(this);
      if (suffix.startsWith("eed")) {
        // "eed(ly)" -> "ee": NLTK keeps R2 only if it covered the whole suffix.
        if (p2 > start) {
          P2.set(this, n);
        }
        return;
      }
      if (n != start + 1 || after.charAt(n - 1) != 'e') {
        return; // plain deletion, or a doubled consonant undone: NLTK's slices agree with Snowball
      }
      if (after.endsWith("ate") || after.endsWith("ble") || after.endsWith("ize")) {
        // NLTK: r1 = r1[:-len(suffix)] + "e"; r2 gets the "e" only if len(word) > 5 or len(r1) >=
        // 3.
        int r1 = Math.max(0, start - p1) + 1;
        int r2 = Math.max(0, start - p2) + (n > 5 || r1 >= 3 ? 1 : 0);
        P1.set(this, n - r1);
        P2.set(this, n - r2);
      } else {
        // The short-word "e": NLTK's regions were empty and stay empty.
        P1.set(this, n);
        P2.set(this, n);
      }
    }

    private void afterStep2(String before, String after) {
      if (before.equals(after)) {
        return;
      }
      String suffix = firstSuffix(before, STEP_2);
      if ((int) P2.get(this) <= before.length() - suffix.length()) {
        return; // R2 covered the whole suffix: NLTK replaced inside it, as Snowball does
      }
      int n = after.length();
      switch (suffix) {
        case "ization", "izer", "alism", "aliti", "alli", "ousli", "ousness", "biliti", "bli" ->
            P2.set(this, n);
        case "ational", "ation", "ator", "iveness", "iviti" -> P2.set(this, n - 1);
        default -> {
          // Deletions and one-letter replacements: NLTK's slices agree with Snowball.
        }
      }
    }

    private void afterStep3(String before, String after) {
      if (before.equals(after)) {
        return;
      }
      String suffix = firstSuffix(before, STEP_3);
      if ((int) P2.get(this) <= before.length() - suffix.length()) {
        return;
      }
      switch (suffix) {
        case "ational", "icate", "iciti", "ical" -> P2.set(this, after.length());
        default -> {
          // Deletions: NLTK's slices agree with Snowball.
        }
      }
    }

    private static String firstSuffix(String word, String[] suffixes) {
      for (String s : suffixes) {
        if (word.endsWith(s)) {
          return s;
        }
      }
      throw new IllegalStateException("a step changed '" + word + "' without a known suffix");
    }
  }
}
