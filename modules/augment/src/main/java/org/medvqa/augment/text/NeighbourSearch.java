package org.medvqa.augment.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Exact nearest neighbours by cosine similarity for a batch of words at once: one matrix product of
 * the (few thousand) query rows against the whole vocabulary, computed block by block over the
 * vocabulary on several threads, each block transposed so that the inner loop is a vectorisable
 * multiply-add over contiguous memory, with a bounded heap per query. Ties are broken by the lower
 * row index, so the result does not depend on the number of threads.
 */
public final class NeighbourSearch {
  /** Vocabulary rows per block: 512 rows of 100 floats stay in the L2 cache. */
  static final int BLOCK = 512;

  /** One neighbour: its row in the vocabulary and its cosine similarity to the query. */
  public record Hit(int index, float similarity) {}

  private NeighbourSearch() {}

  /**
   * The {@code k} rows most similar to each query row, best first, the query itself excluded.
   *
   * @param queries row indices into {@code v}
   * @param threads worker threads; 0 or less for every core
   * @return one array per query, of length at most {@code k}
   */
  public static Hit[][] nearest(WordVectors v, int[] queries, int k, int threads) {
    int m = queries.length;
    if (m == 0 || k <= 0 || v.size() == 0) {
      Hit[][] none = new Hit[m][];
      Arrays.fill(none, new Hit[0]);
      return none;
    }
    int n = v.size();
    int blocks = (n + BLOCK - 1) / BLOCK;
    int workers = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    workers = Math.max(1, Math.min(workers, blocks));
    AtomicInteger next = new AtomicInteger();
    List<TopK[]> partial = new ArrayList<>();
    if (workers == 1) {
      partial.add(work(v, queries, k, next, blocks));
    } else {
      ExecutorService pool =
          Executors.newFixedThreadPool(
              workers,
              r -> {
                Thread t = new Thread(r, "medvqa-neighbour-search");
                t.setDaemon(true);
                return t;
              });
      try {
        List<Future<TopK[]>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
          futures.add(pool.submit(() -> work(v, queries, k, next, blocks)));
        }
        for (Future<TopK[]> f : futures) {
          partial.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("neighbour search interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("neighbour search failed: " + e.getCause(), e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    Hit[][] out = new Hit[m][];
    for (int i = 0; i < m; i++) {
      TopK merged = new TopK(k);
      for (TopK[] p : partial) {
        p[i].drainInto(merged);
      }
      out[i] = merged.sorted();
    }
    return out;
  }

  /** One worker: takes blocks until none is left, keeping its own top k per query. */
  private static TopK[] work(WordVectors v, int[] queries, int k, AtomicInteger next, int blocks) {
    int d = v.dim();
    int n = v.size();
    int m = queries.length;
    float[] rows = v.rows();
    float[] q = new float[m * d];
    for (int i = 0; i < m; i++) {
      System.arraycopy(rows, queries[i] * d, q, i * d, d);
    }
    TopK[] heaps = new TopK[m];
    for (int i = 0; i < m; i++) {
      heaps[i] = new TopK(k);
    }
    float[] bt = new float[d * BLOCK];
    float[] acc = new float[4 * BLOCK];
    int b;
    while ((b = next.getAndIncrement()) < blocks) {
      int start = b * BLOCK;
      int len = Math.min(BLOCK, n - start);
      // Transpose the block: bt[kk][j] = rows[start + j][kk].
      for (int j = 0; j < len; j++) {
        int src = (start + j) * d;
        for (int kk = 0; kk < d; kk++) {
          bt[kk * BLOCK + j] = rows[src + kk];
        }
      }
      // Four queries at a time share each load of the block: acc[t][j] += q[i+t][kk] * bt[kk][j].
      for (int i = 0; i < m; i += 4) {
        int t = Math.min(4, m - i);
        Arrays.fill(acc, 0f);
        if (t == 4) {
          multiplyFour(q, i * d, d, bt, len, acc);
        } else {
          for (int u = 0; u < t; u++) {
            multiplyOne(q, (i + u) * d, d, bt, len, acc, u * BLOCK);
          }
        }
        for (int u = 0; u < t; u++) {
          TopK h = heaps[i + u];
          int self = queries[i + u];
          int off = u * BLOCK;
          for (int j = 0; j < len; j++) {
            int idx = start + j;
            if (h.accepts(acc[off + j], idx) && idx != self) {
              h.offer(acc[off + j], idx);
            }
          }
        }
      }
    }
    return heaps;
  }

  private static void multiplyOne(
      float[] q, int qo, int d, float[] bt, int len, float[] acc, int off) {
    for (int kk = 0; kk < d; kk++) {
      float a = q[qo + kk];
      int base = kk * BLOCK;
      for (int j = 0; j < len; j++) {
        acc[off + j] += a * bt[base + j];
      }
    }
  }

  private static void multiplyFour(float[] q, int qo, int d, float[] bt, int len, float[] acc) {
    for (int kk = 0; kk < d; kk++) {
      float a0 = q[qo + kk];
      float a1 = q[qo + d + kk];
      float a2 = q[qo + 2 * d + kk];
      float a3 = q[qo + 3 * d + kk];
      int base = kk * BLOCK;
      for (int j = 0; j < len; j++) {
        float x = bt[base + j];
        acc[j] += a0 * x;
        acc[BLOCK + j] += a1 * x;
        acc[2 * BLOCK + j] += a2 * x;
        acc[3 * BLOCK + j] += a3 * x;
      }
    }
  }

  /**
   * The k best (similarity, index) pairs seen: a min-heap whose root is the worst kept. "Better" is
   * a higher similarity, then a lower index, a total order that makes the result unique.
   */
  static final class TopK {
    private final int k;
    private final float[] score;
    private final int[] index;
    private int size;

    TopK(int k) {
      this.k = k;
      this.score = new float[k];
      this.index = new int[k];
    }

    /** a is worse than b. */
    private static boolean worse(float sa, int ia, float sb, int ib) {
      return sa < sb || (sa == sb && ia > ib);
    }

    boolean accepts(float s, int idx) {
      return size < k || worse(score[0], index[0], s, idx);
    }

    void offer(float s, int idx) {
      if (size < k) {
        int c = size++;
        score[c] = s;
        index[c] = idx;
        while (c > 0) {
          int parent = (c - 1) / 2;
          if (!worse(score[c], index[c], score[parent], index[parent])) {
            break;
          }
          swap(c, parent);
          c = parent;
        }
      } else if (worse(score[0], index[0], s, idx)) {
        score[0] = s;
        index[0] = idx;
        int c = 0;
        while (true) {
          int l = 2 * c + 1;
          int r = l + 1;
          int w = c;
          if (l < size && worse(score[l], index[l], score[w], index[w])) {
            w = l;
          }
          if (r < size && worse(score[r], index[r], score[w], index[w])) {
            w = r;
          }
          if (w == c) {
            break;
          }
          swap(c, w);
          c = w;
        }
      }
    }

    private void swap(int a, int b) {
      float s = score[a];
      score[a] = score[b];
      score[b] = s;
      int i = index[a];
      index[a] = index[b];
      index[b] = i;
    }

    void drainInto(TopK other) {
      for (int i = 0; i < size; i++) {
        if (other.accepts(score[i], index[i])) {
          other.offer(score[i], index[i]);
        }
      }
    }

    /** The kept pairs, best first. */
    Hit[] sorted() {
      Hit[] out = new Hit[size];
      for (int i = 0; i < size; i++) {
        out[i] = new Hit(index[i], score[i]);
      }
      Arrays.sort(
          out,
          (a, b) ->
              a.similarity() != b.similarity()
                  ? Float.compare(b.similarity(), a.similarity())
                  : Integer.compare(a.index(), b.index()));
      return out;
    }
  }
}
