package org.medvqa.models.vae;

import java.util.List;
import java.util.Random;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Examples as arrays: image features, encoder word ids, decoder inputs and targets, noise. */
final class Sequences {
  private Sequences() {}

  /** Word ids [n, length] and mask [n, length], at least one step so empty text works. */
  static INDArray[] encoder(List<List<String>> texts, Vocabulary words, int length) {
    int n = texts.size();
    float[] ids = new float[n * length];
    float[] mask = new float[n * length];
    for (int i = 0; i < n; i++) {
      int[] enc = words.encode(texts.get(i), length);
      int len = Math.max(1, Math.min(texts.get(i).size(), length));
      for (int j = 0; j < length; j++) {
        ids[i * length + j] = enc[j];
        mask[i * length + j] = j < len ? 1f : 0f;
      }
    }
    long[] shape = {n, length};
    return new INDArray[] {
      Nd4j.create(ids, shape, DataType.FLOAT), Nd4j.create(mask, shape, DataType.FLOAT)
    };
  }

  /**
   * Teacher forcing over at most {@code length} steps: inputs {@code <s> w1 .. wk} [n, 1, length],
   * targets {@code w1 .. wk </s>} [n, 1, length] (ids, for sparse cross-entropy) and the mask [n,
   * length]. A text of {@code length} words or more is cut and has no {@code </s>}.
   */
  static INDArray[] teacherForcing(List<List<String>> texts, Vocabulary words, int length) {
    int n = texts.size();
    float[] in = new float[n * length];
    float[] out = new float[n * length];
    float[] mask = new float[n * length];
    for (int i = 0; i < n; i++) {
      List<String> t = texts.get(i);
      int steps = Math.min(t.size() + 1, length);
      for (int j = 0; j < steps; j++) {
        in[i * length + j] = j == 0 ? Vocabulary.START_ID : words.id(t.get(j - 1));
        out[i * length + j] = j < t.size() ? words.id(t.get(j)) : Vocabulary.END_ID;
        mask[i * length + j] = 1f;
      }
    }
    long[] shape = {n, 1, length};
    return new INDArray[] {
      Nd4j.create(in, shape, DataType.FLOAT),
      Nd4j.create(out, shape, DataType.FLOAT),
      Nd4j.create(mask, new long[] {n, length}, DataType.FLOAT)
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
