package org.medvqa.core.release;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.medvqa.core.Category;
import org.medvqa.core.ImageIds;

/**
 * Reads VQA-RAD's published JSON file (Lau et al., Scientific Data 5, 180251, 2018): a list of
 * objects with {@code image_name}, {@code question}, {@code answer}, {@code answer_type}
 * (CLOSED/OPEN), {@code phrase_type}, {@code question_type}, {@code image_organ} and more. {@code
 * phrase_type} says the split: {@code freeform} and {@code para} (paraphrases) are the training
 * part, {@code test_freeform} and {@code test_para} the official test part.
 *
 * <p>Each object becomes one {@link Entry}: a record, or the reason it cannot be one, with the line
 * the object starts on and its JSON text, so that a bad object is named in {@code _rejected} like a
 * bad line of a text release. The file is read as a stream with strict UTF-8; JSON that breaks off
 * rejects the rest of the file in one entry that says where.
 */
public final class VqaRadJson {
  /** {@code phrase_type} values and the split each belongs to. */
  public static final Map<String, String> SPLITS =
      Map.of("freeform", "train", "para", "train", "test_freeform", "test", "test_para", "test");

  /** The keys whose presence tells this layout from any other JSON file. */
  public static final List<String> SIGNATURE = List.of("image_name", "phrase_type", "answer_type");

  /**
   * The {@code question_type} values that ask what a VQA-Med 2019 category asks, and that category.
   * Combined types ("ABN, POS": where the abnormality is) ask something else.
   */
  public static final Map<String, Category> QUESTION_TYPE_CATEGORIES =
      Map.of(
          "MODALITY", Category.MODALITY,
          "PLANE", Category.PLANE,
          "ORGAN", Category.ORGAN,
          "ABN", Category.ABNORMALITY);

  /** What a record's category is taken from ({@code medvqa.ingest.vqa-rad-category}). */
  public enum CategoryBy {
    /** The answer type, {@code closed} or {@code open}, for every record. */
    ANSWER_TYPE,
    /**
     * For an open question, the 2019 category of its question type where it has one ({@link
     * #QUESTION_TYPE_CATEGORIES}); else the answer type.
     */
    QUESTION_TYPE;

    /** The name in the config ({@code answer-type}, {@code question-type}). */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The value of {@code name} as the config spells it. */
    public static CategoryBy fromConfigName(String name) {
      for (CategoryBy b : values()) {
        if (b.configName().equals(name)) {
          return b;
        }
      }
      throw new IllegalArgumentException("'" + name + "' is not one of answer-type, question-type");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();

  /**
   * One object of the file.
   *
   * @param line the line its object starts on (1-based)
   * @param raw its JSON text, compact
   * @param record the record, or null when rejected
   * @param split train or test (from {@code phrase_type}), or null when rejected
   * @param answerType CLOSED or OPEN, trimmed and upper-cased, or null when rejected
   * @param organ {@code image_organ} trimmed (HEAD, CHEST, ABD), or null where the object has none
   * @param questionType {@code question_type} trimmed and upper-cased (PRES, POS, MODALITY, ABN,
   *     "PRES, POS", ...), or null where the object has none
   * @param reason why the object is rejected, or null
   */
  public record Entry(
      int line,
      String raw,
      QaRecord record,
      String split,
      String answerType,
      String organ,
      String questionType,
      String reason) {
    public boolean isRejected() {
      return reason != null;
    }

    /**
     * The record's category: its answer type in lower case ({@code closed}, {@code open}), or under
     * {@link CategoryBy#QUESTION_TYPE}, for an open question, the 2019 category its question type
     * asks where it asks one. The models answer by category: a VQA-RAD "what plane is this?" then
     * meets what answers the 2019 plane questions (the image's neighbours beside the network)
     * instead of every other open question. Closed questions stay together: their answers are the
     * closed answers, and filed by their question type they were answered no better on the held-out
     * split (README, VQA-RAD).
     */
    public String category(CategoryBy by) {
      Category c =
          by == CategoryBy.QUESTION_TYPE && "OPEN".equals(answerType) && questionType != null
              ? QUESTION_TYPE_CATEGORIES.get(questionType)
              : null;
      return c != null ? c.label() : answerType.toLowerCase(Locale.ROOT);
    }
  }

  private VqaRadJson() {}

  /**
   * Whether {@code head} (the first few kilobytes of a file) looks like VQA-RAD's JSON: a list
   * whose objects carry the {@link #SIGNATURE} keys.
   */
  public static boolean looksLike(String head) {
    if (head == null || !head.stripLeading().startsWith("[")) {
      return false;
    }
    return SIGNATURE.stream().allMatch(k -> head.contains("\"" + k + "\""));
  }

  /** Reads every object of {@code in} (closed by the caller), handing each to {@code sink}. */
  public static void read(InputStream in, Consumer<Entry> sink) throws IOException {
    Reader reader =
        new InputStreamReader(
            in,
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
    int line = 1;
    try (JsonParser p = FACTORY.createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        sink.accept(rejected(1, "", "empty file: no records"));
        return;
      }
      if (t != JsonToken.START_ARRAY) {
        sink.accept(
            rejected(line(p), t.asString(), "not a VQA-RAD file: expected a JSON list of objects"));
        return;
      }
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          sink.accept(rejected(line(p), "", "the JSON list is not closed: the file is cut short"));
          return;
        }
        line = line(p);
        JsonNode node = JSON.readTree(p);
        sink.accept(entry(line, node));
      }
      if (p.nextToken() != null) {
        sink.accept(rejected(line(p), "", "text after the end of the JSON list"));
      }
    } catch (CharacterCodingException e) {
      sink.accept(
          rejected(
              line,
              "",
              "bytes that are not UTF-8 after line "
                  + line
                  + "; the rest of the file is not read"));
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      int where = at == null ? line : at.getLineNr();
      sink.accept(
          rejected(
              where,
              "",
              "not valid JSON at line "
                  + where
                  + " ("
                  + e.getOriginalMessage()
                  + "); the rest of the file is not read"));
    }
  }

