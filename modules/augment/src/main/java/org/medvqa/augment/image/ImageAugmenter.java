package org.medvqa.augment.image;

import java.io.IOException;
import java.util.List;
import org.medvqa.core.image.ImageDecoder;

/**
 * One image in, K variants out: decodes once into {@link ByteImage} (grey pictures stored as colour
 * become one channel with {@code collapse-grey}), then for each variant draws its {@link Transform}
 * from (seed, image id, variant index), applies it and encodes the result. Holds a reusable
 * encoder, so an instance belongs to one thread (one Spark task); close it when done.
 */
public final class ImageAugmenter implements AutoCloseable {
  /**
   * A decoded source image, or why it cannot be used.
   *
   * @param pixels the working pixels (null when {@code problem} is set)
   * @param kind what the file was, e.g. {@code jpeg 3-channel 8-bit RGB image}
   * @param problem why the image cannot be used, or null
   */
  public record Source(ByteImage pixels, String kind, String problem) {
    public boolean ok() {
      return problem == null;
    }
  }

  /**
   * One variant: its parameters, size and encoded bytes.
   *
   * @param transform the parameters drawn for it
   * @param shiftX the shift applied, whole pixels (positive to the right)
   * @param shiftY the shift applied, whole pixels (positive downwards)
   * @param width width in pixels (the source's)
   * @param height height in pixels (the source's)
   * @param channels 1 (grey) or 3 (colour)
   * @param bytes the encoded image
   */
  public record Variant(
      Transform transform,
      int shiftX,
      int shiftY,
      int width,
      int height,
      int channels,
      byte[] bytes) {}

  private final ImageAugmentSettings settings;
  private final ImageDecoder decoder;
  private final TransformSampler sampler;
  private final ImageEncoder encoder;
  private final Laterality laterality;

  public ImageAugmenter(ImageAugmentSettings settings) {
    this.settings = settings;
    this.decoder = new ImageDecoder(settings.maxImageSide());
    this.sampler = new TransformSampler(settings);
    this.encoder = new ImageEncoder(settings.format(), settings.jpegQuality());
    this.laterality = new Laterality(settings.lateralityWords());
  }

  public ImageAugmentSettings settings() {
    return settings;
  }

  /**
   * Whether an image may be flipped, given the texts of its QA rows (questions, and answers when
   * {@code laterality.answers}): false when one mentions a side and {@code laterality.skip-flips}.
   */
  public boolean flipsAllowed(List<String> questions, List<String> answers) {
    if (!settings.lateralitySkipFlips()) {
      return true;
    }
    return !laterality.anyMentions(questions)
        && !(settings.lateralityAnswers() && laterality.anyMentions(answers));
  }

  /** Decodes an image file. Never throws. */
  public Source decode(byte[] bytes) {
    ImageDecoder.Decoded d = decoder.decode(bytes);
    if (!d.ok()) {
      return new Source(null, null, d.problem());
    }
    String kind = d.format() + " " + ImageDecoder.describe(d.image());
    ByteImage p = ByteImage.of(d.image());
    if (settings.collapseGrey() && p.channels() == 3 && p.isGrey()) {
      p = p.firstChannel();
    }
    return new Source(p, kind, null);
  }

  /** The parameters of variant {@code variant} (1..K) of image {@code imageId}. */
  public Transform transform(String imageId, int variant, boolean flipsAllowed) {
    return sampler.sample(imageId, variant, flipsAllowed);
  }

  /** Draws, applies and encodes variant {@code variant} of a decoded image. */
  public Variant render(ByteImage source, String imageId, int variant, boolean flipsAllowed)
      throws IOException {
    Transform t = transform(imageId, variant, flipsAllowed);
    ByteImage out = Transforms.apply(source, t);
    return new Variant(
        t,
        t.shiftXPixels(source.width()),
        t.shiftYPixels(source.height()),
        out.width(),
        out.height(),
        out.channels(),
        encoder.encode(out));
  }

  @Override
  public void close() {
    encoder.close();
  }
}
