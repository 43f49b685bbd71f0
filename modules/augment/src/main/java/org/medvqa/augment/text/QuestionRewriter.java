package org.medvqa.augment.text;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.medvqa.core.Category;

/**
 * Rewrites questions by replacing candidate words with their neighbours from a {@link
 * NeighbourTable}: up to K variants per question, one replaced word per variant or every candidate
 * at once ({@link Mode}). A replacement must keep the candidate's tag when the rewrite is tagged
 * again ({@code same-pos}) and the rewrite must keep the question's inferred category ({@code
 * keep-category}); rewrites are distinct from the question and from each other. The same settings,
 * sample id and question always give the same variants.
 *
 * <p>The analysis of a question (tags, candidates, which replacements keep their tag) is kept in a
 * bounded cache, so a question that repeats (the VQA-Med 2019 training set has 247 distinct
 * questions among 12,792) is analysed once per task. Not thread-safe: one per Spark partition.
 */
public final class QuestionRewriter {
  /** What became of a question. */
  public enum Outcome {
    /** At least one variant. */
    REWRITTEN,
    /** No word of the question may be replaced. */
    NO_CANDIDATES,
    /** Candidates, but none with a neighbour (unknown words, or none passed the filters). */
    NO_NEIGHBOURS,
    /** Neighbours, but every rewrite changed a tag or the category. */
    NO_VALID_REWRITE
  }

  /**
   * The rewrites of one question.
   *
   * @param variants the rewrites, numbered from 1
   * @param candidates how many words of the question could be replaced
   * @param outcome what became of the question
   */
  public record Result(List<Variant> variants, int candidates, Outcome outcome) {}

  private static final byte UNKNOWN = 0;
  private static final byte KEEPS_TAG = 1;
  private static final byte CHANGES_TAG = 2;

  private final QuestionAugmentSettings settings;
  private final NeighbourTable table;
  private final PosTagger tagger;
  private final CandidateFilter filter;
  private final Map<String, Plan> cache;

