package org.medvqa.core.image;

/**
 * Decides whether an image file is usable by decoding it whole. A JPEG cut short still decodes into
 * a grey-filled picture with only a warning, so warnings count as failures: a model trained on half
 * an image learns from pixels that are not there (notes on colour profiles excepted, see {@link
 * ImageDecoder}). Decoders come from ImageIO's registry, which includes the TwelveMonkeys JPEG
 * plugin (CMYK and YCCK JPEGs, broken ICC profiles); the decoding itself is {@link
 * ImageDecoder#read}.
 */
public final class ImageCheck {
  /** Width and height of a good image, or the reason a bad one cannot be used. */
  public record Result(int width, int height, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  private final ImageDecoder decoder;

  public ImageCheck(int maxSide) {
    this.decoder = new ImageDecoder(maxSide);
  }

  /** Decodes {@code bytes} and returns its size or the problem. Never throws. */
  public Result check(byte[] bytes) {
    ImageDecoder.Decoded d = decoder.read(bytes);
    return new Result(d.width(), d.height(), d.problem());
  }
}
