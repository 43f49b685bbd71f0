package org.medvqa.models;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.ShapeInfoProvider;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Remembers the shape buffers ND4J makes for new arrays, so an array of a shape seen before costs
 * no native call.
 *
 * <p>Why: in ND4J 1.0.0-M2.1 every array constructor asks the shape-info provider for its shape
 * buffer through the one method the CPU backend's provider does not cache (shape, stride, element
 * stride, order, data type, empty). Each call allocates two JavaCPP pointers for the shape and the
 * stride, asks libnd4j for its constant buffer and copies it back into Java; the pointers are freed
 * later by the garbage collector and ND4J's deallocator thread, and each allocation first reads the
 * process's resident size (JavaCPP's memory guard). In a training step of the VAE, whose arrays are
 * small and many, that was 13% of a task thread's samples (Java Flight Recorder, {@code make
 * bench-vae}'s Java side). libnd4j already keeps one constant buffer per distinct shape for the
 * life of the process, so holding its Java wrapper here keeps nothing alive that was not; the
 * provider's other methods go to ND4J's own provider unchanged.
 *
 * <p>The cache holds at most {@link #MAX_ENTRIES} shapes; past that, new shapes go to ND4J's
 * provider uncached, as before, so a process that meets ever new shapes keeps a bounded map.
 */
public final class ShapeInfoCache implements ShapeInfoProvider {
  static final int MAX_ENTRIES = 8192;

  private final ShapeInfoProvider delegate;
  private final int maxEntries;
  private final ConcurrentHashMap<Key, Pair<DataBuffer, long[]>> cache = new ConcurrentHashMap<>();

  ShapeInfoCache(ShapeInfoProvider delegate, int maxEntries) {
    this.delegate = delegate;
    this.maxEntries = maxEntries;
  }

  /**
   * Makes ND4J's array constructors use the cache, in this JVM, from now on (on the CPU backend;
   * elsewhere nothing); calls after the first do nothing. ND4J has no setter for its provider (it
   * reads a class name once, when it starts), so this replaces its field. Arrays made before keep
   * their buffers, which are the same ones.
   */
  public static void install() {
    // Only the CPU backend's provider is known to hand out shared constant buffers; the CUDA
    // backend's keeps its own (device) bookkeeping, so it stays as it is.
    if (ArrayBytes.hostBackend() && !(Nd4j.getShapeInfoProvider() instanceof ShapeInfoCache)) {
      replaceProvider();
    }
  }

  private static synchronized void replaceProvider() {
    if (Nd4j.getShapeInfoProvider() instanceof ShapeInfoCache) {
      return;
    }
    try {
      Field f = Nd4j.class.getDeclaredField("shapeInfoProvider");
      f.setAccessible(true);
      f.set(null, new ShapeInfoCache(Nd4j.getShapeInfoProvider(), MAX_ENTRIES));
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot install the shape-info cache into this ND4J version (Nd4j.shapeInfoProvider)", e);
    }
  }

  /** The provider this one asks for shapes it has not seen. */
  ShapeInfoProvider delegate() {
    return delegate;
  }

  /** How many shapes the cache holds. */
  int size() {
    return cache.size();
  }

  @Override
  public Pair<DataBuffer, long[]> createShapeInformation(
      long[] shape,
      long[] stride,
      long elementWiseStride,
      char order,
      DataType dataType,
      boolean empty) {
    Key key = new Key(shape, stride, elementWiseStride, order, dataType, empty);
    Pair<DataBuffer, long[]> hit = cache.get(key);
    if (hit == null) {
      hit =
          delegate.createShapeInformation(shape, stride, elementWiseStride, order, dataType, empty);
      if (cache.size() < maxEntries) {
        Pair<DataBuffer, long[]> raced = cache.putIfAbsent(key.copy(), hit);
        if (raced != null) {
          hit = raced;
        }
      } else {
        return hit;
      }
    }
    // The buffer is a shared constant, as ND4J's own provider shares it on its cached paths; the
    // Java copy of the shape information is the caller's to keep.
    return Pair.create(hit.getFirst(), hit.getSecond().clone());
  }

  @Override
  public Pair<DataBuffer, long[]> createShapeInformation(long[] shape, DataType dataType) {
    return delegate.createShapeInformation(shape, dataType);
  }

  @Override
  public Pair<DataBuffer, long[]> createShapeInformation(
      long[] shape, char order, DataType dataType) {
    return delegate.createShapeInformation(shape, order, dataType);
  }

  @Override
  public Pair<DataBuffer, long[]> createShapeInformation(
      long[] shape, long[] stride, long elementWiseStride, char order, long extras) {
    return delegate.createShapeInformation(shape, stride, elementWiseStride, order, extras);
  }

  @Override
  public void purgeCache() {
    cache.clear();
    delegate.purgeCache();
  }

  @Override
  public long getCachedBytes() {
    return delegate.getCachedBytes();
  }

  /**
   * What decides a shape buffer's content. Looked up with the caller's arrays, stored with copies.
   */
  private record Key(
      long[] shape,
      long[] stride,
      long elementWiseStride,
      char order,
      DataType dataType,
      boolean empty) {
    Key copy() {
      return new Key(shape.clone(), stride.clone(), elementWiseStride, order, dataType, empty);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && elementWiseStride == k.elementWiseStride
          && order == k.order
          && empty == k.empty
          && dataType == k.dataType
          && Arrays.equals(shape, k.shape)
          && Arrays.equals(stride, k.stride);
    }

    @Override
    public int hashCode() {
      int h = Arrays.hashCode(shape);
      h = 31 * h + Arrays.hashCode(stride);
      h = 31 * h + Long.hashCode(elementWiseStride);
      h = 31 * h + order;
      h = 31 * h + Objects.hashCode(dataType);
      return 31 * h + (empty ? 1 : 0);
    }
  }
}
