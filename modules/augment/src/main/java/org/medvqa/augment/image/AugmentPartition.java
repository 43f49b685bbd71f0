package org.medvqa.augment.image;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.medvqa.core.ImageIds;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.SerializableConf;

/**
 * The executors' work on one partition of images: for each image row (image_id, path, paths,
 * questions, answers, recorded SHA-256) the {@link ImageAugmentStage#VARIANT_SCHEMA} rows (variant
 * 0 first, the original as it is), or one row with the problem. Each image is read through the
 * Hadoop file system, decoded once, and its variants drawn, transformed, encoded and written into
 * {@code tmpImages}; the rows name the files as they will be at {@code outImages}. Lazy: one
 * image's variants are in memory at a time.
 */
public final class AugmentPartition implements FlatMapFunction<Iterator<Row>, Row> {
  private static final long serialVersionUID = 1L;

  private final ImageAugmentSettings settings;
  private final SerializableConf conf;
  private final String tmpImages;
  private final String outImages;
  private final LongAccumulator done;

  /**
   * @param tmpImages where the variant files are written (the stage's temporary folder)
   * @param outImages where they are after the commit (what the rows name)
   * @param done counts the images handled, for progress lines
   */
  public AugmentPartition(
      ImageAugmentSettings settings,
      SerializableConf conf,
      String tmpImages,
      String outImages,
      LongAccumulator done) {
    this.settings = settings;
    this.conf = conf;
    this.tmpImages = tmpImages;
    this.outImages = outImages;
    this.done = done;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    ImageAugmenter augmenter = new ImageAugmenter(settings);
    List<Row> buffer = new ArrayList<>();
    return new Iterator<>() {
      private int at;
      private boolean closed;

      @Override
      public boolean hasNext() {
        while (at >= buffer.size() && rows.hasNext()) {
          buffer.clear();
          at = 0;
          expand(rows.next());
        }
        if (at >= buffer.size() && !closed) {
          augmenter.close();
          closed = true;
        }
        return at < buffer.size();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return buffer.get(at++);
      }

      private void expand(Row r) {
        try {
          augmentOne(r, augmenter, buffer);
        } catch (IOException e) {
          // Writing failed: a task failure (Spark retries it), not a property of the image.
          throw new UncheckedIOException("cannot write variants of " + r.getString(0), e);
        }
        done.add(1);
      }
    };
  }

  private void augmentOne(Row r, ImageAugmenter augmenter, List<Row> out) throws IOException {
    String id = r.getString(0);
    String path = r.getString(1);
    String problem = unusable(id, path, r.getLong(2));
    if (problem != null) {
      out.add(problem(id, problem));
      return;
    }
    byte[] bytes = read(path);
    if (bytes == null) {
      out.add(problem(id, "missing image file " + path));
      return;
    }
    // (Rows without the sixth field, from callers of the library, are not checked.)
    String changed = ContentHash.mismatch(r.size() > 5 ? r.getString(5) : null, bytes);
    if (changed != null) {
      out.add(problem(id, changed));
      return;
    }
    ImageAugmenter.Source src = augmenter.decode(bytes);
    if (!src.ok()) {
      out.add(problem(id, src.problem()));
      return;
    }
    boolean flips = augmenter.flipsAllowed(r.getList(3), r.getList(4));
    ByteImage px = src.pixels();
    out.add(
        RowFactory.create(
            id,
            0,
            id,
            path,
            px.width(),
            px.height(),
            px.channels(),
            0L,
            null,
            0,
            0,
            0.0,
            false,
            false,
            0.0,
            flips,
            src.kind(),
            null));
    writeVariants(id, src, flips, augmenter, out);
  }

  /** Why an image row cannot be used before its file is read, or null. */
  private static String unusable(String id, String path, long paths) {
    String idProblem = ImageIds.problem(id);
    if (idProblem != null) {
      return idProblem;
    }
    if (path == null || path.isBlank()) {
      return "no image path (was ingest run with image-check = none?)";
    }
    if (paths > 1) {
      return "the image id names " + paths + " different image files";
    }
    return null;
  }

  /** The file's bytes, or null when it does not exist. */
  private byte[] read(String path) {
    Path p = new Path(path);
    try (InputStream in = p.getFileSystem(conf.get()).open(p)) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      // Like a failed write: an I/O failure is not a property of the image, so it fails the task
      // (Spark retries it) rather than dropping the image's rows for a transient fault.
      throw new UncheckedIOException("cannot read image " + path, e);
    }
  }

  private void writeVariants(
      String id, ImageAugmenter.Source src, boolean flips, ImageAugmenter augmenter, List<Row> out)
      throws IOException {
    String shard = shard(id, settings.shards());
    Path tmpDir = shard.isEmpty() ? new Path(tmpImages) : new Path(tmpImages, shard);
    String outDir = shard.isEmpty() ? outImages : outImages + "/" + shard;
    // Local folders are written with java.nio: Hadoop's local file system runs a "chmod" process
    // for every file it creates when its native library is absent, which costs more than the
    // image itself. Other file systems (hdfs, s3a) go through Hadoop.
    boolean local = "file".equals(tmpDir.toUri().getScheme());
    FileSystem fs = local ? null : tmpDir.getFileSystem(conf.get());
    if (local) {
      Files.createDirectories(Paths.get(tmpDir.toUri()));
    }
    for (int k = 1; k <= settings.variants(); k++) {
      ImageAugmenter.Variant v = augmenter.render(src.pixels(), id, k, flips);
      String name = id + "-v" + k;
      String file = name + "." + settings.format().extension();
      // Overwrite: a retried task writes the same bytes to the same file.
      Path target = new Path(tmpDir, file);
      if (local) {
        Files.write(Paths.get(target.toUri()), v.bytes());
      } else {
        try (OutputStream o = fs.create(target, true)) {
          o.write(v.bytes());
        }
      }
      out.add(variantRow(id, k, name, outDir + "/" + file, v, flips, src.kind()));
    }
  }

  private static Row variantRow(
      String id,
      int k,
      String name,
      String path,
      ImageAugmenter.Variant v,
      boolean flips,
      String kind) {
    return RowFactory.create(
        id,
        k,
        name,
        path,
        v.width(),
        v.height(),
        v.channels(),
        (long) v.bytes().length,
        ContentHash.sha256Hex(v.bytes()),
        v.shiftX(),
        v.shiftY(),
        v.transform().rotation(),
        v.transform().flipHorizontal(),
        v.transform().flipVertical(),
        v.transform().blurSigma(),
        flips,
        kind,
        null);
  }

  private static Row problem(String id, String problem) {
    return RowFactory.create(
        id, 0, null, null, null, null, null, 0L, null, 0, 0, 0.0, false, false, 0.0, null, null,
        problem);
  }

  /** The sub-folder of an image's variants: hex digits of a hash of its id; "" for one shard. */
  static String shard(String id, int shards) {
    if (shards <= 1) {
      return "";
    }
    int digits = Math.max(1, (Integer.toHexString(shards - 1).length()));
    int n = (int) Math.floorMod(TransformSampler.hash(id), (long) shards);
    String hex = Integer.toHexString(n);
    return "0".repeat(digits - hex.length()) + hex;
  }
}
