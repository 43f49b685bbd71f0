package org.medvqa.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.zoo.PretrainedType;
import org.medvqa.core.io.SerializableConf;

/**
 * Loads the feature network once per JVM, lazily, wherever it is used: a Spark task closes over
 * this small serialisable object (settings and the Hadoop configuration), never over a live model.
 * On an executor the first {@link #get()} reads the model file (local, HDFS or s3a) or the DL4J zoo
 * weights, builds the configured graph (NCHW or NHWC, batch norms folded or not) and copies the
 * weights into it by layer name; later calls, from any task of that JVM, reuse it.
 */
public final class ModelLoader implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The models of this JVM, by {@link FeatureSettings#modelKey()}. */
  private static final Map<String, FeatureModel> LOADED = new ConcurrentHashMap<>();

  private static final AtomicInteger LOADS = new AtomicInteger();

  private final FeatureSettings settings;
  private final SerializableConf hadoop;
  private transient volatile FeatureModel model;

  /**
   * @param settings what to load and how to build the graph
   * @param hadoop the Hadoop configuration for reading the model file (null: local files only)
   */
  public ModelLoader(FeatureSettings settings, Configuration hadoop) {
    this.settings = settings;
    this.hadoop = hadoop == null ? null : new SerializableConf(hadoop);
  }

  public FeatureSettings settings() {
    return settings;
  }

  /** The model of this JVM for these settings, loaded on first use. */
  public FeatureModel get() {
    FeatureModel m = model;
    if (m == null) {
      m = LOADED.computeIfAbsent(settings.modelKey(), k -> load());
      model = m;
    }
    return m;
  }

  /** How many models this JVM has loaded (for tests: once per JVM, not once per task). */
  public static int loadsInThisJvm() {
    return LOADS.get();
  }

  private FeatureModel load() {
    LOADS.incrementAndGet();
    WeightSet weights;
    try {
      weights = WeightSet.of(source());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot load the feature model from " + settings.modelFile() + ": " + e.getMessage(), e);
    }
    return FeatureModel.build(settings, weights);
  }

  private ComputationGraph source() throws IOException {
    if (settings.modelSource().equals("zoo")) {
      return (ComputationGraph)
          org.deeplearning4j.zoo.model.ResNet50.builder()
              .build()
              .initPretrained(PretrainedType.IMAGENET);
    }
    Path path = new Path(settings.modelFile());
    Configuration conf = hadoop == null ? new Configuration() : hadoop.get();
    if (!path.getFileSystem(conf).exists(path)) {
      throw new IOException(
          "model file "
              + path
              + " does not exist (make weights writes models/resnet50-keras-imagenet.zip)");
    }
    try (InputStream in = path.getFileSystem(conf).open(path)) {
      return ModelSerializer.restoreComputationGraph(in, false);
    }
  }
}
