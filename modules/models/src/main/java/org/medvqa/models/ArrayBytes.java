package org.medvqa.models;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An ND4J array as a short header and its values copied as one block of bytes.
 *
 * <p>Why: ND4J's own formats ({@code Nd4j.write}, {@code MultiDataSet.save}, its Java and Kryo
 * serialisation) write and read one value at a time through a {@code DataOutputStream}, which was
 * the largest Java cost of training: reading the minibatch files and sending the parameters in each
 * averaging round. Header: type name, byte order, empty flag, shape; then the values in C order as
 * they lie in memory.
 */
public final class ArrayBytes {
  private static final int CHUNK = 1 << 16;

  /** The backend is fixed for the JVM; asked once, not for every array of every minibatch. */
  private static final boolean CPU =
      "CpuBackend".equals(Nd4j.getBackend().getClass().getSimpleName());

  private ArrayBytes() {}

  /**
   * Whether ND4J's arrays live in host memory (the CPU backend), where their buffers can be read
   * and written directly. On the CUDA backend a write through the host buffer would not reach the
   * device copy: code that does so must fall back to ND4J's own ops there.
   */
  public static boolean hostBackend() {
    return CPU;
  }

  /**
   * Whether {@link #write} takes {@code arr}: fixed-width values in host memory, not compressed.
   */
  public static boolean copyable(INDArray arr) {
    return arr.dataType() != DataType.UTF8 && !arr.isCompressed() && CPU;
  }

  public static void write(INDArray arr, DataOutputStream out) throws IOException {
    if (!copyable(arr)) {
      throw new IllegalArgumentException(
          "cannot copy an array of " + arr.dataType() + " as bytes (see ArrayBytes.copyable)");
    }
    out.writeUTF(arr.dataType().name());
    out.writeBoolean(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN);
    out.writeBoolean(arr.isEmpty());
    long[] shape = arr.shape();
    out.writeInt(shape.length);
    for (long d : shape) {
      out.writeLong(d);
    }
    if (arr.isEmpty()) {
      return;
    }
    INDArray a = contiguous(arr);
    long bytes = a.length() * a.dataType().width();
    ByteBuffer values = a.data().asNio().duplicate();
    byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
    for (long done = 0; done < bytes; done += chunk.length) {
      int n = (int) Math.min(chunk.length, bytes - done);
      values.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
    // The ByteBuffer does not keep the array alive: without this the JIT may let a copy made by
    // contiguous() be collected, and ND4J free its memory, while the loop still reads it.
    Reference.reachabilityFence(a);
  }

  /** An array {@link #write} wrote, outside any workspace. */
  public static INDArray read(DataInputStream in) throws IOException {
    DataType dtype;
    String name = in.readUTF();
    try {
      dtype = DataType.valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new IOException("not an array written by ArrayBytes (type '" + name + "')");
    }
    boolean little = in.readBoolean();
    if (little != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) {
      throw new IOException(
          "an array written on a machine of the other byte order; run the driver and the executors"
              + " on one architecture");
    }
    boolean empty = in.readBoolean();
    int rank = in.readInt();
    if (rank < 0 || rank > 32) {
      throw new IOException("not an array written by ArrayBytes (rank " + rank + ")");
    }
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = in.readLong();
    }
    if (empty) {
      return rank == 0 ? Nd4j.empty(dtype) : Nd4j.create(dtype, shape);
    }
    INDArray a = Nd4j.createUninitializedDetached(dtype, shape);
    long bytes = a.length() * dtype.width();
    ByteBuffer values = a.data().asNio().duplicate();
    byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
    for (long done = 0; done < bytes; done += chunk.length) {
      int n = (int) Math.min(chunk.length, bytes - done);
      in.readFully(chunk, 0, n);
      values.put(chunk, 0, n);
    }
    Reference.reachabilityFence(a); // as in write(), for the memory the loop fills
    return a;
  }

  /** {@code arr} itself when its values fill its buffer in C order from the start, else a copy. */
  private static INDArray contiguous(INDArray arr) {
    boolean whole =
        !arr.isView()
            && arr.offset() == 0
            && arr.ordering() == 'c'
            && arr.data().asNio().capacity() >= arr.length() * arr.dataType().width();
    return whole ? arr : arr.dup('c');
  }
}
