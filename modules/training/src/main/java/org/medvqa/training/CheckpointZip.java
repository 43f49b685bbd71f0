package org.medvqa.training;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.io.output.CloseShieldOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes a graph with its updater state as {@link ModelSerializer#writeModel} does (the same zip
 * entries, each written by ND4J as there), without compressing them; {@link
 * ModelSerializer#restoreComputationGraph} reads it back.
 *
 * <p>Why: the trainer writes a checkpoint after every epoch and the best epoch's network beside it.
 * ModelSerializer deflates at the default level, which on float parameters and Adam state saves a
 * tenth of the bytes at about 25 MB/s: 1.43 s per write of the 2019 {@code vqa-best} network (3.4
 * million parameters, twice as many Adam values; 36.3 MB), against 0.17 s here (40.3 MB). Deflate's
 * fastest level saved only a sixth of that time.
 */
final class CheckpointZip {
  // ModelSerializer's entry names (DL4J 1.0.0-M2.1; the test reads the result with it).
  static final String CONFIGURATION = "configuration.json";
  static final String COEFFICIENTS = "coefficients.bin";
  static final String UPDATER = "updaterState.bin";
  static final String NO_PARAMS = "noParams.marker";

  private CheckpointZip() {}

  /** Writes {@code net}, its parameters and its updater state, to {@code out} (left open). */
  static void write(ComputationGraph net, OutputStream out) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(new CloseShieldOutputStream(out))) {
      zip.setLevel(Deflater.NO_COMPRESSION);
      zip.putNextEntry(new ZipEntry(CONFIGURATION));
      zip.write(net.getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
      DataOutputStream data = new DataOutputStream(new BufferedOutputStream(zip, 1 << 20));
      INDArray params = net.params();
      if (params != null) {
        zip.putNextEntry(new ZipEntry(COEFFICIENTS));
        Nd4j.write(params, data);
        data.flush();
      } else {
        zip.putNextEntry(new ZipEntry(NO_PARAMS));
      }
      INDArray state = net.getUpdater().getStateViewArray();
      if (state != null && state.length() > 0) {
        zip.putNextEntry(new ZipEntry(UPDATER));
        Nd4j.write(state, data);
        data.flush();
      }
    }
  }
}
