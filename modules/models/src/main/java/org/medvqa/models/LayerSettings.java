package org.medvqa.models;

import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.InvocationTargetException;
import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the subclasses of DL4J's layer configurations here (CpuLstm, LeanDense, LeanRnnOutput)
 * share: copying a built layer's settings, and wiring the layer they instantiate as DL4J's own
 * {@code instantiate} does.
 */
final class LayerSettings {
  private LayerSettings() {}

  /**
   * Every read-write property that {@code type} declares or inherits, from {@code from} to {@code
   * to}. DL4J's layer classes keep their constructors from their builders private, so a subclass
   * cannot be built from a builder; its bean properties (Lombok's getters and setters, the ones
   * Jackson reads) are all its settings.
   */
  static <T> T copy(Class<? super T> type, Object from, T to) {
    try {
      for (PropertyDescriptor p : Introspector.getBeanInfo(type).getPropertyDescriptors()) {
        if (p.getReadMethod() != null && p.getWriteMethod() != null) {
          p.getWriteMethod().invoke(to, p.getReadMethod().invoke(from));
        }
      }
    } catch (IntrospectionException | IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot copy the settings of " + from, e);
    }
    return to;
  }

  /**
   * As DL4J M2.1's {@code instantiate} of its dense, output and LSTM layers: listeners, index,
   * parameter view and table (initialised or not), configuration.
   */
  static <L extends Layer> L wire(
      L layer,
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      ParamInitializer initializer) {
    layer.setListeners(listeners);
    layer.setIndex(layerIndex);
    layer.setParamsViewArray(layerParamsView);
    layer.setParamTable(initializer.init(conf, layerParamsView, initializeParams));
    layer.setConf(conf);
    return layer;
  }
}
