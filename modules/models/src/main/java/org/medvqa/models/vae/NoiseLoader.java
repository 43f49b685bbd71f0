package org.medvqa.models.vae;

import java.io.IOException;
import java.io.InputStream;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.medvqa.models.MinibatchFile;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads an exported minibatch as written and replaces its noise input with fresh standard normal
 * values, so a minibatch file fitted in several epochs gets new eps every time (the noise written
 * into the file would otherwise be replayed).
 */
public final class NoiseLoader implements MultiDataSetLoader {
  private static final long serialVersionUID = 1L;

  private final int noiseInput;

  /** {@code noiseInput} is the index of the eps input among the graph's inputs. */
  public NoiseLoader(int noiseInput) {
    if (noiseInput < 0) {
      throw new IllegalArgumentException("noise input index must be >= 0, got " + noiseInput);
    }
    this.noiseInput = noiseInput;
  }

  public int noiseInput() {
    return noiseInput;
  }

  @Override
  public org.nd4j.linalg.dataset.api.MultiDataSet load(Source source) throws IOException {
    MultiDataSet mds;
    try (InputStream in = source.getInputStream()) {
      mds = MinibatchFile.read(in, source.getPath());
    }
    INDArray[] features = mds.getFeatures();
    if (features == null || features.length <= noiseInput) {
      throw new IOException(
          source.getPath()
              + ": expected at least "
              + (noiseInput + 1)
              + " inputs, the noise being input "
              + noiseInput);
    }
    INDArray old = features[noiseInput];
    features[noiseInput] = Nd4j.randn(old.dataType(), old.shape());
    mds.setFeatures(features);
    return mds;
  }
}
