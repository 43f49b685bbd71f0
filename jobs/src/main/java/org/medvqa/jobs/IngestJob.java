package org.medvqa.jobs;

import java.util.Locale;
import org.medvqa.core.ingest.IngestSettings;
import org.medvqa.core.ingest.IngestStage;
import org.medvqa.core.ingest.IngestSummary;
import org.medvqa.core.stage.StageContext;

/**
 * {@code ingest}: reads a VQA-Med release (2019, 2020 or 2021 layout; local, HDFS or s3a) and
 * writes the manifest every later stage reads, the {@code _rejected} table and provenance. The work
 * is {@link IngestStage}'s; this class is its command line.
 */
public final class IngestJob implements Job {
  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String summary() {
    return "read a VQA-Med release into a Parquet manifest (+ _rejected, provenance)";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    IngestSummary s = new IngestStage(IngestSettings.from(ctx.config())).run(ctx);
    ctx.say(
        String.format(
            Locale.ROOT,
            "summary: release=%s records=%d rejected=%d (%.2f%%) images=%d out=%s",
            s.release(),
            s.records(),
            s.rejected(),
            100 * s.rejectedFraction(),
            s.imagesChecked(),
            s.out()));
  }
}
