package org.medvqa.augment.text;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.StreamSupport;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The executors' work of {@link VectorTrainingStage}: the words of each question and of each answer
 * of a partition, one sentence each, tokenized by the same OpenNLP tokenizer and lower-casing that
 * augment-questions uses.
 */
final class SentenceSplitting implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  /** The one column of a sentence row: its words. */
  static final String WORDS = "words";

  static final StructType SCHEMA =
      new StructType().add(WORDS, DataTypes.createArrayType(DataTypes.StringType, false), false);

  private final QuestionAugmentSettings settings;
  private final int questionIdx;
  private final int answersIdx;

  SentenceSplitting(QuestionAugmentSettings settings, int questionIdx, int answersIdx) {
    this.settings = settings;
    this.questionIdx = questionIdx;
    this.answersIdx = answersIdx;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    PosTagger tokenizer = new PosTagger(settings);
    return StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(rows, Spliterator.ORDERED), false)
        .flatMap(r -> split(tokenizer, r).stream())
        .iterator();
  }

  /** The sentences of one row: its question and each of its answers, those with words. */
  private List<Row> split(PosTagger tokenizer, Row r) {
    List<Row> buffer = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    if (!r.isNullAt(questionIdx)) {
      texts.add(r.getString(questionIdx));
    }
    if (!r.isNullAt(answersIdx)) {
      texts.addAll(r.getList(answersIdx));
    }
    for (String t : texts) {
      List<String> w = tokenizer.words(t, settings.lowercase());
      if (!w.isEmpty()) {
        buffer.add(RowFactory.create((Object) w.toArray(new String[0])));
      }
    }
    return buffer;
  }
}
