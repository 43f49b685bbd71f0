package org.medvqa.core.ingest;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.medvqa.core.release.TextSource;

/**
 * What {@link IngestStage#apply} made of a release, before it is written: the manifest rows, the
 * rejected rows and what was counted on the way. Closing it releases the tables it cached.
 *
 * @param release the release's name
 * @param sources the files read
 * @param manifest the manifest rows ({@link IngestStage#COLUMNS})
 * @param rejected the rejected rows ({@link org.medvqa.core.ManifestColumns#REJECTED})
 * @param linesRead the lines (VQA-RAD: objects) read
 * @param recordsParsed the rows parsing gave, records and rejected lines
 * @param otherSplits the records of splits not asked for, left out
 * @param imagesChecked the distinct images looked at
 * @param filesBySplit the files the release has for each wanted split, whether or not any of their
 *     lines was accepted
 * @param cached the tables cached on the way, released by {@link #close}
 */
public record IngestResult(
    String release,
    List<TextSource> sources,
    Dataset<Row> manifest,
    Dataset<Row> rejected,
    long linesRead,
    long recordsParsed,
    long otherSplits,
    long imagesChecked,
    Map<String, List<String>> filesBySplit,
    List<Dataset<Row>> cached)
    implements AutoCloseable {

  @Override
  public void close() {
    for (Dataset<Row> d : cached) {
      d.unpersist();
    }
  }
}
