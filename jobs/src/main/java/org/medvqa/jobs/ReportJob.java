package org.medvqa.jobs;

import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;
import org.medvqa.eval.report.ReportSettings;
import org.medvqa.eval.report.ReportWriter;

/**
 * {@code report}: writes {@code <run>/report.html} for the run folder {@code medvqa.report.run}
 * (metrics, training curves, the leaderboard of its sibling runs, a gallery of example test items),
 * with its charts and thumbnails in {@code <run>/report/}. Needs no Spark; an earlier report of the
 * run is replaced. What the run lacks is said on the page and printed as a note here.
 */
public final class ReportJob implements Job {
  @Override
  public String name() {
    return "report";
  }

  @Override
  public String summary() {
    return "write <run>/report.html: metrics, training curves, leaderboard, example gallery";
  }

  @Override
  public void run(StageContext ctx) throws Exception {
    String run = ConfigCheck.requireString(ctx.config(), "medvqa.report.run");
    ReportSettings settings = ReportSettings.from(ctx.config());
    Path folder = ctx.files().qualify(run);
    if (!ctx.files().exists(folder)) {
      throw new StageFailure("run folder " + folder + " does not exist (medvqa.report.run)");
    }
    ReportWriter.Report r = new ReportWriter(ctx.files(), settings).write(folder, ctx.provenance());
    for (String note : r.notes()) {
      ctx.say("note: " + note);
    }
    ctx.say(
        String.format(
            Locale.ROOT,
            "wrote %s (%d charts, %d examples of which %d with images, %d %s runs ranked)",
            r.page(),
            r.charts(),
            r.galleryItems(),
            r.thumbnails(),
            r.leaderboardRuns(),
            r.task().toUpperCase(Locale.ROOT)));
  }
}
