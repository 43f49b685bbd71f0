package org.medvqa.core.ingest;

import org.apache.hadoop.fs.Path;

/**
 * What an ingest wrote, counted from the written tables.
 *
 * @param release the release's name
 * @param records the manifest's rows
 * @param rejected the rejected table's rows
 * @param imagesChecked the distinct images looked at
 * @param out the output folder
 */
public record IngestSummary(
    String release, long records, long rejected, long imagesChecked, Path out) {
  /** The part of the records read that was rejected (1 when none was read). */
  public double rejectedFraction() {
    return records + rejected == 0 ? 1.0 : (double) rejected / (records + rejected);
  }
}
