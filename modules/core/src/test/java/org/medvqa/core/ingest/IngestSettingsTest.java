package org.medvqa.core.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Category;
import org.medvqa.core.config.ConfigProblem;
import org.medvqa.core.release.TextFormat;
import org.medvqa.core.release.VqaRadJson;

class IngestSettingsTest {
  /** The keys of the jobs' reference.conf, with its defaults. */
  private static final Config DEFAULTS =
      ConfigFactory.parseString(
          "medvqa.ingest { release = \"\", out = \"\", release-name = \"\", splits = [], files = [],"
              + " image-check = decode, max-rejected-fraction = 0.01,"
              + " vqa-rad-category = question-type,"
              + " holdout { fraction = 0.0, from = train, to = heldout, seed = 42 } }"
              + "\nmedvqa.images.max-side = 20000");

  private static IngestSettings parse(String user) {
    return IngestSettings.from(
        ConfigFactory.parseString("medvqa.ingest { release = /data/2019, out = /tmp/m }\n" + user)
            .withFallback(DEFAULTS)
            .resolve());
  }

  @Test
  void readsEveryKey() {
    IngestSettings s =
        parse(
            "medvqa.ingest { splits = [train], image-check = exists,"
                + " holdout { fraction = 0.1, seed = 7 } }\n"
                + "medvqa.images.max-side = 512");
    assertEquals("/data/2019", s.release());
    assertEquals("/tmp/m", s.out());
    assertEquals(List.of("train"), s.splits());
    assertEquals(IngestSettings.ImageCheckMode.EXISTS, s.imageCheck());
    assertEquals(512, s.maxImageSide());
    assertEquals(0.01, s.maxRejectedFraction());
    assertEquals(new IngestSettings.Holdout(0.1, "train", "heldout", 7), s.holdout());
    assertTrue(s.holdout().drawn());
    assertTrue(s.files().isEmpty());
    assertEquals(VqaRadJson.CategoryBy.QUESTION_TYPE, s.vqaRadCategory());
    assertEquals(
        VqaRadJson.CategoryBy.ANSWER_TYPE,
        parse("medvqa.ingest.vqa-rad-category = answer-type").vqaRadCategory());
  }

  @Test
  void namedFilesAreTyped() {
    IngestSettings s =
        parse(
            "medvqa.ingest.files = [{ path = a.txt, format = category-qa, split = train,"
                + " category = organ }, { path = b.txt, format = qa, split = val, images = img }]");
    IngestSettings.NamedFile a = s.files().get(0);
    assertEquals(TextFormat.CATEGORY_QA, a.format());
    assertEquals(Category.ORGAN, a.category());
    assertEquals("vqa", a.task());
    assertNull(a.images());
    assertEquals("img", s.files().get(1).images());
  }

  @Test
  void refusesByName() {
    ConfigProblem missing =
        assertThrows(ConfigProblem.class, () -> parse("medvqa.ingest.out = \"\""));
    assertTrue(missing.getMessage().contains("medvqa.ingest.out"), missing.getMessage());
    ConfigProblem check =
        assertThrows(ConfigProblem.class, () -> parse("medvqa.ingest.image-check = look"));
    assertTrue(check.getMessage().contains("medvqa.ingest.image-check"), check.getMessage());
    ConfigProblem rad =
        assertThrows(ConfigProblem.class, () -> parse("medvqa.ingest.vqa-rad-category = organ"));
    assertTrue(
        rad.getMessage().contains("medvqa.ingest.vqa-rad-category")
            && rad.getMessage().contains("question-type"),
        rad.getMessage());
    ConfigProblem category =
        assertThrows(
            ConfigProblem.class,
            () ->
                parse("medvqa.ingest.files = [{ path = a.txt, format = category-qa, split = x }]"));
    assertTrue(
        category.getMessage().contains("'medvqa.ingest.files[0].category'"), category.getMessage());
    ConfigProblem format =
        assertThrows(
            ConfigProblem.class,
            () -> parse("medvqa.ingest.files = [{ path = a.txt, format = csv, split = x }]"));
    assertTrue(
        format.getMessage().startsWith("medvqa.ingest.files[0].format"), format.getMessage());
  }
}
