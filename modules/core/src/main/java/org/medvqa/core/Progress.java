package org.medvqa.core;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress lines for long work: records done of total, rate and time left. A job that counts in
 * Spark tasks hands in a supplier (an accumulator's value) and a daemon thread prints every few
 * seconds, so the driver shows progress without collecting anything.
 */
public final class Progress implements AutoCloseable {
  private final String what;
  private final long total;
  private final LongSupplier done;
  private final PrintStream out;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private volatile boolean closed;

  private Progress(String what, long total, LongSupplier done, PrintStream out, Duration every) {
    this.what = what;
    this.total = total;
    this.done = done;
    this.out = out;
    this.thread =
        new Thread(
            () -> {
              while (!closed) {
                try {
                  Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                  return;
                }
                if (!closed) {
                  out.println(line(done.getAsLong()));
                }
              }
            },
            "medvqa-progress");
    thread.setDaemon(true);
  }

  /** Starts printing {@code what} every {@code every} until closed. */
  public static Progress start(
      String what, long total, LongSupplier done, PrintStream out, Duration every) {
    Progress p = new Progress(what, total, done, out, every);
    p.thread.start();
    return p;
  }

  /** A progress line for {@code n} records done. */
  public String line(long n) {
    double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    double rate = n / seconds;
    StringBuilder s = new StringBuilder(what).append(": ").append(n);
    if (total > 0) {
      s.append('/').append(total);
      s.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * n / total));
    }
    s.append(String.format(Locale.ROOT, " %.1f/s", rate));
    if (total > 0 && rate > 0 && n < total) {
      s.append(" ETA ").append(clock((long) ((total - n) / rate)));
    }
    s.append(" elapsed ").append(clock((long) seconds));
    return s.toString();
  }

  static String clock(long seconds) {
    return String.format(
        Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  }

  /** Stops the thread and prints the final line. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    out.println(line(done.getAsLong()));
  }
}
