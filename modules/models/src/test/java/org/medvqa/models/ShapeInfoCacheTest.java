package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ndarray.ShapeInfoProvider;
import org.nd4j.linalg.factory.Nd4j;

class ShapeInfoCacheTest {
  private static final long[] SHAPE = {4, 3};
  private static final long[] C_STRIDE = {3, 1};
  private static final long[] F_STRIDE = {1, 4};

  /** ND4J's own provider, whether or not another test installed the cache in this JVM. */
  private static ShapeInfoProvider nd4jProvider() {
    ShapeInfoProvider p = Nd4j.getShapeInfoProvider();
    if (p instanceof ShapeInfoCache c) {
      return c.delegate();
    }
    return p;
  }

  private static void assertSameContent(
      Pair<DataBuffer, long[]> want, Pair<DataBuffer, long[]> got) {
    assertArrayEquals(want.getFirst().asLong(), got.getFirst().asLong());
    assertArrayEquals(want.getSecond(), got.getSecond());
  }

  @Test
  void givesNd4jsShapeInformationAndAsksOncePerShape() {
    ShapeInfoProvider nd4j = nd4jProvider();
    ShapeInfoCache cache = new ShapeInfoCache(nd4j, 100);
    Object[][] cases = {
      {SHAPE, C_STRIDE, 1L, 'c', DataType.FLOAT, false},
      {SHAPE, F_STRIDE, 1L, 'f', DataType.FLOAT, false},
      {SHAPE, C_STRIDE, 1L, 'c', DataType.DOUBLE, false},
      {SHAPE, C_STRIDE, -1L, 'c', DataType.FLOAT, false},
      {new long[] {4, 0}, new long[] {1, 1}, 1L, 'c', DataType.FLOAT, true},
      {new long[] {2, 3, 5}, new long[] {15, 5, 1}, 1L, 'c', DataType.INT, false}
    };
    for (int round = 0; round < 3; round++) {
      for (Object[] c : cases) {
        long[] shape = ((long[]) c[0]).clone();
        long[] stride = ((long[]) c[1]).clone();
        Pair<DataBuffer, long[]> want =
            nd4j.createShapeInformation(
                shape, stride, (Long) c[2], (Character) c[3], (DataType) c[4], (Boolean) c[5]);
        Pair<DataBuffer, long[]> got =
            cache.createShapeInformation(
                shape, stride, (Long) c[2], (Character) c[3], (DataType) c[4], (Boolean) c[5]);
        assertSameContent(want, got);
      }
      // Each distinct (shape, stride, element stride, order, type, empty) is one entry.
      assertEquals(cases.length, cache.size());
    }
  }

  @Test
  void sharesTheBufferButNotTheJavaCopy() {
    ShapeInfoCache cache = new ShapeInfoCache(nd4jProvider(), 100);
    long[] shape = SHAPE.clone();
    Pair<DataBuffer, long[]> a =
        cache.createShapeInformation(shape, C_STRIDE.clone(), 1, 'c', DataType.FLOAT, false);
    // The caller's arrays are not kept: changing them afterwards changes nothing cached.
    shape[0] = 99;
    a.getSecond()[1] = 77;
    Pair<DataBuffer, long[]> b =
        cache.createShapeInformation(
            SHAPE.clone(), C_STRIDE.clone(), 1, 'c', DataType.FLOAT, false);
    assertSame(a.getFirst(), b.getFirst());
    assertNotSame(a.getSecond(), b.getSecond());
    assertEquals(4, b.getSecond()[1]);
    assertEquals(1, cache.size());
  }

  @Test
  void stopsCachingWhenFull() {
    ShapeInfoCache cache = new ShapeInfoCache(nd4jProvider(), 2);
    for (long n = 1; n <= 5; n++) {
      Pair<DataBuffer, long[]> p =
          cache.createShapeInformation(
              new long[] {n, 2}, new long[] {2, 1}, 1, 'c', DataType.FLOAT, false);
      assertEquals(n, p.getSecond()[1]);
    }
    assertEquals(2, cache.size());
  }

  @Test
  void installedArraysComputeAsBefore() {
    INDArray a = Nd4j.linspace(1, 12, 12, DataType.FLOAT).reshape('c', 4, 3);
    INDArray b = Nd4j.linspace(-3, 2, 6, DataType.FLOAT).reshape('f', 3, 2);
    INDArray before = a.mmul(b).addi(a.sum(1).reshape(4, 1));
    ShapeInfoCache.install();
    ShapeInfoProvider installed = Nd4j.getShapeInfoProvider();
    assertInstanceOf(ShapeInfoCache.class, installed);
    ShapeInfoCache.install();
    assertSame(installed, Nd4j.getShapeInfoProvider());
    for (int i = 0; i < 3; i++) {
      INDArray a2 = Nd4j.linspace(1, 12, 12, DataType.FLOAT).reshape('c', 4, 3);
      INDArray b2 = Nd4j.linspace(-3, 2, 6, DataType.FLOAT).reshape('f', 3, 2);
      INDArray after = a2.mmul(b2).addi(a2.sum(1).reshape(4, 1));
      assertEquals(before, after);
      assertArrayEquals(before.shapeInfoJava(), after.shapeInfoJava());
      assertEquals(a.getColumn(1), a2.getColumn(1).dup());
      assertEquals(a.transpose().dup('c'), a2.transpose().dup('c'));
    }
  }
}
