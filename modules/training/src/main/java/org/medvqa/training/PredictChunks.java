package org.medvqa.training;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKind;
import org.medvqa.models.TrainedModel;
import scala.Tuple2;

/**
 * The executors' part of predict: answers the chunks of a partition (rows of {@link
 * Examples#columns} and {@link #SCORED_BY}, with their position in the split's order, {@code
 * batch-size} rows per chunk) with the model of this JVM ({@link ModelCache}). A row without an
 * image is answered from a zero feature of the split's feature size (the question-aware model still
 * knows the question), and marked.
 */
final class PredictChunks
    implements FlatMapFunction<
        Iterator<Tuple2<Long, Iterable<Tuple2<Long, Row>>>>, PredictChunks.Prediction> {
  private static final long serialVersionUID = 1L;

  /**
   * The column after {@link Examples#columns} in the rows answered: the category the reference is
   * written with, which evaluate scores by.
   */
  static final String SCORED_BY = "scored_by";

  /**
   * One answered row.
   *
   * @param index its position in the split's order
   * @param id the submission id (image id or sample id)
   * @param category the category the reference is scored by ({@link #SCORED_BY})
   * @param outputs the answer, or the generated questions (VQG)
   * @param references its reference answers or questions
   * @param withoutImage answered from a zero feature
   */
  record Prediction(
      long index,
      String id,
      String category,
      String question,
      List<String> outputs,
      List<String> references,
      boolean withoutImage)
      implements Serializable {}

  private final ModelCache model;
  private final int featureSize;
  private final int idColumn;

  /**
   * @param featureSize the length of the zero feature a row without an image gets
   * @param idColumn the row's column that is the submission id (0 sample id, 1 image id)
   */
  PredictChunks(ModelCache model, int featureSize, int idColumn) {
    this.model = model;
    this.featureSize = featureSize;
    this.idColumn = idColumn;
  }

  @Override
  public Iterator<Prediction> call(Iterator<Tuple2<Long, Iterable<Tuple2<Long, Row>>>> chunks) {
    TrainedModel m = model.get();
    List<Prediction> out = new ArrayList<>();
    while (chunks.hasNext()) {
      List<Tuple2<Long, Row>> chunk = new ArrayList<>();
      chunks.next()._2().forEach(chunk::add);
      chunk.sort(Comparator.comparingLong(Tuple2::_1));
      answer(m, chunk, out);
    }
    return out.iterator();
  }

  private void answer(TrainedModel m, List<Tuple2<Long, Row>> chunk, List<Prediction> out) {
    List<Example> examples = new ArrayList<>(chunk.size());
    boolean[] blank = new boolean[chunk.size()];
    for (int i = 0; i < chunk.size(); i++) {
      Example e = Examples.of(chunk.get(i)._2());
      if (e.image() == null && m.kind().input() != ModelKind.Input.NONE) {
        blank[i] = true;
        e =
            new Example(
                e.sampleId(),
                e.imageId(),
                e.category(),
                new float[featureSize],
                e.question(),
                e.answers());
      }
      examples.add(e);
    }
    List<List<String>> outputs = m.predict(examples);
    for (int i = 0; i < chunk.size(); i++) {
      Row r = chunk.get(i)._2();
      List<String> refs = r.isNullAt(5) ? List.of() : new ArrayList<>(r.<String>getList(5));
      out.add(
          new Prediction(
              chunk.get(i)._1(),
              r.getString(idColumn),
              r.getString(6),
              r.getString(4),
              new ArrayList<>(outputs.get(i)),
              refs,
              blank[i]));
    }
  }
}
