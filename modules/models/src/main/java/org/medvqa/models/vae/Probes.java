package org.medvqa.models.vae;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.medvqa.models.text.Vocabulary;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Measurements that tell whether a VAE uses its latent and its inputs, on a trained graph and a few
 * examples (what the collapse diagnosis asked for):
 *
 * <ul>
 *   <li>{@code mu-spread}: the standard deviation of mu across examples, averaged over latent
 *       units, beside {@code sigma}, the mean posterior standard deviation. A spread of 0 means the
 *       encoder gives every example the same latent.
 *   <li>{@code weight-words}, {@code weight-path}, {@code weight-z}: the mean absolute input weight
 *       of the decoder LSTM on the previous word's embedding, the deterministic path and z.
 *   <li>{@code loss-own}: the teacher-forced cross-entropy per real token with each example's own
 *       condition; {@code loss-other}: with the whole condition of another example; {@code
 *       loss-other-z}: with the own deterministic path but another example's z. A decoder that
 *       ignores its input scores the same in all three.
 * </ul>
 */
final class Probes {
  private Probes() {}

  /**
   * The probes' values, in the order above. {@code condition} [n, pathSize + z] is what the decoder
   * reads with z = mu, {@code mu} and {@code logvar} [n, z] the posterior, {@code tokens} the
   * teacher-forcing arrays ({@link Sequences#teacherForcing}); the other example is the next row,
   * cyclically.
   */
  static Map<String, Double> measure(
      ComputationGraph net,
      ComputationGraph decoderOnly,
      INDArray condition,
      INDArray mu,
      INDArray logvar,
      INDArray[] tokens,
      int embedding,
      int pathSize) {
    Map<String, Double> out = new LinkedHashMap<>();
    INDArray m = mu.castTo(DataType.DOUBLE);
    out.put("mu-spread", m.std(0).meanNumber().doubleValue());
    out.put(
        "sigma",
        Transforms.exp(logvar.castTo(DataType.DOUBLE).mul(0.5), false).meanNumber().doubleValue());
    INDArray w =
        Transforms.abs(net.getLayer(VaeGraph.DECODER_LSTM).getParam("W").castTo(DataType.DOUBLE));
    long in = w.size(0);
    out.put("weight-words", block(w, 0, embedding));
    out.put("weight-path", block(w, embedding, embedding + pathSize));
    out.put("weight-z", block(w, embedding + pathSize, in));
    int n = (int) condition.size(0);
    int[] next = new int[n];
    for (int i = 0; i < n; i++) {
      next[i] = (i + 1) % n;
    }
    INDArray c = condition.castTo(DataType.FLOAT);
    INDArray other = c.getRows(next);
    INDArray otherZ = c.dup();
    otherZ
        .get(NDArrayIndex.all(), NDArrayIndex.interval(pathSize, c.size(1)))
        .assign(other.get(NDArrayIndex.all(), NDArrayIndex.interval(pathSize, c.size(1))));
    out.put("loss-own", tokenLoss(decoderOnly, c, tokens));
    out.put("loss-other", tokenLoss(decoderOnly, other, tokens));
    out.put("loss-other-z", tokenLoss(decoderOnly, otherZ, tokens));
    return out;
  }

  private static double block(INDArray absWeights, long from, long to) {
    return from >= to
        ? Double.NaN
        : absWeights
            .get(NDArrayIndex.interval(from, to), NDArrayIndex.all())
            .meanNumber()
            .doubleValue();
  }

  /**
   * Teacher-forced cross-entropy per real token ({@code <pad>} targets left out) of the
   * decoder-only graph given each row's {@code condition}.
   */
  static double tokenLoss(ComputationGraph decoderOnly, INDArray condition, INDArray[] tokens) {
    Decoding.GraphStepper s = new Decoding.GraphStepper(decoderOnly, condition);
    int n = (int) condition.size(0);
    int steps = (int) tokens[0].size(2);
    double total = 0;
    long count = 0;
    for (int t = 0; t < steps; t++) {
      int[] previous = new int[n];
      for (int i = 0; i < n; i++) {
        previous[i] = tokens[0].getInt(i, 0, t);
      }
      double[][] lp = s.step(previous);
      for (int i = 0; i < n; i++) {
        int target = tokens[1].getInt(i, 0, t);
        if (target != Vocabulary.PAD_ID) {
          total -= lp[i][target];
          count++;
        }
      }
    }
    return count == 0 ? Double.NaN : total / count;
  }

  /** The probes as one line of text, for logs. */
  static String format(Map<String, Double> probes) {
    List<String> parts = new ArrayList<>();
    probes.forEach((k, v) -> parts.add(String.format(java.util.Locale.ROOT, "%s %.4f", k, v)));
    return String.join(", ", parts);
  }
}
