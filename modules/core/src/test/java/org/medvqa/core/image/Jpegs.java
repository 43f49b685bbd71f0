package org.medvqa.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Three-component JPEGs of uncommon layouts, written by the JDK's encoder with its native metadata
 * edited: without the JFIF marker, with other component ids, sampling factors or an Adobe marker.
 */
final class Jpegs {
  private static final String FORMAT = "javax_imageio_jpeg_image_1.0";

  private Jpegs() {}

  /**
   * @param jfif keep the JFIF marker
   * @param ids component ids, or null for the encoder's (1, 2, 3)
   * @param sampling per component {h, v} sampling factors, or null for the encoder's (4:2:0)
   * @param adobe the Adobe marker's transform, or -1 for none
   */
  static byte[] write(BufferedImage img, boolean jfif, int[] ids, int[][] sampling, int adobe)
      throws IOException {
    ImageWriter w = null;
    for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext(); ) {
      ImageWriter c = it.next();
      if (c.getClass().getName().startsWith("com.sun")) {
        w = c; // the JDK's own encoder, whose metadata tree this edits
      }
    }
    if (w == null) {
      throw new IOException("no JDK JPEG writer");
    }
    try {
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(0.95f);
      IIOMetadata md =
          w.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), p);
      Element root = (Element) md.getAsTree(FORMAT);
      Element variety = (Element) root.getElementsByTagName("JPEGvariety").item(0);
      if (!jfif) {
        while (variety.hasChildNodes()) {
          variety.removeChild(variety.getFirstChild());
        }
      }
      Element markers = (Element) root.getElementsByTagName("markerSequence").item(0);
      if (adobe >= 0) {
        IIOMetadataNode a = new IIOMetadataNode("app14Adobe");
        a.setAttribute("version", "100");
        a.setAttribute("flags0", "0");
        a.setAttribute("flags1", "0");
        a.setAttribute("transform", String.valueOf(adobe));
        markers.insertBefore(a, markers.getFirstChild());
      }
      NodeList frame = root.getElementsByTagName("componentSpec");
      for (int i = 0; i < frame.getLength(); i++) {
        Element c = (Element) frame.item(i);
        if (ids != null) {
          c.setAttribute("componentId", String.valueOf(ids[i]));
        }
        if (sampling != null) {
          c.setAttribute("HsamplingFactor", String.valueOf(sampling[i][0]));
          c.setAttribute("VsamplingFactor", String.valueOf(sampling[i][1]));
        }
      }
      NodeList scan = root.getElementsByTagName("scanComponentSpec");
      for (int i = 0; i < scan.getLength() && ids != null; i++) {
        ((Element) scan.item(i)).setAttribute("componentSelector", String.valueOf(ids[i]));
      }
      md.setFromTree(FORMAT, root);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
        w.setOutput(ios);
        w.write(null, new IIOImage(img, null, md), p);
      }
      return out.toByteArray();
    } finally {
      w.dispose();
    }
  }
}
