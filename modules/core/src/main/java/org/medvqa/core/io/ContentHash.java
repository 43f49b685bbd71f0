package org.medvqa.core.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of a file's bytes, as lower-case hex: what ingest records for each image ({@code
 * image_sha256}; augment-images for each variant it writes), the key of the shared feature cache,
 * and what every stage that reads an image again checks the bytes it read against. An image that
 * changed after it was recorded would otherwise be used as if it were the recorded one, and its
 * features stored in the cache under the old image's hash for every later run.
 */
public final class ContentHash {
  /** How the reason for an image whose bytes no longer have the recorded hash begins. */
  public static final String CHANGED = "changed since its hash was recorded: ";

  private ContentHash() {}

  /** Hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /** A new SHA-256 digest, for hashes made from several parts (fingerprints, resume keys). */
  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /**
   * Null when {@code bytes} have the {@code recorded} hash (or none was recorded: an ingest with
   * {@code image-check = exists} reads no bytes), else the reason, naming both hashes.
   */
  public static String mismatch(String recorded, byte[] bytes) {
    if (recorded == null || recorded.isEmpty()) {
      return null;
    }
    String read = sha256Hex(bytes);
    return read.equalsIgnoreCase(recorded)
        ? null
        : CHANGED + "recorded SHA-256 " + recorded + ", read " + read;
  }
}
