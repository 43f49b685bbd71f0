package org.medvqa.training;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.models.Example;
import org.medvqa.models.MinibatchFile;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import scala.Tuple2;

/**
 * Writes the training examples once as serialised minibatch files ({@code MultiDataSet.save}), so
 * that every epoch reads files ({@code fitPaths}) instead of recomputing the examples' joins and
 * features: on a cluster that is the difference between one pass over the inputs and one per epoch.
 *
 * <p>The examples are put in a seeded random order first (a hash of seed and sample id, so the
 * export is the same on a rerun) and cut into minibatches of exactly {@code batchSize}: the last
 * one is filled up with the first examples of the order, which an epoch therefore sees twice. DL4J
 * merges and splits minibatches of other sizes on the workers, and that merging breaks inputs
 * without masks next to inputs with masks ("Invalid rank: 1"). Files go to {@code
 * dir/batch-NNNNNNN.bin}; {@code dir/_paths.txt}, written last, lists them and marks the export
 * complete, so a resumed run reuses it.
 */
public final class MinibatchExport {
  static final String LIST = "_paths.txt";

  /** Paths of the minibatch files and the number of examples in them. */
  public record Batches(List<String> paths, long examples) {}

  private MinibatchExport() {}

  /** Reads a complete earlier export of {@code dir}, or returns null. */
  public static Batches existing(HadoopFiles files, Path dir) throws IOException {
    Path list = new Path(dir, LIST);
    if (!files.exists(list)) {
      return null;
    }
    String[] lines = new String(files.readAll(list), StandardCharsets.UTF_8).split("\n");
    long examples = Long.parseLong(lines[0].trim());
    List<String> paths = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      if (!lines[i].isBlank()) {
        paths.add(lines[i].trim());
      }
    }
    return new Batches(paths, examples);
  }

  public static Batches export(
      JavaRDD<Example> examples,
      VqaModel model,
      int batchSize,
      long seed,
      HadoopFiles files,
      Path dir,
      int partitions)
      throws IOException {
    files.deleteQuietly(dir);
    String base = HadoopFiles.uri(files.qualify(dir.toString()));
    SerializableConf conf = new SerializableConf(files.conf());
    long n0 = examples.count();
    long last = (n0 - 1) / batchSize;
    long fill = n0 % batchSize == 0 ? 0 : batchSize - n0 % batchSize;
    // Position in the seeded shuffle -> minibatch number; the first `fill` examples also go to the
    // last minibatch.
    List<Tuple2<String, Integer>> written =
        examples
            .mapToPair(e -> new Tuple2<>(order(seed, e.sampleId()), e))
            .sortByKey(true, partitions)
            .values()
            .zipWithIndex()
            .flatMapToPair(
                t -> {
                  List<Tuple2<Long, Example>> out = new ArrayList<>(2);
                  out.add(new Tuple2<>(t._2() / batchSize, t._1()));
                  if (t._2() < fill) {
                    out.add(new Tuple2<>(last, t._1()));
                  }
                  return out.iterator();
                })
            .groupByKey(partitions)
            .map(
                b -> {
                  List<Example> batch = new ArrayList<>(batchSize);
                  b._2().forEach(batch::add);
                  batch.sort(Comparator.comparingLong(e -> order(seed, e.sampleId())));
                  return write(b._1(), batch, model, base, conf);
                })
            .collect();
    List<String> paths = new ArrayList<>();
    long n = 0;
    StringBuilder list = new StringBuilder();
    for (Tuple2<String, Integer> w : written) {
      paths.add(w._1());
      n += w._2();
    }
    n -= fill;
    paths.sort(Comparator.naturalOrder());
    list.append(n).append('\n');
    paths.forEach(p -> list.append(p).append('\n'));
    files.write(new Path(dir, LIST), list.toString());
    return new Batches(paths, n);
  }

  /** A stable pseudo-random position for an example (FNV-1a of seed and id, then mixed). */
  static long order(long seed, String id) {
    long h = 0xcbf29ce484222325L ^ seed;
    for (int i = 0; i < id.length(); i++) {
      h ^= id.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }

  private static Tuple2<String, Integer> write(
      long number, List<Example> batch, VqaModel model, String base, SerializableConf conf)
      throws IOException {
    Path p = new Path(base, String.format("batch-%07d.bin", number));
    MultiDataSet mds = model.batch(batch);
    FileSystem fs = p.getFileSystem(conf.get());
    try (OutputStream os = fs.create(p, true)) {
      MinibatchFile.write(mds, os);
    }
    return new Tuple2<>(p.toString(), batch.size());
  }
}
