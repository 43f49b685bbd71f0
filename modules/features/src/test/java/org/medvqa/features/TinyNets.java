package org.medvqa.features;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small ResNet50-shaped networks for the unit tests: the same layer names, 1/16 of the widths. */
final class TinyNets {
  static final int SIZE = 64;
  static final int DIVISOR = 16;

  private TinyNets() {}

  static ResNet50.Builder builder() {
    return ResNet50.builder().optImageSize(SIZE).optWidthDivisor(DIVISOR).optBlocks(1, 2, 1, 1);
  }

  /** A random network whose batch norms have non-trivial statistics (so folding is tested). */
  static ComputationGraph randomWithStatistics(long seed) {
    ComputationGraph g = builder().optSeed(seed).build().init();
    Nd4j.getRandom().setSeed(seed);
    for (Layer l : g.getLayers()) {
      if (l.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization) {
        long n = l.getParam(WeightSet.GAMMA).length();
        l.getParam(WeightSet.GAMMA).assign(Nd4j.rand(DataType.FLOAT, n).addi(0.5));
        l.getParam(WeightSet.BETA).assign(Nd4j.rand(DataType.FLOAT, n).subi(0.5));
        l.getParam(WeightSet.MEAN).assign(Nd4j.rand(DataType.FLOAT, n).subi(0.5));
        l.getParam(WeightSet.VAR).assign(Nd4j.rand(DataType.FLOAT, n).addi(0.5));
      }
    }
    return g;
  }

  /** Saves a random tiny network as a model file, as make weights saves the real one. */
  static Path modelFile(Path dir, long seed) throws IOException {
    Path f = dir.resolve("tiny-" + seed + ".zip");
    ModelSerializer.writeModel(randomWithStatistics(seed), new File(f.toString()), false);
    return f;
  }

  static INDArray input(int n, CNN2DFormat format, long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray nchw = Nd4j.rand(DataType.FLOAT, n, 3, SIZE, SIZE).muli(255).subi(120);
    return format == CNN2DFormat.NCHW ? nchw : nchw.permute(0, 2, 3, 1).dup('c');
  }

  static FeatureSettings settings(String modelFile, boolean nhwc, boolean fold, boolean map) {
    return settings(modelFile, nhwc, fold, map, "dl4j");
  }

  static FeatureSettings settings(
      String modelFile, boolean nhwc, boolean fold, boolean map, String engine) {
    return settings(modelFile, "stretch", "caffe", map, 3, nhwc, fold, true, engine);
  }

  /** Settings for the tiny network at {@link #SIZE} pixels, one thread per task. */
  static FeatureSettings settings(
      String modelFile,
      String resize,
      String preprocessing,
      boolean map,
      int batch,
      boolean nhwc,
      boolean fold,
      boolean prefetch,
      String engine) {
    return new FeatureSettings(
        "file",
        modelFile,
        SIZE,
        resize,
        preprocessing,
        20000,
        map,
        batch,
        nhwc,
        fold,
        1,
        prefetch,
        engine);
  }
}
