package org.medvqa.core.stage;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.config.Provenance;
import org.medvqa.core.io.HadoopFiles;

/**
 * The one way a stage writes an output folder: everything goes into a hidden temporary folder
 * beside the target; the reject limit is checked there; {@code provenance.json} is written last;
 * then the folder is renamed into place. A failed stage leaves nothing half-written at the target:
 * the temporary folder is removed on {@link #close}, or moved aside for inspection when too many
 * records were rejected.
 *
 * <pre>{@code
 * try (StagedOutput o = StagedOutput.open(ctx, settings.out())) {
 *   rows.write().parquet(o.path("manifest"));
 *   o.limitRejects(rejected, in, "records", settings.maxRejectedFraction(), MAX_REJECTED);
 *   o.commit(provenance);
 * }
 * }</pre>
 */
public final class StagedOutput implements AutoCloseable {
  private final StageContext ctx;
  private final Path target;
  private final Path tmp;
  private boolean done;

  private StagedOutput(StageContext ctx, Path target, Path tmp) {
    this.ctx = ctx;
    this.target = target;
    this.tmp = tmp;
  }

  /**
   * Opens a new output at {@code path}: refused when something is there already (outputs are never
   * overwritten in part); the leftovers of a killed earlier run of the same output are removed.
   */
  public static StagedOutput open(StageContext ctx, String path) throws IOException {
    Path target = ctx.newOutput(path);
    return new StagedOutput(ctx, target, ctx.files().temporaryFor(target));
  }

  /**
   * A temporary folder beside an output that exists already, for a stage that adds parts to it (the
   * feature table's {@code run=N} folders): the stage moves its parts in itself and rewrites the
   * provenance; {@link #close} removes the temporary folder. {@link #commit} is for new outputs.
   */
  public static StagedOutput beside(StageContext ctx, Path existing) {
    return new StagedOutput(ctx, existing, ctx.files().temporaryFor(existing));
  }

  /** Where the output ends up. */
  public Path target() {
    return target;
  }

  /** The temporary folder everything is written into before the commit. */
  public Path tmp() {
    return tmp;
  }

  /** A child of the temporary folder, as a URI string for Spark's writers. */
  public String path(String child) {
    return HadoopFiles.uri(new Path(tmp, child));
  }

  /**
   * Fails the stage when more than {@code maxFraction} of {@code in} records ({@code noun}: "rows",
   * "images") were rejected. The output so far is moved beside the target ({@code
   * <name>.failed-<millis>}) so the rejects can be read, and the message names the setting that
   * allows more.
   */
  public void limitRejects(long rejected, long in, String noun, double maxFraction, String setting)
      throws IOException {
    double fraction = in == 0 ? (rejected == 0 ? 0 : 1) : (double) rejected / in;
    if (fraction <= maxFraction) {
      return;
    }
    Path failed =
        new Path(target.getParent(), target.getName() + ".failed-" + System.currentTimeMillis());
    ctx.files().fs(tmp).rename(tmp, failed);
    done = true;
    throw new StageFailure(
        String.format(
            Locale.ROOT,
            "%d of %d %s rejected (%.2f%%), above %s = %s; the output was moved to %s for"
                + " inspection",
            rejected,
            in,
            noun,
            100 * fraction,
            setting,
            maxFraction,
            failed));
  }

  /** Writes {@code provenance.json} (last: its presence marks a complete output), then renames. */
  public Path commit(Provenance provenance) throws IOException {
    ctx.writeProvenance(tmp, provenance);
    ctx.files().commit(tmp, target);
    done = true;
    return target;
  }

  /** Removes the temporary folder unless the output was committed or moved aside. */
  @Override
  public void close() {
    if (!done) {
      ctx.files().deleteQuietly(tmp); // a failed run leaves nothing half-written
    }
  }
}
