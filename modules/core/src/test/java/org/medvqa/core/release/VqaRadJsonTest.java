package org.medvqa.core.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class VqaRadJsonTest {
  private static List<VqaRadJson.Entry> read(byte[] bytes) throws Exception {
    List<VqaRadJson.Entry> out = new ArrayList<>();
    VqaRadJson.read(new ByteArrayInputStream(bytes), out::add);
    return out;
  }

  private static List<VqaRadJson.Entry> read(String json) throws Exception {
    return read(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String object(String image, String question, String answer, String type) {
    return "{\"qid\": 1, \"image_name\": \""
        + image
        + "\", \"image_organ\": \"HEAD \", \"question\": \""
        + question
        + "\", \"answer\": "
        + answer
        + ", \"answer_type\": \""
        + type
        + "\", \"phrase_type\": \"freeform\"}";
  }

  @Test
  void publishedFieldsBecomeRecordsWithSplitAnswerTypeAndOrgan() throws Exception {
    String json =
        "[\n "
            + object("synpic1.jpg", "Is the brain infarcted?", "\"Yes\"", "CLOSED ")
            + ",\n "
            + object("synpic2.jpg", "How many lesions?", "2", "OPEN")
                .replace("freeform", "test_para")
            + "\n]\n";
    List<VqaRadJson.Entry> e = read(json);
    assertEquals(2, e.size());
    VqaRadJson.Entry a = e.get(0);
    assertFalse(a.isRejected(), a.reason());
    assertEquals(2, a.line());
    assertEquals("synpic1", a.record().imageId());
    assertEquals("Is the brain infarcted?", a.record().question());
    assertEquals(List.of("Yes"), a.record().answers());
    assertEquals("train", a.split());
    assertEquals("CLOSED", a.answerType()); // the published file has one "CLOSED " with a space
    assertEquals("HEAD", a.organ());
    VqaRadJson.Entry b = e.get(1);
    assertEquals(List.of("2"), b.record().answers()); // a numeric answer is its text
    assertEquals("test", b.split());
    assertEquals("OPEN", b.answerType());
    assertEquals(3, b.line());
  }

  @Test
  void theCategoryIsTheAnswerTypeOrTheTwentyNineteenCategoryOfAnOpenQuestionsType()
      throws Exception {
    // question, answer type, question type (null: the object has none)
    String[][] rows = {
      {"What modality?", "OPEN", " modality"},
      {"Is it axial?", "CLOSED", "PLANE"},
      {"What is abnormal?", "OPEN", "ABN"},
      {"Where is the mass?", "OPEN", "ABN, POS"},
      {"Is there a mass?", "CLOSED", "PRES"},
      {"Which organ?", "OPEN", null}
    };
    List<String> objects = new ArrayList<>();
    for (String[] r : rows) {
      String o = object("synpic1.jpg", r[0], "\"x\"", r[1]);
      objects.add(r[2] == null ? o : o.replace("}", ", \"question_type\": \"" + r[2] + "\"}"));
    }
    String json = "[" + String.join(",", objects) + "]";
    List<VqaRadJson.Entry> e = read(json);
    Function<VqaRadJson.CategoryBy, List<String>> categories =
        by -> e.stream().map(x -> x.category(by)).toList();
    assertEquals(
        List.of("modality", "closed", "abnormality", "open", "closed", "open"),
        categories.apply(VqaRadJson.CategoryBy.QUESTION_TYPE));
    assertEquals(
        List.of("open", "closed", "open", "open", "closed", "open"),
        categories.apply(VqaRadJson.CategoryBy.ANSWER_TYPE));
    assertEquals("MODALITY", e.get(0).questionType()); // trimmed and upper-cased
    assertEquals("ABN, POS", e.get(3).questionType());
    assertNull(e.get(5).questionType()); // a record without one is kept
    assertFalse(e.get(5).isRejected());
    assertEquals(
        VqaRadJson.CategoryBy.QUESTION_TYPE,
        VqaRadJson.CategoryBy.fromConfigName(VqaRadJson.CategoryBy.QUESTION_TYPE.configName()));
  }

  @Test
  void everyBadObjectIsRejectedWithItsLineAndReason() throws Exception {
    String json =
        "[\n"
            + object("synpic1.jpg", "ok?", "\"yes\"", "CLOSED")
            + ",\n"
            + object("synpic1.jpg", " ", "\"yes\"", "CLOSED")
            + ",\n"
            + object("synpic1.jpg", "q?", "\"\"", "CLOSED")
            + ",\n"
            + object("synpic1.jpg", "q?", "null", "CLOSED")
            + ",\n"
            + object("synpic1.jpg", "q?", "[\"a\"]", "OPEN")
            + ",\n"
            + object("synpic1.jpg", "q?", "\"yes\"", "MAYBE")
            + ",\n"
            + object("../x.jpg", "q?", "\"yes\"", "CLOSED")
            + ",\n"
            + object("synpic1.jpg", "q?", "\"yes\"", "CLOSED").replace("freeform", "test_x")
            + ",\n"
            + "{\"question\": \"no image?\", \"answer\": \"yes\"},\n"
            + "42\n"
            + "]";
    List<VqaRadJson.Entry> e = read(json);
    assertEquals(10, e.size());
    assertFalse(e.get(0).isRejected());
    String[] expected = {
      "empty question",
      "empty answer",
      "empty answer",
      "answer is a JSON array, not text",
      "answer_type 'MAYBE' is not CLOSED or OPEN",
      "path separator",
      "phrase_type 'test_x' is not one of",
      "no image_name",
      "not a JSON object"
    };
    for (int i = 0; i < expected.length; i++) {
      VqaRadJson.Entry x = e.get(i + 1);
      assertTrue(x.isRejected(), "object " + (i + 2) + " accepted");
      assertTrue(x.reason().contains(expected[i]), x.reason());
      assertEquals(i + 3, x.line(), x.reason());
      assertNull(x.record());
      assertFalse(x.raw().isEmpty(), "the raw object is kept for _rejected");
    }
  }

  @Test
  void brokenFilesSayWhereAndWhy() throws Exception {
    assertTrue(read("").get(0).reason().contains("empty file"));
    assertTrue(read("{\"a\": 1}").get(0).reason().contains("expected a JSON list"));
    List<VqaRadJson.Entry> cut =
        read("[\n" + object("synpic1.jpg", "ok?", "\"yes\"", "CLOSED") + ",\n{\"qid\": ");
    assertFalse(cut.get(0).isRejected(), "the objects before the break are kept");
    assertTrue(
        cut.get(cut.size() - 1).reason().contains("not valid JSON at line 3"), cut.toString());
    ByteArrayOutputStream bad = new ByteArrayOutputStream();
    bad.writeBytes(("[\n" + object("synpic1.jpg", "ok?", "\"yes\"", "CLOSED") + ",\n").getBytes());
    bad.writeBytes(object("synpic2.jpg", "what", "\"x\"", "OPEN").getBytes());
    byte[] b = bad.toByteArray();
    int at = new String(b, StandardCharsets.ISO_8859_1).lastIndexOf("what") + 4;
    b[at] = (byte) 0xFF; // not UTF-8, inside the second object's question
    List<VqaRadJson.Entry> enc = read(b);
    assertTrue(
        enc.stream().anyMatch(x -> x.isRejected() && x.reason().contains("not UTF-8")),
        enc.toString());
  }

  @Test
  void detectionTakesOnlyJsonWithVqaRadKeysAndFindsTheImageFolder() {
    String rad =
        "[\n {\"qid\": \"0\", \"phrase_type\": \"freeform\", \"image_name\": \"a.jpg\","
            + " \"answer_type\": \"OPEN\"";
    Function<String, String> head = p -> p.endsWith("rad.json") ? rad : "[{\"other\": 1}]";
    ReleaseLayout.Plan plan =
        ReleaseLayout.withVqaRad(
            new ReleaseLayout.Plan("custom", List.of(), List.of()),
            List.of("file:/d/VQA_RAD/rad.json", "file:/d/VQA_RAD/other.json"),
            List.of("file:/d/VQA_RAD/VQA_RAD Image Folder", "file:/elsewhere/images"),
            head,
            "train");
    assertEquals("vqa-rad", plan.release());
    assertEquals(1, plan.sources().size());
    TextSource s = plan.sources().get(0);
    assertEquals(TextFormat.VQA_RAD, s.format());
    assertEquals("file:/d/VQA_RAD/VQA_RAD Image Folder", s.imageDir());
    assertEquals(1, plan.ignored().size());
    assertTrue(plan.ignored().get(0).reason().contains("without VQA-RAD's keys"));
    assertFalse(VqaRadJson.looksLike("{\"image_name\": 1}"));
  }
}
