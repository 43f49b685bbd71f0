package org.medvqa.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

class MinibatchFileTest {

  private static byte[] bytes(MultiDataSet mds) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MinibatchFile.write(mds, out);
    return out.toByteArray();
  }

  @Test
  void everyArrayAndMaskComesBackEqual() throws IOException {
    Nd4j.getRandom().setSeed(1);
    INDArray image = Nd4j.rand(DataType.FLOAT, 32, 2048);
    INDArray tokens = Nd4j.rand(DataType.FLOAT, 32, 1, 16).dup('f'); // DL4J's 'f' sequences
    INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 1363).putScalar(3, 7, 1);
    INDArray mask = Nd4j.ones(DataType.FLOAT, 32, 16).getColumns(0, 1, 2); // a copy, C order
    MultiDataSet mds =
        new MultiDataSet(
            new INDArray[] {image, tokens},
            new INDArray[] {labels},
            new INDArray[] {null, mask},
            null);
    MultiDataSet back =
        MinibatchFile.read(new ByteArrayInputStream(bytes(mds)), "batch-0000001.bin");
    assertEquals(image, back.getFeatures(0));
    assertEquals(tokens, back.getFeatures(1));
    assertEquals(labels, back.getLabels(0));
    assertNull(back.getFeaturesMaskArrays()[0]);
    assertEquals(mask, back.getFeaturesMaskArrays()[1]);
    assertNull(back.getLabelsMaskArrays());
    // Values travel as bytes: the file is the values plus short headers.
    long values = 4L * (image.length() + tokens.length() + labels.length() + mask.length());
    int size = bytes(mds).length;
    assertTrue(size > values && size < values + 300, "file of " + size + " bytes");
  }

  @Test
  void badFilesNameThemselvesAndTheReason() throws IOException {
    IOException notOurs =
        assertThrows(
            IOException.class,
            () ->
                MinibatchFile.read(new ByteArrayInputStream(new byte[16]), "s3a://b/batch-1.bin"));
    assertTrue(notOurs.getMessage().startsWith("s3a://b/batch-1.bin: not a medvqa minibatch"));
    byte[] whole =
        bytes(new MultiDataSet(Nd4j.rand(DataType.FLOAT, 4, 4), Nd4j.rand(DataType.FLOAT, 4, 2)));
    IOException cut =
        assertThrows(
            IOException.class,
            () ->
                MinibatchFile.read(
                    new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 5)),
                    "batch-2.bin"));
    assertEquals("batch-2.bin: truncated minibatch file", cut.getMessage());
  }

  @Test
  void arrayBytesKeepsTypesShapesAndEmptyArrays() throws IOException {
    for (INDArray a :
        new INDArray[] {
          Nd4j.rand(DataType.DOUBLE, 3, 4, 5),
          Nd4j.createFromArray(1, -2, 3),
          Nd4j.createFromArray(true, false),
          Nd4j.scalar(1.5f),
          Nd4j.empty(DataType.FLOAT),
          Nd4j.rand(DataType.FLOAT, 300, 300).getRow(5), // a view at an offset, over 64 KB parent
          Nd4j.rand(DataType.FLOAT, 300, 300).getColumn(5) // strided
        }) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ArrayBytes.write(a, new java.io.DataOutputStream(out));
      INDArray back =
          ArrayBytes.read(new java.io.DataInputStream(new ByteArrayInputStream(out.toByteArray())));
      assertEquals(a.dataType(), back.dataType());
      assertArrayEquals(a.shape(), back.shape());
      assertEquals(a, back);
    }
  }
}
