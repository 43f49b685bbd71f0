package org.medvqa.core;

import java.util.regex.Pattern;

/** Validation of image identifiers, which become file names and so must not escape a folder. */
public final class ImageIds {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private ImageIds() {}

  /**
   * Returns null when {@code id} is a safe image id, else the reason it is not. Ids become parts of
   * paths under the release's image folder, so a separator or {@code ..} would let a record read or
   * (in augmentation) write outside it.
   */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return "empty image id";
    }
    if (id.contains("/") || id.contains("\\")) {
      return "image id '" + id + "' contains a path separator";
    }
    if (id.contains("..")) {
      return "image id '" + id + "' contains '..'";
    }
    if (!SAFE.matcher(id).matches()) {
      return "image id '" + id + "' has characters other than letters, digits, '.', '_' and '-'";
    }
    return null;
  }
}
