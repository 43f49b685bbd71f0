package org.medvqa.features;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;
import org.medvqa.core.io.SerializableConf;

/**
 * One Spark task of {@link FeatureStage}: its keys (image id, variant id, image path, recorded
 * SHA-256) through the network of this JVM, in batches, as rows of {@link
 * FeatureTable#resultSchema}. What travels is small: the {@link ModelLoader} (settings only, the
 * model is loaded once per executor JVM), the Hadoop configuration and the progress counter.
 */
final class ExtractPartition implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  private final ModelLoader loader;
  private final SerializableConf conf;
  private final LongAccumulator done;
  private final boolean keepMap;

  ExtractPartition(ModelLoader loader, SerializableConf conf, LongAccumulator done) {
    this.loader = loader;
    this.conf = conf;
    this.done = done;
    this.keepMap = loader.settings().keepMap();
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return Collections.emptyIterator();
    }
    FeatureModel model = loader.get();
    Iterator<BatchExtraction.Request> requests =
        new Iterator<>() {
          @Override
          public boolean hasNext() {
            return rows.hasNext();
          }

          @Override
          public BatchExtraction.Request next() {
            Row r = rows.next();
            return new BatchExtraction.Request(
                r.getString(0), r.getInt(1), r.getString(2), r.getString(3));
          }
        };
    BatchExtraction extraction =
        new BatchExtraction(
            requests, model, loader.settings(), path -> read(conf, path), done::add);
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener((TaskCompletionListener) t -> extraction.close());
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return extraction.hasNext();
      }

      @Override
      public Row next() {
        return row(extraction.next());
      }
    };
  }

  private Row row(BatchExtraction.Result r) {
    BatchExtraction.Request q = r.request();
    List<Object> values = new ArrayList<>(6);
    values.add(q.imageId());
    values.add(q.variantId());
    values.add(q.path());
    values.add(r.features());
    if (keepMap) {
      values.add(r.map());
    }
    values.add(r.problem());
    return RowFactory.create(values.toArray());
  }

  private static byte[] read(SerializableConf conf, String path) throws IOException {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
      return in.readAllBytes();
    }
  }
}
