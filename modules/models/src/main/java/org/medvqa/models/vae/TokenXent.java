package org.medvqa.models.vae;

import org.medvqa.models.text.Vocabulary;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossSparseMCXENT;

/**
 * Sparse cross-entropy over the real tokens of a sequence only: a step whose label is {@link
 * Vocabulary#PAD_ID} (the steps after a text's {@code </s>}) adds nothing to the score or the
 * gradient. The mask is read from the labels themselves instead of a label mask array, because
 * label masks are what DL4J's minibatch merging and Spark training mishandled (see the training
 * module's README). RnnOutputLayer hands the loss one row per (example, step), so the score summed
 * by DL4J and divided by the minibatch size is the sum of the real tokens' cross-entropy per
 * example.
 */
public final class TokenXent implements ILossFunction {
  private static final long serialVersionUID = 1L;

  private final LossSparseMCXENT xent = new LossSparseMCXENT();

  /** 1 for rows whose label is a real token, 0 for padding, [rows, 1]. */
  private static INDArray realTokens(INDArray labels, INDArray mask) {
    INDArray real = labels.neq(Vocabulary.PAD_ID).castTo(labels.dataType());
    real = real.reshape(real.size(0), 1);
    if (mask != null) {
      real.muli(mask.reshape(mask.size(0), 1).castTo(real.dataType()));
    }
    return real;
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    return xent.computeScoreArray(labels, preOutput, activationFn, null)
        .reshape(labels.size(0), 1)
        .muli(realTokens(labels, mask));
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? sum / labels.size(0) : sum;
  }

  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    return xent.computeGradient(labels, preOutput, activationFn, null)
        .muliColumnVector(realTokens(labels, mask));
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return new Pair<>(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenXent;
  }

  @Override
  public int hashCode() {
    return TokenXent.class.hashCode();
  }

  @Override
  public String toString() {
    return "TokenXent()";
  }
}
