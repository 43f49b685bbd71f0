package org.medvqa.features;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import org.medvqa.core.io.ContentHash;

/**
 * Feature extraction over a stream of images, in batches: what one Spark task does with its
 * partition, as plain Java. Images are read and preprocessed for batch k+1 on a helper thread while
 * the network runs on batch k (when prefetch is on). A bad image becomes a result with the reason
 * instead of features; it never stops the stream.
 */
public final class BatchExtraction implements Iterator<BatchExtraction.Result>, AutoCloseable {
  /**
   * One image to extract: its key, where its bytes are, and the SHA-256 recorded for them (null:
   * not checked). Bytes of another hash are a result with the reason, never features: an image that
   * changed after it was recorded would otherwise be featurised as the recorded one.
   */
  public record Request(String imageId, int variantId, String path, String sha256) {
    /** A request whose bytes are not checked against a recorded hash. */
    public Request(String imageId, int variantId, String path) {
      this(imageId, variantId, path, null);
    }
  }

  /** Features of one image, or why there are none. */
  public record Result(Request request, float[] features, float[] map, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /** Reads the bytes of an image file (through Hadoop on an executor). */
  @FunctionalInterface
  public interface ImageSource {
    byte[] read(String path) throws IOException;
  }

  private record Prepared(List<Request> requests, float[] input, int okCount, String[] problems) {}

  private final Iterator<Request> requests;
  private final FeatureModel model;
  private final ImagePreprocessor preprocessor;
  private final ImageSource source;
  private final LongConsumer done;
  private final int batchSize;
  private final ExecutorService prefetcher;
  private final Deque<Result> ready = new ArrayDeque<>();
  private Future<Prepared> next;
  private volatile long decodeNanos;
  private long networkNanos;

  /**
   * @param model the JVM's loaded model (shared by every run whose settings build the same network)
   * @param run this run's settings: they decide the preprocessing, the thread count and the
   *     prefetch, which the shared model's own settings (those of the run that loaded it) may not
   *     match
   * @param done called with the number of images after each batch (progress counters)
   */
  public BatchExtraction(
      Iterator<Request> requests,
      FeatureModel model,
      FeatureSettings run,
      ImageSource source,
      LongConsumer done) {
    if (!run.modelKey().equals(model.settings().modelKey())) {
      throw new IllegalArgumentException(
          "the run's settings build another network than the loaded model's: "
              + run.modelKey()
              + " against "
              + model.settings().modelKey());
    }
    this.requests = requests;
    this.model = model;
    this.preprocessor = new ImagePreprocessor(run);
    this.source = source;
    this.done = done;
    this.batchSize = run.batchSize();
    this.prefetcher =
        run.prefetch()
            ? Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "medvqa-features-prefetch");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    FeatureModel.applyThreads(run.threads());
    if (prefetcher != null) {
      next = prefetcher.submit(this::prepareNext);
    }
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty()) {
      Prepared p = takeNext();
      if (p.requests().isEmpty()) {
        close();
        return false;
      }
      if (prefetcher != null) {
        next = prefetcher.submit(this::prepareNext);
      }
      runBatch(p);
    }
    return true;
  }

  @Override
  public Result next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  /** Seconds spent reading and preprocessing images, and in the network (for benchmarks). */
  public double[] seconds() {
    return new double[] {decodeNanos / 1e9, networkNanos / 1e9};
  }

  private Prepared takeNext() {
    if (prefetcher == null) {
      return prepareNext();
    }
    try {
      return next.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while preparing images", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("preparing images failed: " + e.getCause(), e.getCause());
    }
  }

  /** Reads and preprocesses the next batch (on the prefetch thread when there is one). */
  private Prepared prepareNext() {
    long start = System.nanoTime();
    List<Request> batch = new ArrayList<>(batchSize);
    synchronized (requests) {
      while (batch.size() < batchSize && requests.hasNext()) {
        batch.add(requests.next());
      }
    }
    int len = preprocessor.imageLength();
    float[] all = new float[batch.size() * len];
    String[] problems = new String[batch.size()];
    int ok = 0;
    for (int i = 0; i < batch.size(); i++) {
      Request r = batch.get(i);
      try {
        byte[] bytes;
        try {
          bytes = source.read(r.path());
        } catch (java.io.FileNotFoundException e) {
          problems[i] = "cannot read " + r.path() + ": " + e.getMessage();
          continue;
        } catch (IOException e) {
          // A missing file is a property of the data (above); any other I/O failure (a lost
          // connection, a throttled read) is not: it fails the task, which Spark retries, so that
          // a transient fault never becomes a rejected image.
          throw new java.io.UncheckedIOException("cannot read image " + r.path(), e);
        }
        String changed = ContentHash.mismatch(r.sha256(), bytes);
        if (changed != null) {
          problems[i] = changed;
          continue;
        }
        preprocessor.prepare(bytes, all, ok);
        ok++;
      } catch (ImagePreprocessor.BadImage e) {
        problems[i] = e.getMessage();
      }
    }
    float[] input = ok == batch.size() ? all : java.util.Arrays.copyOf(all, ok * len);
    decodeNanos += System.nanoTime() - start;
    return new Prepared(batch, input, ok, problems);
  }

  private void runBatch(Prepared p) {
    float[][][] out = new float[0][][];
    if (p.okCount() > 0) {
      long start = System.nanoTime();
      out = model.run(p.input(), p.okCount());
      networkNanos += System.nanoTime() - start;
    }
    int k = 0;
    for (int i = 0; i < p.requests().size(); i++) {
      Request r = p.requests().get(i);
      if (p.problems()[i] != null) {
        ready.add(new Result(r, null, null, p.problems()[i]));
      } else {
        ready.add(new Result(r, out[k][0], out[k][1], null));
        k++;
      }
    }
    done.accept(p.requests().size());
  }

  /** Stops the prefetch thread (also when a task ends early). */
  @Override
  public void close() {
    if (prefetcher != null) {
      prefetcher.shutdownNow();
    }
  }
}
