package org.medvqa.augment.text;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The executors' first step of {@link QuestionAugmentStage}: tags each question of a partition (a
 * repeated one once per partition, up to {@code cache-size} distinct ones) and appends its tokens,
 * their offsets, tags and candidate keys to the row. The OpenNLP models are loaded once per JVM.
 */
final class QuestionTagging implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  /** The working columns appended to a tagged row, in order; dropped from the output. */
  static final String TOKENS = "_tokens";

  static final String STARTS = "_starts";
  static final String ENDS = "_ends";
  static final String TAGS = "_tags";
  static final String CANDIDATES = "_candidates";

  private final QuestionAugmentSettings settings;
  private final int questionIdx;

  QuestionTagging(QuestionAugmentSettings settings, int questionIdx) {
    this.settings = settings;
    this.questionIdx = questionIdx;
  }

  /** The input schema with the working columns appended. */
  static StructType schema(StructType in) {
    return in.add(TOKENS, DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add(STARTS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add(ENDS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)
        .add(TAGS, DataTypes.createArrayType(DataTypes.StringType, false), false)
        .add(CANDIDATES, DataTypes.createArrayType(DataTypes.StringType, false), false);
  }

  /** The tagged question that {@link #call} appended to row {@code r} of input width {@code w}. */
  static TaggedQuestion read(Row r, int w, int questionIdx) {
    return new TaggedQuestion(
        r.getString(questionIdx),
        r.<String>getList(w).toArray(new String[0]),
        ints(r.getList(w + 1)),
        ints(r.getList(w + 2)),
        r.<String>getList(w + 3).toArray(new String[0]));
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    PosTagger tagger = new PosTagger(settings);
    CandidateFilter filter = new CandidateFilter(settings);
    Map<String, TaggedQuestion> cache = lru(settings.cacheSize());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        Row r = rows.next();
        String q = r.getString(questionIdx);
        TaggedQuestion tq = cache.get(q);
        if (tq == null) {
          tq = tagger.tag(q);
          if (settings.cacheSize() > 0) {
            cache.put(q, tq);
          }
        }
        return tagged(r, tq, filter);
      }
    };
  }

  private static Row tagged(Row r, TaggedQuestion tq, CandidateFilter filter) {
    Object[] v = new Object[r.size() + 5];
    for (int i = 0; i < r.size(); i++) {
      v[i] = r.get(i);
    }
    int n = r.size();
    v[n] = tq.tokens();
    v[n + 1] = boxed(tq.starts());
    v[n + 2] = boxed(tq.ends());
    v[n + 3] = tq.tags();
    v[n + 4] = QuestionRewriter.candidateKeys(tq, filter).toArray(new String[0]);
    return RowFactory.create(v);
  }

  private static Integer[] boxed(int[] a) {
    Integer[] out = new Integer[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  private static int[] ints(List<Integer> l) {
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }

  private static <K, V> Map<K, V> lru(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> e) {
        return size() > max;
      }
    };
  }
}