  /**
   * @param tagger tags questions given as text and checks tags of rewrites; may be null only when
   *     questions come tagged and {@code same-pos} is off
   */
  public QuestionRewriter(
      QuestionAugmentSettings settings, NeighbourTable table, PosTagger tagger) {
    if (tagger == null && settings.samePos()) {
      throw new IllegalArgumentException("same-pos needs a tagger");
    }
    this.settings = settings;
    this.table = table;
    this.tagger = tagger;
    this.filter = new CandidateFilter(settings);
    int max = settings.cacheSize();
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Plan> e) {
            return size() > max;
          }
        };
  }

  /** Tags and rewrites a question. */
  public Result rewrite(String sampleId, String question) {
    if (tagger == null) {
      throw new IllegalStateException("rewriting text needs a tagger");
    }
    Plan p = cache.get(question);
    if (p == null) {
      p = plan(tagger.tag(question));
    }
    return rewrite(sampleId, p);
  }

  /** Rewrites a question tagged before (by the same models). */
  public Result rewrite(String sampleId, TaggedQuestion question) {
    Plan p = cache.get(question.text());
    if (p == null || !p.q.equals(question)) {
      p = plan(question);
    }
    return rewrite(sampleId, p);
  }

  /** The candidate keys ({@link NeighbourTable#key}) of a tagged question, in token order. */
  public static List<String> candidateKeys(TaggedQuestion q, CandidateFilter filter) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < q.size(); i++) {
      if (filter.isCandidate(q.tokens()[i], q.tags()[i])) {
        keys.add(NeighbourTable.key(filter.lookupForm(q.tokens()[i]), q.tags()[i]));
      }
    }
    return keys;
  }

  private Plan plan(TaggedQuestion q) {
    List<Integer> positions = new ArrayList<>();
    List<Neighbour[]> neighbours = new ArrayList<>();
    for (int i = 0; i < q.size(); i++) {
      if (filter.isCandidate(q.tokens()[i], q.tags()[i])) {
        positions.add(i);
        neighbours.add(table.get(filter.lookupForm(q.tokens()[i]), q.tags()[i]));
      }
    }
    Plan p =
        new Plan(
            q,
            positions.stream().mapToInt(Integer::intValue).toArray(),
            neighbours.toArray(new Neighbour[0][]));
    if (settings.cacheSize() > 0) {
      cache.put(q.text(), p);
    }
    return p;
  }

  private Result rewrite(String sampleId, Plan p) {
    int candidates = p.positions.length;
    if (candidates == 0) {
      return new Result(List.of(), 0, Outcome.NO_CANDIDATES);
    }
    boolean anyNeighbour = false;
    for (Neighbour[] n : p.neighbours) {
      anyNeighbour |= n.length > 0;
    }
    if (!anyNeighbour) {
      return new Result(List.of(), candidates, Outcome.NO_NEIGHBOURS);
    }
    List<Variant> variants = settings.mode() == Mode.ONE ? oneAtATime(sampleId, p) : allAtOnce(p);
    return new Result(
        variants, candidates, variants.isEmpty() ? Outcome.NO_VALID_REWRITE : Outcome.REWRITTEN);
  }

  /**
   * Mode one: rank by rank (every candidate's best neighbour, then every second best, ...), the
   * candidates in an order drawn from the seed and the sample id.
   */
  private List<Variant> oneAtATime(String sampleId, Plan p) {
    int m = p.positions.length;
    int[] order = new int[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    SplittableRandom rnd =
        new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L ^ sampleId.hashCode());
    for (int i = m - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    int maxRank = 0;
    for (Neighbour[] n : p.neighbours) {
      maxRank = Math.max(maxRank, n.length);
    }
    List<Variant> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    seen.add(p.q.text());
    for (int r = 0; r < maxRank; r++) {
      for (int c : order) {
        if (r >= p.neighbours[c].length || !keepsTag(p, c, r)) {
          continue;
        }
        Replacement rep = replacement(p, c, r);
        String text = splice(p.q, List.of(rep));
        if (keepsCategory(p, text) && seen.add(text)) {
          out.add(new Variant(out.size() + 1, text, List.of(rep)));
          if (out.size() == settings.variants()) {
            return out;
          }
        }
      }
    }
    return out;
  }

  /** Mode all: variant k replaces every candidate by its k-th neighbour that keeps its tag. */
  private List<Variant> allAtOnce(Plan p) {
    int m = p.positions.length;
    int[] cursor = new int[m];
    List<Variant> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    seen.add(p.q.text());
    for (int k = 0; k < settings.neighbours() && out.size() < settings.variants(); k++) {
      List<Replacement> reps = new ArrayList<>();
      for (int c = 0; c < m; c++) {
        while (cursor[c] < p.neighbours[c].length && !keepsTag(p, c, cursor[c])) {
          cursor[c]++;
        }
        if (cursor[c] < p.neighbours[c].length) {
          reps.add(replacement(p, c, cursor[c]));
          cursor[c]++;
        }
      }
      if (reps.isEmpty()) {
        break;
      }
      String text = splice(p.q, reps);
      if (keepsCategory(p, text) && seen.add(text)) {
        out.add(new Variant(out.size() + 1, text, reps));
      }
    }
    return out;
  }

  private Replacement replacement(Plan p, int c, int r) {
    int pos = p.positions[c];
    String from = p.q.tokens()[pos];
    Neighbour n = p.neighbours[c][r];
    return new Replacement(from, matchCase(from, n.word()), n.similarity(), pos);
  }

  /** Whether the r-th neighbour of candidate c keeps the candidate's tag (memoised per plan). */
  private boolean keepsTag(Plan p, int c, int r) {
    if (!settings.samePos()) {
      return true;
    }
    byte known = p.tagCheck[c][r];
    if (known == UNKNOWN) {
      int pos = p.positions[c];
      String[] tokens = p.q.tokens().clone();
      tokens[pos] = matchCase(tokens[pos], p.neighbours[c][r].word());
      String[] tags = tagger.tags(tokens);
      known = tags[pos].equals(p.q.tags()[pos]) ? KEEPS_TAG : CHANGES_TAG;
      p.tagCheck[c][r] = known;
    }
    return known == KEEPS_TAG;
  }

  private boolean keepsCategory(Plan p, String text) {
    return !settings.keepCategory() || Category.infer(text) == p.category;
  }

  /**
   * The replacement in the original's style: lower, Capitalised or UPPER like the word it replaces.
   */
  String matchCase(String original, String word) {
    if (!settings.lowercase()) {
      return word;
    }
    boolean anyUpper = !original.equals(original.toLowerCase(Locale.ROOT));
    if (!anyUpper) {
      return word.toLowerCase(Locale.ROOT);
    }
    if (original.length() > 1 && original.equals(original.toUpperCase(Locale.ROOT))) {
      return word.toUpperCase(Locale.ROOT);
    }
    String lower = word.toLowerCase(Locale.ROOT);
    int first = lower.codePointAt(0);
    return new StringBuilder()
        .appendCodePoint(Character.toTitleCase(first))
        .append(lower.substring(Character.charCount(first)))
        .toString();
  }

  /** The question with the replaced tokens' spans swapped; everything else as it was. */
  static String splice(TaggedQuestion q, List<Replacement> reps) {
    StringBuilder b = new StringBuilder(q.text().length() + 16);
    int at = 0;
    for (Replacement r :
        reps.stream().sorted((x, y) -> Integer.compare(x.position(), y.position())).toList()) {
      b.append(q.text(), at, q.starts()[r.position()]).append(r.to());
      at = q.ends()[r.position()];
    }
    return b.append(q.text(), at, q.text().length()).toString();
  }

  /** What is known about one distinct question. */
  private static final class Plan {
    final TaggedQuestion q;
    final int[] positions;
    final Neighbour[][] neighbours;
    final byte[][] tagCheck;
    final Category category;

    Plan(TaggedQuestion q, int[] positions, Neighbour[][] neighbours) {
      this.q = q;
      this.positions = positions;
      this.neighbours = neighbours;
      this.tagCheck = new byte[positions.length][];
      for (int i = 0; i < positions.length; i++) {
        tagCheck[i] = new byte[neighbours[i].length];
      }
      this.category = Category.infer(q.text());
    }
  }
}
