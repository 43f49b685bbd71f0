package org.medvqa.models.vae;

import java.util.List;
import java.util.Random;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Examples as arrays: decoder inputs and targets, noise, dummy labels. */
final class Sequences {
  private Sequences() {}

  /**
   * Teacher forcing over {@code length} steps, without mask arrays: targets {@code w1 .. wk </s>
   * <pad> ..} [n, 1, length] (ids, for sparse cross-entropy) and inputs, the previous target at
   * each step {@code <s> w1 .. wk </s> <pad> ..} [n, 1, length]. A text of {@code length} words or
   * more is cut and has no {@code </s>}.
   *
   * <p>The steps after the end carry {@code <pad>} targets, which {@link TokenXent} leaves out of
   * the loss: the mask travels inside the labels, because label mask arrays are what DL4J's
   * minibatch merging and Spark training mishandled (see the training module's README).
   */
  static INDArray[] teacherForcing(List<List<String>> texts, Vocabulary words, int length) {
    int n = texts.size();
    float[] in = new float[n * length];
    float[] out = new float[n * length];
    for (int i = 0; i < n; i++) {
      List<String> t = texts.get(i);
      for (int j = 0; j < length; j++) {
        out[i * length + j] =
            j < t.size()
                ? words.id(t.get(j))
                : j == t.size() ? Vocabulary.END_ID : Vocabulary.PAD_ID;
        in[i * length + j] = j == 0 ? Vocabulary.START_ID : out[i * length + j - 1];
      }
    }
    long[] shape = {n, 1, length};
    return new INDArray[] {
      Nd4j.create(in, shape, DataType.FLOAT), Nd4j.create(out, shape, DataType.FLOAT)
    };
  }

  /** Standard normal [n, z] from {@code random}, for reproducible noise. */
  static INDArray noise(int n, int z, Random random) {
    float[] e = new float[n * z];
    for (int i = 0; i < e.length; i++) {
      e[i] = (float) random.nextGaussian();
    }
    return Nd4j.create(e, new long[] {n, z}, DataType.FLOAT);
  }

  /** The dummy labels of a label-free loss output: one value per example, never read. */
  static INDArray dummy(int n) {
    return Nd4j.zeros(DataType.FLOAT, n, 1);
  }
}
