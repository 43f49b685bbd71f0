package org.medvqa.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What provenance.json (and anything else that writes a config down) leaves out: secrets. */
class ProvenanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every way a credential reaches medvqa.hadoop.conf / medvqa.spark.conf, each its own value. */
  private static Config withSecrets() {
    return ConfigFactory.parseString(
            String.join(
                "\n",
                "medvqa.hadoop.conf {",
                "  \"fs.s3a.access.key\" = s3-access-1",
                "  \"fs.s3a.secret.key\" = s3-secret-2",
                "  \"fs.s3a.session.token\" = s3-token-3",
                "  \"fs.s3a.bucket.raw-data.access.key\" = bucket-access-4",
                "  \"fs.s3a.bucket.raw-data.secret.key\" = bucket-secret-5",
                "  \"fs.s3a.encryption.key\" = sse-key-6",
                "  \"fs.azure.account.key.acct.blob.core.windows.net\" = azure-key-7",
                "  \"fs.s3a.endpoint\" = \"http://127.0.0.1:9000\"",
                "  \"fs.s3a.bucket.raw-data.endpoint\" = \"http://127.0.0.1:9001\"",
                "  \"fs.s3a.aws.credentials.provider\" = "
                    + "\"org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider\"",
                "  \"hadoop.security.credential.provider.path\" = "
                    + "\"jceks://file/etc/medvqa/s3.jceks\"",
                "}",
                "medvqa.spark.conf {",
                "  \"spark.hadoop.fs.s3a.secret.key\" = spark-secret-8",
                "  \"spark.ssl.keyStorePassword\" = keystore-password-9",
                "  \"spark.sql.session.timeZone\" = UTC",
                "}",
                "medvqa.augment.tokenizer = \"opennlp-en-ud-ewt-tokens-1.3-2.5.4.bin\"",
                "medvqa.train.features-key = resnet50",
                "medvqa.train.out = \"s3a://bucket/model\"",
                "medvqa.stores = [ { name = a, password = list-password-10 }, plain ]",
                "other.secret = outside-medvqa-11"))
        // --set medvqa.hadoop.conf.fs.s3a.secret.key=... (no quotes) nests the key as objects.
        .withValue(
            "medvqa.hadoop.conf.fs.s3a.bucket.logs.secret.key",
            ConfigValueFactory.fromAnyRef("nested-secret-12"))
        .resolve();
  }

  private static final List<String> SECRETS =
      List.of(
          "s3-access-1",
          "s3-secret-2",
          "s3-token-3",
          "bucket-access-4",
          "bucket-secret-5",
          "sse-key-6",
          "azure-key-7",
          "spark-secret-8",
          "keystore-password-9",
          "list-password-10",
          "nested-secret-12");

  @Test
  void secretNamesAreJudgedByTheirEnd() {
    for (String name :
        List.of(
            "medvqa.hadoop.conf.fs.s3a.access.key",
            "medvqa.hadoop.conf.fs.s3a.secret.key",
            "medvqa.hadoop.conf.fs.s3a.bucket.my-bucket.secret.key",
            "medvqa.hadoop.conf.fs.s3a.bucket.my.dotted.bucket.access.key",
            "medvqa.hadoop.conf.fs.s3a.session.token",
            "medvqa.hadoop.conf.fs.s3a.server-side-encryption.key",
            "medvqa.hadoop.conf.fs.azure.account.key.acct.dfs.core.windows.net",
            "medvqa.hadoop.conf.fs.azure.account.oauth2.client.secret",
            "medvqa.spark.conf.spark.authenticate.secret",
            "medvqa.spark.conf.spark.ssl.keyPassword",
            "medvqa.hadoop.conf.ssl.server.keystore.pass",
            "medvqa.hadoop.conf.fs.s3a.bucket.b.session.key",
            "medvqa.hadoop.conf.fs.gs.auth.service.account.private.key",
            "medvqa.db.PASSWORD",
            "medvqa.api.credentials")) {
      assertTrue(Provenance.isSecret(name), name);
    }
    for (String name :
        List.of(
            "medvqa.hadoop.conf.fs.s3a.aws.credentials.provider",
            "medvqa.hadoop.conf.hadoop.security.credential.provider.path",
            "medvqa.hadoop.conf.fs.s3a.endpoint",
            "medvqa.hadoop.conf.fs.s3a.path.style.access",
            "medvqa.hadoop.conf.fs.s3a.delegation.token.binding",
            "medvqa.spark.conf.spark.sql.session.timeZone",
            "medvqa.augment.tokenizer",
            "medvqa.train.features-key",
            "medvqa.secrets-dir",
            "medvqa.proxy.bypass",
            "medvqa.hadoop.conf.ssl.server.keystore.location")) {
      assertFalse(Provenance.isSecret(name), name);
    }
  }

  @Test
  void provenanceWritesNoSecretAndKeepsEverythingElse() throws Exception {
    String json =
        new Provenance("train", withSecrets())
            .input("manifest", "s3a://user-info-13:user-secret-14@bucket/ingest")
            .input("local", "/data/ingest")
            .count("n", 3)
            .toJson();
    for (String secret : SECRETS) {
      assertFalse(json.contains(secret), secret + " in\n" + json);
    }
    assertFalse(json.contains("user-secret-14") || json.contains("user-info-13"), json);
    assertFalse(json.contains("outside-medvqa-11"), "only the medvqa subtree is recorded");

    JsonNode root = JSON.readTree(json);
    JsonNode hadoop = root.path("config").path("hadoop").path("conf");
    assertEquals(Provenance.REDACTED, hadoop.path("fs.s3a.secret.key").asText());
    assertEquals(Provenance.REDACTED, hadoop.path("fs.s3a.bucket.raw-data.secret.key").asText());
    assertEquals(
        Provenance.REDACTED,
        hadoop
            .path("fs")
            .path("s3a")
            .path("bucket")
            .path("logs")
            .path("secret")
            .path("key")
            .asText(),
        "a key nested by an unquoted --set is judged by its whole path");
    // Settings that say how the credentials were found stay readable.
    assertEquals("http://127.0.0.1:9000", hadoop.path("fs.s3a.endpoint").asText());
    assertEquals(
        "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        hadoop.path("fs.s3a.aws.credentials.provider").asText());
    assertEquals(
        "jceks://file/etc/medvqa/s3.jceks",
        hadoop.path("hadoop.security.credential.provider.path").asText());
    JsonNode config = root.path("config");
    assertEquals(
        "UTC", config.path("spark").path("conf").path("spark.sql.session.timeZone").asText());
    assertEquals(
        "opennlp-en-ud-ewt-tokens-1.3-2.5.4.bin",
        config.path("augment").path("tokenizer").asText());
    assertEquals("resnet50", config.path("train").path("features-key").asText());
    assertEquals("s3a://bucket/model", config.path("train").path("out").asText());
    assertEquals("a", config.path("stores").path(0).path("name").asText());
    assertEquals(Provenance.REDACTED, config.path("stores").path(0).path("password").asText());
    assertEquals("plain", config.path("stores").path(1).asText());

    assertEquals(
        "s3a://" + Provenance.REDACTED + "@bucket/ingest",
        root.path("inputs").path("manifest").asText());
    assertEquals("/data/ingest", root.path("inputs").path("local").asText());
  }

  @Test
  void withoutSecretsKeepsTheConfigUsable() {
    Config c = withSecrets();
    Config clean = Provenance.withoutSecrets(c);
    String rendered = clean.root().render();
    for (String secret : SECRETS) {
      assertFalse(rendered.contains(secret), secret);
    }
    assertEquals("<redacted>", clean.getString("medvqa.hadoop.conf.\"fs.s3a.secret.key\""));
    assertEquals(
        "http://127.0.0.1:9000", clean.getString("medvqa.hadoop.conf.\"fs.s3a.endpoint\""));
    assertEquals("resnet50", clean.getString("medvqa.train.features-key"));
    assertEquals(2, clean.getList("medvqa.stores").size());
    // The input is not changed: the job still needs the real values.
    assertEquals("s3-secret-2", c.getString("medvqa.hadoop.conf.\"fs.s3a.secret.key\""));
    // Nothing to redact: the same values come back.
    Config plain = ConfigFactory.parseString("medvqa.train { epochs = 3, out = x }");
    assertEquals(plain, Provenance.withoutSecrets(plain));
  }
}
