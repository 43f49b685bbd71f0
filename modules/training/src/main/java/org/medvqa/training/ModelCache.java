package org.medvqa.training;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.io.SerializableConf;
import org.medvqa.models.TrainedModel;

/**
 * Loads a trained model once per JVM, lazily, wherever prediction runs: a Spark task closes over
 * this small serialisable object (the folder and the Hadoop configuration), never over a live
 * model. On an executor the first {@link #get} reads the folder; later tasks of that JVM reuse it,
 * each thread with its own copy of the graph over the same parameters ({@link
 * TrainedModel#forAnotherThread}). Each prediction run has its own key, so a folder rewritten
 * between two runs is read again; the JVM keeps the last two models.
 */
final class ModelCache implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int KEEP = 2;

  /** The models of this JVM by key, the least recently used first. */
  private static final Map<String, Loaded> LOADED =
      new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Loaded> eldest) {
          return size() > KEEP;
        }
      };

  private final String key;
  private final String dir;
  private final SerializableConf hadoop;

  /** A model read from its folder, and each thread's copy. */
  private static final class Loaded {
    final TrainedModel shared;
    final ThreadLocal<TrainedModel> perThread;

    Loaded(TrainedModel shared) {
      this.shared = shared;
      this.perThread = ThreadLocal.withInitial(shared::forAnotherThread);
    }
  }

  /**
   * A cache entry for the model {@code model} that the driver read from {@code dir}: tasks in the
   * driver's JVM (local mode) use it without reading the folder again.
   */
  ModelCache(Path dir, HadoopFiles files, TrainedModel model) {
    this.key = dir + "#" + UUID.randomUUID();
    this.dir = dir.toString();
    this.hadoop = new SerializableConf(files.conf());
    synchronized (LOADED) {
      LOADED.put(key, new Loaded(model));
    }
  }

  /** Drops this JVM's copy (the driver's, once prediction is done). */
  void release() {
    synchronized (LOADED) {
      LOADED.remove(key);
    }
  }

  /** This thread's copy of the model, read from the folder on this JVM's first use. */
  TrainedModel get() {
    Loaded loaded;
    synchronized (LOADED) {
      loaded = LOADED.get(key);
      if (loaded == null) {
        loaded = new Loaded(read());
        LOADED.put(key, loaded);
      }
    }
    return loaded.perThread.get();
  }

  private TrainedModel read() {
    try {
      return TrainedModel.read(new HadoopFiles(hadoop.get()), new Path(dir));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the model " + dir + ": " + e.getMessage(), e);
    }
  }
}