  /** One object as an entry: a record, or the reason it is not one. */
  static Entry entry(int line, JsonNode node) {
    String raw = node.toString();
    if (!node.isObject()) {
      return rejected(line, raw, "not a JSON object");
    }
    String image = text(node, "image_name");
    if (image == null) {
      return rejected(line, raw, "no image_name");
    }
    String idProblem = ImageIds.problem(imageId(image));
    if (idProblem != null) {
      return rejected(line, raw, idProblem);
    }
    for (String key : List.of("question", "answer")) {
      JsonNode v = node.get(key);
      if (v != null && v.isContainerNode()) {
        return rejected(
            line,
            raw,
            key + " is a JSON " + v.getNodeType().name().toLowerCase(Locale.ROOT) + ", not text");
      }
    }
    String question = text(node, "question");
    if (question == null) {
      return rejected(line, raw, "empty question");
    }
    String answer = text(node, "answer");
    if (answer == null) {
      return rejected(line, raw, "empty answer");
    }
    String phrase = text(node, "phrase_type");
    String split = phrase == null ? null : SPLITS.get(phrase.toLowerCase(Locale.ROOT));
    if (split == null) {
      return rejected(
          line,
          raw,
          "phrase_type '"
              + (phrase == null ? "" : phrase)
              + "' is not one of freeform, para, test_freeform, test_para");
    }
    String type = text(node, "answer_type");
    String answerType = type == null ? null : type.toUpperCase(Locale.ROOT);
    if (!"CLOSED".equals(answerType) && !"OPEN".equals(answerType)) {
      return rejected(
          line, raw, "answer_type '" + (type == null ? "" : type) + "' is not CLOSED or OPEN");
    }
    QaRecord r = new QaRecord(imageId(image), question, List.of(answer), null, "vqa");
    String questionType = text(node, "question_type");
    return new Entry(
        line,
        raw,
        r,
        split,
        answerType,
        text(node, "image_organ"),
        questionType == null ? null : questionType.toUpperCase(Locale.ROOT),
        null);
  }

  /** The image id without its extension, as the other layouts name images. */
  static String imageId(String imageName) {
    int dot = imageName.lastIndexOf('.');
    return dot > 0 ? imageName.substring(0, dot) : imageName;
  }

  /**
   * A field as trimmed text (numbers, as the public file has for a few answers and ids, as their
   * text), or null when absent, JSON null, not a scalar, or blank.
   */
  private static String text(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull() || !v.isValueNode()) {
      return null;
    }
    String s = v.asText().trim();
    return s.isEmpty() ? null : s;
  }

  private static Entry rejected(int line, String raw, String reason) {
    return new Entry(line, raw, null, null, null, null, null, reason);
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }
}
