package org.medvqa.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.reflect.ClassTag;

class ArrayKryoTest {
  private static final ClassTag<Object> ANY = scala.reflect.ClassTag$.MODULE$.Any();

  private static SerializerInstance kryo() {
    SparkConf conf =
        new SparkConf(false)
            .set("spark.serializer", KryoSerializer.class.getName())
            .set("spark.kryo.registrator", ArrayKryo.class.getName());
    return new KryoSerializer(conf).newInstance();
  }

  private static Object roundTrip(SerializerInstance s, Object o) {
    return s.deserialize(s.serialize(o, ANY), ANY);
  }

  @Test
  void arraysOfEveryLayoutComeBackEqual() {
    SerializerInstance s = kryo();
    Nd4j.getRandom().setSeed(5);
    INDArray m = Nd4j.rand(DataType.FLOAT, 300, 257); // more than one 64 KB chunk
    List<INDArray> cases = new ArrayList<>();
    cases.add(m);
    cases.add(m.getRow(7)); // a view at an offset
    cases.add(
        m.get(
            org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.point(3))); // strided
    cases.add(m.dup('f'));
    cases.add(Nd4j.rand(DataType.DOUBLE, 4, 5, 6));
    cases.add(Nd4j.createFromArray(new int[] {1, -2, 3}));
    cases.add(Nd4j.createFromArray(new long[] {Long.MAX_VALUE, 0}));
    cases.add(Nd4j.scalar(2.5f));
    cases.add(Nd4j.empty(DataType.FLOAT));
    cases.add(Nd4j.createFromArray(true, false, true));
    for (INDArray a : cases) {
      INDArray back = (INDArray) roundTrip(s, a);
      assertEquals(a.dataType(), back.dataType(), a.shapeInfoToString());
      assertArrayEquals(a.shape(), back.shape(), a.shapeInfoToString());
      assertEquals(a, back, a.shapeInfoToString());
    }
  }

  @Test
  void arraysInsideObjectsToo() {
    SerializerInstance s = kryo();
    INDArray params = Nd4j.linspace(DataType.FLOAT, 1, 100_000, 1);
    Object[] tuple = {params, 0.25, List.of(params.mul(2), "x")};
    Object[] back = (Object[]) roundTrip(s, tuple);
    assertEquals(params, back[0]);
    assertEquals(0.25, back[1]);
    assertEquals(params.mul(2), ((List<?>) back[2]).get(0));
  }

  record Tagged(String name, List<String> tags) implements java.io.Serializable {}

  @Test
  void recordsAndImmutableCollectionsTravelTheJavaWay() {
    SerializerInstance s = kryo();
    Object o = List.of(new Tagged("a", List.of("x", "y")), java.util.Map.of("k", 1));
    assertEquals(o, roundTrip(s, o));
  }

  @Test
  void valuesTravelAsBytesNotOneByOne() {
    SerializerInstance s = kryo();
    INDArray a = Nd4j.rand(DataType.FLOAT, 1, 1_000_000);
    int size = s.serialize(a, ANY).remaining();
    // 4 bytes per value and a header; ND4J's element stream is about as long, so this checks the
    // header and that nothing is written twice.
    assertTrue(size >= 4_000_000 && size < 4_000_200, "serialised size " + size);
  }
}
