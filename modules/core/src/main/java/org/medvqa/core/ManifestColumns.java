package org.medvqa.core;

import java.util.List;

/**
 * Column names of the manifest that ingest writes and every later stage reads: one row per
 * question-answer pair. Ingest writes them in the order of {@code IngestStage.COLUMNS}.
 */
public final class ManifestColumns {
  /**
   * Stable id of the QA pair, made from its content so that two ingests of nearly the same release
   * share ids (a line added or removed elsewhere changes no other id): {@code
   * <release>-<split>-<h>}, {@code h} the first 16 hex digits of the SHA-256 of the release name,
   * the source file's name (not its folder: a moved release keeps its ids), the image id and the
   * question. The split is the source file's, before the held-out split is drawn. Records of the
   * same content (two tasks, or files of one name in two folders) get {@code -2}, {@code -3}… in
   * (file, line) order. Derived rows append to it ({@code -i<k>}, {@code -q<k>}).
   */
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

  /**
   * VQA-RAD's answer type, {@code CLOSED} (yes/no and other fixed choices) or {@code OPEN}, as the
   * release states it; null for releases that do not. Results on VQA-RAD are published for the two
   * apart. Optional: manifests written before it have no such column.
   */
  public static final String ANSWER_TYPE = "answer_type";

  /** The organ a release states for the image (VQA-RAD: HEAD, CHEST, ABD); null where none. */
  public static final String ORGAN = "organ";

  /**
   * VQA-RAD's question type (PRES, POS, MODALITY, ABN, "PRES, POS", ...), trimmed and upper-cased;
   * null for releases that do not state one.
   */
  public static final String QUESTION_TYPE = "question_type";

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

  /** Columns a manifest may lack (written before they existed); readers take them as null. */
  public static final List<String> OPTIONAL = List.of(ANSWER_TYPE, ORGAN, QUESTION_TYPE);

  public static final List<String> REJECTED = List.of(SOURCE_FILE, SOURCE_LINE, RAW, REASON);

  private ManifestColumns() {}
}
