package org.medvqa.training;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.models.FeatureScaler;

/**
 * Per-dimension mean and standard deviation of a feature column over a whole training set, computed
 * on the executors ({@link FeatureScaler}'s statistics without collecting the features to the
 * driver, which only ever sees the training text).
 */
public final class FeatureMoments {
  private FeatureMoments() {}

  /**
   * The statistics of the array column {@code column} of {@code rows}; every non-null array must
   * have {@code size} values (a row that has another size fails the job, naming the size).
   */
  public static FeatureScaler of(Dataset<Row> rows, String column, int size) {
    double[] zero = new double[2 * size + 1];
    double[] acc =
        rows.select(column)
            .javaRDD()
            .treeAggregate(
                zero,
                (a, row) -> {
                  if (row.isNullAt(0)) {
                    return a;
                  }
                  List<Object> f = row.getList(0);
                  if (f.size() != size) {
                    throw new IllegalArgumentException(
                        "feature of " + f.size() + " values, expected " + size);
                  }
                  for (int j = 0; j < size; j++) {
                    double x = ((Number) f.get(j)).doubleValue();
                    a[j] += x;
                    a[size + j] += x * x;
                  }
                  a[2 * size]++;
                  return a;
                },
                (a, b) -> {
                  for (int j = 0; j < a.length; j++) {
                    a[j] += b[j];
                  }
                  return a;
                });
    double[] sum = java.util.Arrays.copyOfRange(acc, 0, size);
    double[] sumSq = java.util.Arrays.copyOfRange(acc, size, 2 * size);
    return FeatureScaler.fromMoments((long) acc[2 * size], sum, sumSq);
  }
}
