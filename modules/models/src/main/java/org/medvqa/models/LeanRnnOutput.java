package org.medvqa.models;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@link RnnOutputLayer} (same settings, parameters, JSON and results) that computes its
 * pre-activation once per training step instead of twice.
 *
 * <p>Why: a ComputationGraph's training step runs an output layer's backprop, which computes its
 * pre-activation (hidden x vocabulary for the VAE's decoder, the largest product of the graph), and
 * then its score, which computes the same pre-activation again from the same input and weights (the
 * update comes after both). Here backprop keeps a copy ({@link KeptPreOutput}) that the score takes
 * when it reads the same input array. Dropout on the layer's input and weight noise run DL4J's code
 * as it is.
 *
 * <p>Build it from an output layer built the usual way: {@code LeanRnnOutput.of(new
 * RnnOutputLayer.Builder(loss)...build())}. Models saved before it name DL4J's class and load as
 * they were.
 */
public class LeanRnnOutput extends RnnOutputLayer {
  private static final long serialVersionUID = 1L;

  /** For Jackson (DL4J stores the layer in the network's JSON configuration). */
  public LeanRnnOutput() {
    super();
  }

  /** A LeanRnnOutput with every setting of {@code output}. */
  public static LeanRnnOutput of(RnnOutputLayer output) {
    return LayerSettings.copy(RnnOutputLayer.class, output, new LeanRnnOutput());
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    // As RnnOutputLayer.instantiate, with the layer that keeps its pre-activation.
    LayerValidation.assertNInNOutSet(
        "LeanRnnOutput", getLayerName(), layerIndex, getNIn(), getNOut());
    return LayerSettings.wire(
        new Impl(conf, networkDataType),
        conf,
        listeners,
        layerIndex,
        layerParamsView,
        initializeParams,
        initializer());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LeanRnnOutput && super.equals(o);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + 4;
  }

  /** Lombok's equals in {@code RnnOutputLayer} asks the other side. */
  @Override
  protected boolean canEqual(Object other) {
    return other instanceof LeanRnnOutput;
  }

  /** DL4J's RNN output layer, with backprop's pre-activation kept for the score that follows. */
  static final class Impl extends org.deeplearning4j.nn.layers.recurrent.RnnOutputLayer {
    final KeptPreOutput kept = new KeptPreOutput();

    /** The layer's own input while its backprop runs (backprop swaps in a 2d view of it). */
    private INDArray backpropOf;

    Impl(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(
        INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
      backpropOf = input;
      try {
        return super.backpropGradient(epsilon, workspaceMgr);
      } finally {
        backpropOf = null;
      }
    }

    @Override
    protected INDArray preOutput2d(boolean training, LayerWorkspaceMgr workspaceMgr) {
      boolean keeps =
          training && layerConf().getIDropout() == null && layerConf().getWeightNoise() == null;
      if (keeps && backpropOf == null) {
        INDArray z = kept.take(input); // the score after backprop, on the same input
        if (z != null) {
          return z;
        }
      }
      INDArray z = super.preOutput2d(training, workspaceMgr);
      if (keeps && backpropOf != null) {
        kept.keep(backpropOf, z);
      }
      return z;
    }

    @Override
    public void clear() {
      super.clear();
      kept.clear();
    }
  }
}
