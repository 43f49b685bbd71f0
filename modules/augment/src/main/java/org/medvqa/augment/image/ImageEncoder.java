package org.medvqa.augment.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes {@link ByteImage} as JPEG or PNG bytes, grey as one channel, colour as three. The writer
 * is made once and reused, so an encoder belongs to one thread (one Spark task). The JDK's own
 * writer is preferred over plugins, so that the same JDK writes the same bytes wherever it runs;
 * streams stay in memory (ImageIO's default file cache would write a temporary file per image).
 */
public final class ImageEncoder implements AutoCloseable {
  private final ImageFormat format;
  private final ImageWriter writer;
  private final ImageWriteParam param;

  public ImageEncoder(ImageFormat format, float jpegQuality) {
    this.format = format;
    this.writer = writer(format == ImageFormat.JPEG ? "jpeg" : "png");
    this.param = writer.getDefaultWriteParam();
    if (format == ImageFormat.JPEG) {
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(jpegQuality);
    }
  }

  public ImageFormat format() {
    return format;
  }

  /** The encoded image. */
  public byte[] encode(ByteImage p) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(p.data().length / 4 + 1024);
    try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(p.toImage(), null, null), param);
      out.flush();
    } finally {
      writer.setOutput(null);
    }
    return bytes.toByteArray();
  }

  @Override
  public void close() {
    writer.dispose();
  }

  static {
    // Plugins on the classpath register only after a scan; once per JVM.
    ImageIO.scanForPlugins();
  }

  private static ImageWriter writer(String name) {
    Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName(name);
    ImageWriter first = null;
    while (it.hasNext()) {
      ImageWriter w = it.next();
      if (w.getClass().getName().startsWith("com.sun.imageio.")) {
        if (first != null) {
          first.dispose();
        }
        return w;
      }
      if (first == null) {
        first = w;
      } else {
        w.dispose();
      }
    }
    if (first == null) {
      throw new IllegalStateException("no ImageIO writer for " + name.toUpperCase(Locale.ROOT));
    }
    return first;
  }
}
