package org.medvqa.synth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * A seeded synthetic VQA-Med 2019 release: the same directories and files as the ImageCLEF one,
 * with images whose content decides every answer (see {@link Renderer} for the rules).
 *
 * <p>It exists so that the project's tests and demo run on machines without the real data, and so
 * that a pipeline which really uses the image can be told apart from one that only reads the
 * question: the attributes of an image are drawn independently, so a model that ignores the pixels
 * can do no better than the majority answer.
 *
 * <p>Everything written is a pure function of the {@link Settings}: two writes with the same
 * settings give byte-identical files.
 */
public final class SyntheticRelease {

  /** The question categories, as named in the test files' category column. */
  public static final List<String> CATEGORIES = labels(Category.values(), c -> c.label);

  /** Answers to modality questions. */
  public static final List<String> MODALITY_ANSWERS =
      labels(Scene.Modality.values(), m -> m.answer);

  /** Answers to plane questions. */
  public static final List<String> PLANE_ANSWERS = labels(Scene.Plane.values(), p -> p.answer);

  /**
   * Answers to organ questions; test reference answers may add one of {@link #ORGAN_ALTERNATIVES}.
   */
  public static final List<String> ORGAN_ANSWERS = labels(Scene.Organ.values(), o -> o.answer);

  /** Second acceptable organ answers that appear only after '#' in the test reference file. */
  public static final List<String> ORGAN_ALTERNATIVES =
      labels(Scene.Organ.values(), o -> o.alternative);

  /** Names of the marked lesions, the answers to "what is abnormal ..." questions. */
  public static final List<String> ABNORMALITY_ANSWERS =
      labels(Scene.Finding.values(), f -> f.answer);

  /** Answers to the yes/no abnormality questions ("is this image normal?"). */
  public static final List<String> YES_NO_ANSWERS = List.of("yes", "no");

  private final Settings settings;

  private SyntheticRelease(Settings settings) {
    this.settings = settings;
  }

  public static SyntheticRelease of(Settings settings) {
    return new SyntheticRelease(settings);
  }

  /**
   * Reads {@code medvqa.synth} from a whole application config, after checking it against this
   * module's reference.conf so that a misspelt or mistyped key fails here rather than later.
   */
  public static SyntheticRelease fromConfig(Config root) {
    root.checkValid(ConfigFactory.defaultReference(), "medvqa.synth");
    return of(Settings.fromConfig(root.getConfig("medvqa.synth")));
  }

  public Settings settings() {
    return settings;
  }

  /** Every answer a question of the category can have ("abnormality" includes yes and no). */
  public static List<String> answers(String category) {
    return switch (category) {
      case "modality" -> MODALITY_ANSWERS;
      case "plane" -> PLANE_ANSWERS;
      case "organ" -> ORGAN_ANSWERS;
      case "abnormality" -> {
        List<String> all = new ArrayList<>(ABNORMALITY_ANSWERS);
        all.addAll(YES_NO_ANSWERS);
        yield List.copyOf(all);
      }
      default -> throw new IllegalArgumentException("unknown category: " + category);
    };
  }

  /**
   * Generation settings; defaults and comments are in this module's reference.conf under {@code
   * medvqa.synth}.
   *
   * @param seed decides every image and question
   * @param trainImages training images, four QA pairs each
   * @param valImages validation images, four QA pairs each
   * @param testImages test images, one question each, categories balanced
   * @param imageSize side of the square images in pixels
   * @param rgbFraction share of images saved as 3-channel RGB instead of 8-bit grey
   * @param jpegQuality JPEG quality in (0, 1]
   * @param yesNoFraction share of abnormality questions that ask yes/no instead of naming the
   *     lesion
   */
  public record Settings(
      long seed,
      int trainImages,
      int valImages,
      int testImages,
      int imageSize,
      double rgbFraction,
      double jpegQuality,
      double yesNoFraction) {

    /** Image ids have six digits. */
    private static final int MAX_IMAGES = 999_999;

    public Settings {
      requireCount("train-images", trainImages);
      requireCount("val-images", valImages);
      requireCount("test-images", testImages);
      if (imageSize < 32 || imageSize > 2048) {
        throw new IllegalArgumentException("image-size must be in [32, 2048]: " + imageSize);
      }
      requireFraction("rgb-fraction", rgbFraction);
      requireFraction("yes-no-fraction", yesNoFraction);
      if (!(jpegQuality > 0 && jpegQuality <= 1)) {
        throw new IllegalArgumentException("jpeg-quality must be in (0, 1]: " + jpegQuality);
      }
    }

    /**
     * Reads the {@code medvqa.synth} section (pass {@code config.getConfig("medvqa.synth")}),
     * checking it against the reference section first.
     */
    public static Settings fromConfig(Config synth) {
      synth.checkValid(ConfigFactory.defaultReference().getConfig("medvqa.synth"));
      return new Settings(
          synth.getLong("seed"),
          synth.getInt("train-images"),
          synth.getInt("val-images"),
          synth.getInt("test-images"),
          synth.getInt("image-size"),
          synth.getDouble("rgb-fraction"),
          synth.getDouble("jpeg-quality"),
          synth.getDouble("yes-no-fraction"));
    }

    /** The reference.conf defaults. */
    public static Settings defaults() {
      return fromConfig(ConfigFactory.defaultReference().getConfig("medvqa.synth"));
    }

    public Settings withSeed(long newSeed) {
      return new Settings(
          newSeed,
          trainImages,
          valImages,
          testImages,
          imageSize,
          rgbFraction,
          jpegQuality,
          yesNoFraction);
    }

    public Settings withCounts(int train, int val, int test) {
      return new Settings(
          seed, train, val, test, imageSize, rgbFraction, jpegQuality, yesNoFraction);
    }

    private static void requireCount(String key, int value) {
      if (value < 0 || value > MAX_IMAGES) {
        throw new IllegalArgumentException(key + " must be in [0, " + MAX_IMAGES + "]: " + value);
      }
    }

    private static void requireFraction(String key, double value) {
      if (!(value >= 0 && value <= 1)) {
        throw new IllegalArgumentException(key + " must be in [0, 1]: " + value);
      }
    }
  }

