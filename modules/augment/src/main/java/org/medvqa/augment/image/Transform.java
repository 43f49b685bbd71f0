package org.medvqa.augment.image;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parameters of one variant: a composition applied in the order flip, rotation, shift, blur
 * (see {@link Transforms#apply}). A parameter at its neutral value (no flip, 0 degrees, 0 shift, 0
 * sigma) means that transform is not applied.
 *
 * @param variant the variant index (1..K; 0 for the original)
 * @param flipHorizontal mirror left-right
 * @param flipVertical mirror top-bottom
 * @param rotation degrees about the image centre, positive counter-clockwise as seen on screen
 * @param shiftX horizontal shift as a fraction of the width, positive to the right
 * @param shiftY vertical shift as a fraction of the height, positive downwards
 * @param blurSigma Gaussian sigma in pixels
 */
public record Transform(
    int variant,
    boolean flipHorizontal,
    boolean flipVertical,
    double rotation,
    double shiftX,
    double shiftY,
    double blurSigma)
    implements Serializable {

  /** The original image: nothing applied. */
  public static Transform identity(int variant) {
    return new Transform(variant, false, false, 0, 0, 0, 0);
  }

  /** The horizontal shift in whole pixels for an image {@code width} wide. */
  public int shiftXPixels(int width) {
    return (int) Math.round(shiftX * width);
  }

  /** The vertical shift in whole pixels for an image {@code height} high. */
  public int shiftYPixels(int height) {
    return (int) Math.round(shiftY * height);
  }

  /** Whether nothing is applied. */
  public boolean isIdentity() {
    return !flipHorizontal
        && !flipVertical
        && rotation == 0
        && shiftX == 0
        && shiftY == 0
        && blurSigma == 0;
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (flipHorizontal) {
      parts.add("flip-h");
    }
    if (flipVertical) {
      parts.add("flip-v");
    }
    if (rotation != 0) {
      parts.add(String.format(Locale.ROOT, "rotate %.2f deg", rotation));
    }
    if (shiftX != 0 || shiftY != 0) {
      parts.add(String.format(Locale.ROOT, "shift (%.3f, %.3f)", shiftX, shiftY));
    }
    if (blurSigma != 0) {
      parts.add(String.format(Locale.ROOT, "blur sigma %.2f", blurSigma));
    }
    return "variant " + variant + ": " + (parts.isEmpty() ? "identity" : String.join(", ", parts));
  }
}
