package org.medvqa.models;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;

/**
 * The exported minibatch file: features, labels and both masks as {@link ArrayBytes}, after a magic
 * number and a version.
 *
 * <p>Why not {@code MultiDataSet.save}: it writes and reads one value at a time, and reading the
 * minibatches of an epoch that way kept a second core busy beside the training thread.
 */
public final class MinibatchFile {
  private static final int MAGIC = 0x4d565142; // "MVQB"
  private static final int VERSION = 1;
  private static final int BUFFER = 1 << 16;

  private MinibatchFile() {}

  public static void write(org.nd4j.linalg.dataset.api.MultiDataSet mds, OutputStream os)
      throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, BUFFER));
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    for (INDArray[] group :
        new INDArray[][] {
          mds.getFeatures(), mds.getLabels(), mds.getFeaturesMaskArrays(), mds.getLabelsMaskArrays()
        }) {
      out.writeInt(group == null ? -1 : group.length);
      for (INDArray a : group == null ? new INDArray[0] : group) {
        out.writeBoolean(a != null);
        if (a != null) {
          ArrayBytes.write(a, out);
        }
      }
    }
    out.flush();
  }

  /** The minibatch in {@code is}; {@code name} (its path) is in every error. */
  public static MultiDataSet read(InputStream is, String name) throws IOException {
    DataInputStream in = new DataInputStream(new BufferedInputStream(is, BUFFER));
    try {
      if (in.readInt() != MAGIC) {
        throw new IOException(name + ": not a medvqa minibatch file (no MVQB magic number)");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(
            name + ": minibatch file version " + version + ", this build reads " + VERSION);
      }
      INDArray[][] groups = new INDArray[4][];
      for (int g = 0; g < 4; g++) {
        int n = in.readInt();
        if (n < -1 || n > 1024) {
          throw new IOException(name + ": corrupt minibatch file (" + n + " arrays in a group)");
        }
        groups[g] = n < 0 ? null : new INDArray[n];
        for (int i = 0; i < n; i++) {
          groups[g][i] = in.readBoolean() ? ArrayBytes.read(in) : null;
        }
      }
      return new MultiDataSet(groups[0], groups[1], groups[2], groups[3]);
    } catch (EOFException e) {
      throw new IOException(name + ": truncated minibatch file", e);
    }
  }

  /** Reads the files {@link #write} wrote, for dl4j-spark's {@code fitPaths}. */
  public static final class Loader implements MultiDataSetLoader {
    private static final long serialVersionUID = 1L;

    @Override
    public MultiDataSet load(Source source) throws IOException {
      try (InputStream in = source.getInputStream()) {
        return read(in, source.getPath());
      }
    }
  }
}
