package org.medvqa.models;

import java.util.Collection;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@link LSTM} layer (same settings, parameters, JSON and results) that runs on the CPU
 * through {@link CpuLstmHelper}, the helper DL4J M2.1 has only for cuDNN. What the helper does not
 * take, it leaves to DL4J's own code, and on the CUDA backend cuDNN's helper stays in place.
 *
 * <p>Build it from an LSTM built the usual way: {@code CpuLstm.of(new LSTM.Builder()...build())}.
 * DL4J's LSTM keeps its constructor from its builder private, so the settings are copied.
 */
public class CpuLstm extends LSTM {
  private static final long serialVersionUID = 1L;

  /** For Jackson (DL4J stores the layer in the network's JSON configuration). */
  public CpuLstm() {
    super();
  }

  /** A CpuLstm with every setting of {@code lstm}. */
  public static CpuLstm of(LSTM lstm) {
    return LayerSettings.copy(LSTM.class, lstm, new CpuLstm());
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    // As LSTM.instantiate, with the layer that installs the helper.
    LayerValidation.assertNInNOutSet("CpuLstm", getLayerName(), layerIndex, getNIn(), getNOut());
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
    return o instanceof CpuLstm && super.equals(o);
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + 2;
  }

  /** Lombok's equals in {@code LSTM} asks the other side; an LSTM is not a CpuLstm. */
  @Override
  protected boolean canEqual(Object other) {
    return other instanceof CpuLstm;
  }

  /** DL4J's LSTM layer with {@link CpuLstmHelper} where no other helper was installed. */
  static final class Impl extends org.deeplearning4j.nn.layers.recurrent.LSTM {
    Impl(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
      if (helper == null && ArrayBytes.hostBackend()) {
        helper = new CpuLstmHelper();
      }
    }

    /** Forward passes the CPU helper computed; -1 when it is not the helper installed (tests). */
    int cpuPasses() {
      return helper instanceof CpuLstmHelper h ? h.passes : -1;
    }
  }
}
