package org.medvqa.augment.text;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.StreamSupport;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;

/**
 * The executors' second step of {@link QuestionAugmentStage}: for each tagged question (a row that
 * {@link QuestionTagging} made), the original (with {@code keep-originals}) and its variants as
 * output rows, counting what happened in {@link Counts}.
 */
final class QuestionVariants implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  /** What the rewrites came to, summed over the executors. */
  static final class Counts implements Serializable {
    private static final long serialVersionUID = 1L;
    final LongAccumulator rewritten;
    final LongAccumulator noCandidates;
    final LongAccumulator noNeighbours;
    final LongAccumulator noValid;
    final LongAccumulator variants;

    Counts(SparkContext sc) {
      rewritten = sc.longAccumulator("rewritten");
      noCandidates = sc.longAccumulator("no candidates");
      noNeighbours = sc.longAccumulator("no neighbours");
      noValid = sc.longAccumulator("no valid rewrite");
      variants = sc.longAccumulator("variants");
    }

    void add(QuestionRewriter.Result result) {
      switch (result.outcome()) {
        case REWRITTEN -> rewritten.add(1);
        case NO_CANDIDATES -> noCandidates.add(1);
        case NO_NEIGHBOURS -> noNeighbours.add(1);
        case NO_VALID_REWRITE -> noValid.add(1);
      }
      variants.add(result.variants().size());
    }
  }

  private final QuestionAugmentSettings settings;
  private final Broadcast<NeighbourTable> table;
  private final int width;
  private final int idIdx;
  private final int questionIdx;
  private final Counts counts;

  /**
   * @param width the number of input columns (the tagging columns follow them)
   * @param idIdx index of the sample id
   * @param questionIdx index of the question
   */
  QuestionVariants(
      QuestionAugmentSettings settings,
      Broadcast<NeighbourTable> table,
      int width,
      int idIdx,
      int questionIdx,
      Counts counts) {
    this.settings = settings;
    this.table = table;
    this.width = width;
    this.idIdx = idIdx;
    this.questionIdx = questionIdx;
    this.counts = counts;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    QuestionRewriter rewriter =
        new QuestionRewriter(
            settings, table.value(), settings.samePos() ? new PosTagger(settings) : null);
    // One input row at a time: a question's original and variants are all that is held.
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED), false)
        .flatMap(r -> expand(rewriter, r).stream())
        .iterator();
  }

  /** The original (if kept) and the variants of one tagged question. */
  private List<Row> expand(QuestionRewriter rewriter, Row r) {
    List<Row> buffer = new ArrayList<>();
    String id = r.getString(idIdx);
    QuestionRewriter.Result result =
        rewriter.rewrite(id, QuestionTagging.read(r, width, questionIdx));
    counts.add(result);
    if (settings.keepOriginals()) {
      buffer.add(row(r, id, null, 0, List.of()));
    }
    for (Variant v : result.variants()) {
      buffer.add(row(r, id + "-q" + v.variant(), v.question(), v.variant(), v.replacements()));
    }
    return buffer;
  }

  /** The input columns (sample id and question replaced), then parent, variant, replacements. */
  private Row row(Row r, String sampleId, String q, int variant, List<Replacement> reps) {
    Object[] v = new Object[width + 3];
    for (int i = 0; i < width; i++) {
      v[i] = r.get(i);
    }
    v[idIdx] = sampleId;
    if (q != null) {
      v[questionIdx] = q;
    }
    v[width] = r.getString(idIdx);
    v[width + 1] = variant;
    Row[] structs = new Row[reps.size()];
    for (int i = 0; i < structs.length; i++) {
      Replacement p = reps.get(i);
      structs[i] = RowFactory.create(p.from(), p.to(), p.similarity(), p.position());
    }
    v[width + 2] = structs;
    return RowFactory.create(v);
  }
}
