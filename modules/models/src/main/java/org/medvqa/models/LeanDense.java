package org.medvqa.models;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@link DenseLayer} (same settings, parameters, JSON and results) that multiplies its input
 * by its weights once per training step instead of twice.
 *
 * <p>Why: DL4J M2.1's dense layer applies its activation in place over its pre-activation in the
 * forward pass, then computes the pre-activation again in backprop for the activation's derivative:
 * the layer's largest product, a second time, for values it had. Here the training forward pass
 * keeps a copy ({@link KeptPreOutput}) that backprop takes when it runs on the same input array.
 * Layer normalisation and weight noise run DL4J's code as it is.
 *
 * <p>Build it from a dense layer built the usual way: {@code LeanDense.of(new
 * DenseLayer.Builder()...build())}. Models saved before it name DL4J's class and load as they were.
 */
public class LeanDense extends DenseLayer {
  private static final long serialVersionUID = 1L;

  /** For Jackson (DL4J stores the layer in the network's JSON configuration). */
  public LeanDense() {
    super();
  }

  /** A LeanDense with every setting of {@code dense}. */
  public static LeanDense of(DenseLayer dense) {
    return LayerSettings.copy(DenseLayer.class, dense, new LeanDense());
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    // As DenseLayer.instantiate, with the layer that keeps its pre-activation.
    LayerValidation.assertNInNOutSet("LeanDense", getLayerName(), layerIndex, getNIn(), getNOut());
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
    return o instanceof LeanDense && super.equals(o);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + 3;
  }

  /** Lombok's equals in {@code DenseLayer} asks the other side; a DenseLayer is not a LeanDense. */
  @Override
  protected boolean canEqual(Object other) {
    return other instanceof LeanDense;
  }

  /** DL4J's dense layer, with the training forward pass's pre-activation kept for backprop. */
  static final class Impl extends org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer {
    final KeptPreOutput kept = new KeptPreOutput();

    Impl(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
    }

    @Override
    protected Pair<INDArray, INDArray> preOutputWithPreNorm(
        boolean training, boolean forBackprop, LayerWorkspaceMgr workspaceMgr) {
      boolean keeps = training && !hasLayerNorm() && layerConf().getWeightNoise() == null;
      if (keeps && forBackprop) {
        // DL4J's does this first; after the forward pass it is a no-op and the input is the one the
        // forward pass used (with its dropout applied).
        applyDropOutIfNecessary(true, workspaceMgr);
        INDArray z = kept.take(input);
        if (z != null) {
          return new Pair<>(z, z); // without layer norm, DL4J's pair holds one array twice
        }
      }
      kept.clear();
      Pair<INDArray, INDArray> p = super.preOutputWithPreNorm(training, forBackprop, workspaceMgr);
      if (keeps && !forBackprop) {
        // Before the activation overwrites it in place.
        kept.keep(input, p.getFirst());
      }
      return p;
    }

    @Override
    public void clear() {
      super.clear();
      kept.clear();
    }
  }
}