  /** Images and QA pairs of one split (for the test split, one question per image). */
  public record SplitCounts(int images, int qaPairs) {}

  /** What {@link #write} produced. */
  public record Summary(
      Path root, long seed, SplitCounts train, SplitCounts val, SplitCounts test) {
    public int totalImages() {
      return train.images() + val.images() + test.images();
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "synthetic VQA-Med 2019 release (seed %d) at %s: train %d images / %d QA pairs,"
              + " validation %d images / %d QA pairs, test %d images / %d questions",
          seed,
          root,
          train.images(),
          train.qaPairs(),
          val.images(),
          val.qaPairs(),
          test.images(),
          test.qaPairs());
    }
  }

  /**
   * Writes the release under {@code root}, creating directories as needed and overwriting files of
   * the same names (files from an earlier, larger release are left alone).
   */
  public Summary write(Path root) throws IOException {
    Renderer renderer = new Renderer(settings.imageSize());
    SplitCounts train = writeTrainingLike(root, Split.TRAIN, settings.trainImages(), renderer);
    SplitCounts val = writeTrainingLike(root, Split.VALIDATION, settings.valImages(), renderer);
    SplitCounts test = writeTest(root, settings.testImages(), renderer);
    return new Summary(root, settings.seed(), train, val, test);
  }

  /** Training and validation: every image gets one question per category. */
  private SplitCounts writeTrainingLike(Path root, Split split, int count, Renderer renderer)
      throws IOException {
    Path dir = root.resolve(split.directory);
    Path images = dir.resolve(split.imagesDirectory);
    Files.createDirectories(images);
    Files.createDirectories(dir.resolve("QAPairsByCategory"));
    Map<Category, List<String>> byCategory = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      byCategory.put(c, new ArrayList<>());
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Scene scene = Scene.sample(settings, split, i);
      writeJpeg(renderer.render(scene), images.resolve(scene.imageId() + ".jpg"));
      ids.add(scene.imageId());
      for (Category c : Category.values()) {
        byCategory.get(c).add(scene.imageId() + "|" + scene.question(c) + "|" + scene.answer(c));
      }
    }
    List<String> all = new ArrayList<>();
    for (Category c : Category.values()) {
      List<String> lines = byCategory.get(c);
      writeLines(
          dir.resolve("QAPairsByCategory").resolve(c.fileStem + "_" + split.suffix + ".txt"),
          lines,
          true);
      all.addAll(lines); // the real "All" file is the category files one after another
    }
    // The real training "All" and id files end without a final newline; readers must cope.
    writeLines(dir.resolve("All_QA_Pairs_" + split.suffix + ".txt"), all, false);
    writeLines(dir.resolve(split.suffix + "_ImageIDs.txt"), ids, false);
    return new SplitCounts(count, all.size());
  }

  /**
   * Test: one question per image, with image i asking category {@code 4 i / count}, so the file is
   * grouped by category in the real file's order and the categories are balanced.
   */
  private SplitCounts writeTest(Path root, int count, Renderer renderer) throws IOException {
    Path dir = root.resolve(Split.TEST.directory);
    Path images = dir.resolve(Split.TEST.imagesDirectory);
    Files.createDirectories(images);
    List<String> questions = new ArrayList<>();
    List<String> answers = new ArrayList<>();
    Category[] categories = Category.values();
    for (int i = 0; i < count; i++) {
      Scene scene = Scene.sample(settings, Split.TEST, i);
      writeJpeg(renderer.render(scene), images.resolve(scene.imageId() + ".jpg"));
      Category c = categories[(int) ((long) i * categories.length / count)];
      String line = scene.imageId() + "|" + c.label + "|" + scene.question(c);
      questions.add(line);
      answers.add(line + "|" + scene.referenceAnswer(c));
    }
    writeLines(dir.resolve("VQAMed2019_Test_Questions.txt"), questions, true);
    writeLines(dir.resolve("VQAMed2019_Test_Questions_w_Ref_Answers.txt"), answers, true);
    return new SplitCounts(count, count);
  }

  private static void writeLines(Path file, List<String> lines, boolean finalNewline)
      throws IOException {
    String text = String.join("\n", lines) + (finalNewline && !lines.isEmpty() ? "\n" : "");
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
  }

  private void writeJpeg(BufferedImage image, Path file) throws IOException {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    if (!writers.hasNext()) {
      throw new IOException("this JDK has no JPEG writer");
    }
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality((float) settings.jpegQuality());
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    Files.write(file, bytes.toByteArray());
  }

  private static <T> List<String> labels(T[] values, java.util.function.Function<T, String> label) {
    return Arrays.stream(values).map(label).toList();
  }

  /**
   * Writes a release from the command line: {@code SyntheticRelease <root>}. Settings come from the
   * usual typesafe-config sources, so {@code -Dmedvqa.synth.seed=7} changes the seed.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: SyntheticRelease <output directory>");
      System.exit(2);
    }
    Summary summary = fromConfig(ConfigFactory.load()).write(Path.of(args[0]));
    System.out.println(summary);
  }
}
