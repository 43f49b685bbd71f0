package org.medvqa.training;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.factories.ReflectionSerializerFactory;
import com.esotericsoftware.kryo.factories.SerializerFactory;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import org.apache.spark.serializer.KryoRegistrator;
import org.medvqa.models.ArrayBytes;
import org.nd4j.kryo.Nd4jRegistrator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spark's Kryo registrator for ND4J arrays, with their values copied as one block of bytes.
 *
 * <p>Why: each parameter-averaging round sends the parameters and the updater state to every worker
 * (a broadcast) and back (a task result per worker). ND4J serialises an array one value at a time,
 * in Java serialisation and in its own Kryo serializer alike; for the run 5 head (2.8 million
 * parameters and twice as many Adam values) that took about a third of a local[1] epoch. Here the
 * values travel as {@link ArrayBytes}.
 *
 * <p>The rest is {@link Nd4jRegistrator}'s (dl4j-spark's documented Kryo setup). Arrays this cannot
 * copy as bytes (compressed arrays, a backend other than the CPU one, strings, which ND4J M2.1
 * cannot read back in any of its formats) are written in ND4J's own format, with a marker so that
 * the reader knows which.
 */
public final class ArrayKryo implements KryoRegistrator {

  @Override
  public void registerClasses(Kryo kryo) {
    new Nd4jRegistrator().registerClasses(kryo);
    Serializer<INDArray> arrays = new ArraySerializer();
    kryo.register(Nd4j.getBackend().getNDArrayClass(), arrays); // replaces Nd4jRegistrator's
    kryo.addDefaultSerializer(INDArray.class, arrays);
    // Kryo 4 predates records and Java 9's immutable collections (it rebuilds a List.of by adding
    // to an empty one, which throws); they, and medvqa's own classes, travel as Java serialises
    // them, as they did before Kryo.
    kryo.addDefaultSerializer(Record.class, JavaSerializer.class);
    for (String c : new String[] {"AbstractImmutableCollection", "AbstractImmutableMap"}) {
      try {
        kryo.addDefaultSerializer(
            Class.forName("java.util.ImmutableCollections$" + c), JavaSerializer.class);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("this JDK has no java.util.ImmutableCollections$" + c, e);
      }
    }
    // Kryo 4's own default (Spark keeps it), for every other class.
    SerializerFactory fields = new ReflectionSerializerFactory(FieldSerializer.class);
    kryo.setDefaultSerializer(
        (k, type) ->
            type.getName().startsWith("org.medvqa.") && Serializable.class.isAssignableFrom(type)
                ? new JavaSerializer()
                : fields.makeSerializer(k, type));
  }

  /** A marker, then {@link ArrayBytes} or, for what it cannot copy, ND4J's own format. */
  static final class ArraySerializer extends Serializer<INDArray> {
    private static final byte RAW = 1;
    private static final byte ND4J = 2;

    @Override
    public void write(Kryo kryo, Output out, INDArray arr) {
      try {
        DataOutputStream data = new DataOutputStream(out);
        if (ArrayBytes.copyable(arr)) {
          out.writeByte(RAW);
          ArrayBytes.write(arr, data);
        } else {
          out.writeByte(ND4J);
          Nd4j.write(arr, data);
        }
        data.flush();
      } catch (IOException e) {
        throw new KryoException(e);
      }
    }

    @Override
    public INDArray read(Kryo kryo, Input in, Class<INDArray> type) {
      byte marker = in.readByte();
      try {
        return switch (marker) {
          case RAW -> ArrayBytes.read(new DataInputStream(in));
          case ND4J -> Nd4j.read(new DataInputStream(in));
          default ->
              throw new KryoException("not an ND4J array of ArrayKryo (marker " + marker + ")");
        };
      } catch (IOException e) {
        throw new KryoException(e);
      }
    }
  }
}
