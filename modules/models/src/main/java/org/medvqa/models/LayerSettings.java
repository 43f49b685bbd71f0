package org.medvqa.models;

import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.InvocationTargetException;

/**
 * Copies a DL4J layer configuration's settings into a subclass of it. DL4J's layer classes keep
 * their constructors from their builders private, so a subclass cannot be built from a builder; its
 * bean properties (Lombok's getters and setters, the same ones Jackson reads) are all its settings.
 */
final class LayerSettings {
  private LayerSettings() {}

  /**
   * Every read-write property that {@code type} declares or inherits, from {@code from} to {@code
   * to}.
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
}
