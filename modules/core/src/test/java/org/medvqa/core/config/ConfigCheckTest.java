package org.medvqa.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class ConfigCheckTest {
  private static final Config REF =
      ConfigFactory.parseString(
          "medvqa { train { epochs = 20, lr = 1e-4, out = \"\" }, spark.conf {}, hadoop.conf {} }");

  private static void check(String user) {
    ConfigCheck.validate(
        ConfigFactory.parseString(user).withFallback(REF).resolve(), REF, "medvqa");
  }

  @Test
  void acceptsKnownKeysAndFreeSparkSettings() {
    check("medvqa.train.epochs = 3\nmedvqa.spark.conf { \"spark.executor.memory\" = 4g }");
  }

  @Test
  void refusesUnknownKeyByNameWithAHint() {
    ConfigProblem p = assertThrows(ConfigProblem.class, () -> check("medvqa.train.epoch = 3"));
    assertTrue(p.getMessage().contains("unknown config key 'medvqa.train.epoch'"), p.getMessage());
    assertTrue(p.getMessage().contains("did you mean 'medvqa.train.epochs'"), p.getMessage());
  }

  @Test
  void refusesWrongTypeByName() {
    ConfigProblem p = assertThrows(ConfigProblem.class, () -> check("medvqa.train.epochs = many"));
    assertTrue(p.getMessage().contains("medvqa.train.epochs"), p.getMessage());
  }

  @Test
  void requiredKeysAndRanges() {
    Config c = REF.resolve();
    ConfigProblem p =
        assertThrows(ConfigProblem.class, () -> ConfigCheck.requireString(c, "medvqa.train.out"));
    assertTrue(p.getMessage().contains("missing required config key 'medvqa.train.out'"));
    assertEquals(1e-4, ConfigCheck.requireRange(c, "medvqa.train.lr", 0, 1));
    assertThrows(
        ConfigProblem.class, () -> ConfigCheck.requireRange(c, "medvqa.train.epochs", 0, 1));
  }

  @Test
  void provenanceRedactsSecrets() {
    Config c =
        ConfigFactory.parseString(
            "medvqa.hadoop.conf { \"fs.s3a.secret.key\" = hunter2, \"fs.s3a.access.key\" = AKIA123 }"
                + "\nmedvqa.train.out = /x");
    String json = new Provenance("train", c).input("manifest", "/m").count("n", 3).seed(7).toJson();
    assertTrue(json.contains("\"job\" : \"train\""), json);
    assertTrue(json.contains("\"seed\" : 7"), json);
    assertTrue(json.contains("<redacted>"), json);
    assertTrue(!json.contains("hunter2") && !json.contains("AKIA123"), json);
    assertTrue(json.contains("\"out\" : \"/x\""), json);
  }
}
