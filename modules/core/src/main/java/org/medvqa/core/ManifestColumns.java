package org.medvqa.core;

import java.util.List;

/**
 * Column names of the manifest that ingest writes and every later stage reads: one row per
 * question-answer pair. The Spark schema is built from these in the jobs module.
 */
public final class ManifestColumns {
  /** Stable id of the QA pair: {@code <release>-<split>-<nnnnnn>}. */
  public static final String SAMPLE_ID = "sample_id";

  /** Image id as the release names it, without extension (e.g. {@code synpic41148}). */
  public static final String IMAGE_ID = "image_id";

  /** Full URI of the image file (file:, hdfs:, s3a:). Empty for a question without an image. */
  public static final String IMAGE_PATH = "image_path";

  public static final String QUESTION = "question";

  /** Reference answers; several where the release separates alternatives with '#'. */
  public static final String ANSWERS = "answers";

  /** modality, plane, organ or abnormality. */
  public static final String CATEGORY = "category";

  /** Where the category came from: {@code file} (release says so) or {@code inferred}. */
  public static final String CATEGORY_SOURCE = "category_source";

  /** train, val, test, or a held-out split made by ingest. */
  public static final String SPLIT = "split";

  /** Release name, e.g. {@code 2019}. */
  public static final String RELEASE = "release";

  /** vqa (question with answers) or vqg (question-generation reference). */
  public static final String TASK = "task";

  public static final String SOURCE_FILE = "source_file";
  public static final String SOURCE_LINE = "source_line";
  public static final String IMAGE_WIDTH = "image_width";
  public static final String IMAGE_HEIGHT = "image_height";

  /**
   * SHA-256 of the image file's bytes (hex), written by ingest when it reads the images ({@code
   * image-check = decode}); null otherwise, and for augmented variants. Keys the shared feature
   * cache: the same picture in two releases is extracted once.
   */
  public static final String IMAGE_SHA256 = "image_sha256";

  /** Columns of the rejected table: the raw record, where it came from, and why. */
  public static final String RAW = "raw";

  public static final String REASON = "reason";

  public static final List<String> MANIFEST =
      List.of(
          SAMPLE_ID,
          IMAGE_ID,
          IMAGE_PATH,
          QUESTION,
          ANSWERS,
          CATEGORY,
          CATEGORY_SOURCE,
          SPLIT,
          RELEASE,
          TASK,
          SOURCE_FILE,
          SOURCE_LINE,
          IMAGE_WIDTH,
          IMAGE_HEIGHT);

  public static final List<String> REJECTED = List.of(SOURCE_FILE, SOURCE_LINE, RAW, REASON);

  private ManifestColumns() {}
}
