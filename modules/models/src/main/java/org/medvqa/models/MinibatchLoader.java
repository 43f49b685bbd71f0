package org.medvqa.models;

import java.io.IOException;
import java.io.InputStream;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Reads an exported minibatch as {@code MultiDataSet.save} wrote it, with one repair: a null entry
 * in a mask array (an input or output without a mask, next to one with) comes back from ND4J's
 * loader as an empty rank-1 array, which the network then refuses ("Invalid rank: 1"); it is made
 * null again here.
 */
public class MinibatchLoader implements MultiDataSetLoader {
  private static final long serialVersionUID = 1L;

  @Override
  public MultiDataSet load(Source source) throws IOException {
    org.nd4j.linalg.dataset.MultiDataSet mds = new org.nd4j.linalg.dataset.MultiDataSet();
    try (InputStream in = source.getInputStream()) {
      mds.load(in);
    }
    mds.setFeaturesMaskArrays(repair(mds.getFeaturesMaskArrays()));
    mds.setLabelsMaskArray(repair(mds.getLabelsMaskArrays()));
    return mds;
  }

  /** Empty arrays become null; an array of only nulls becomes null. */
  static INDArray[] repair(INDArray[] masks) {
    if (masks == null) {
      return null;
    }
    boolean any = false;
    INDArray[] out = new INDArray[masks.length];
    for (int i = 0; i < masks.length; i++) {
      if (masks[i] != null && !masks[i].isEmpty()) {
        out[i] = masks[i];
        any = true;
      }
    }
    return any ? out : null;
  }
}
