package org.medvqa.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * What made an output: the job, its resolved configuration, its inputs, the code and library
 * versions, the seed, the times and the record counts. Written as {@code provenance.json} into
 * every output directory, last, so that its presence means the output is complete.
 */
public final class Provenance {
  /** Typed sections are written in snake_case, like the rest of the document. */
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(
              com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);

  /** What a secret value is written as. */
  public static final String REDACTED = "<redacted>";

  /**
   * Names of settings whose values are never written (credentials reach the config through files
   * and --set, e.g. {@code medvqa.hadoop.conf."fs.s3a.secret.key"}). The name is the whole dotted
   * path, however HOCON nested it, and only its end counts, so that {@code
   * fs.s3a.bucket.NAME.secret.key}, {@code fs.s3a.session.token} and {@code
   * spark.ssl.keyStorePassword} are caught while {@code fs.s3a.aws.credentials.provider} (a class
   * name), {@code spark.sql.session.timeZone} and {@code tokenizer} are kept. Azure's {@code
   * fs.azure.account.key.ACCOUNT...} carries the account after the word "key", so it is matched
   * anywhere. Hadoop's own list (hadoop.security.sensitive-config-keys) names the same kinds.
   */
  private static final Pattern SECRET =
      Pattern.compile(
          "(?i).*(secret|secret[._-]?key|access[._-]?key|session[._-]?key|private[._-]?key"
              + "|encryption[._-]?key|password|passwd|passphrase|[._-]pass|token|credentials?)"
              + "|(?i).*account[._-]?key([._-].*)?");

  /** {@code scheme://user:password@host}: the user part of a URI, which may hold a secret. */
  private static final Pattern URI_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

  private final String job;
  private final Instant started = Instant.now();
  private final Config config;
  private final Map<String, String> inputs = new LinkedHashMap<>();
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Map<String, String> notes = new LinkedHashMap<>();
  private final Map<String, Object> sections = new LinkedHashMap<>();
  private Long seed;

  public Provenance(String job, Config config) {
    this.job = job;
    this.config = config;
  }

  public Provenance input(String name, String path) {
    inputs.put(name, withoutUserInfo(path));
    return this;
  }

  public Provenance count(String name, long value) {
    counts.put(name, value);
    return this;
  }

  public Provenance note(String name, String value) {
    notes.put(name, value);
    return this;
  }

  /**
   * A typed part of the record, written as a JSON object under {@code name}: what another stage
   * reads back ({@link #section(byte[], String, Class)}), such as the pipeline's fingerprint or the
   * manifests a model was trained on, instead of text in the free-form notes.
   */
  public Provenance section(String name, Object value) {
    sections.put(name, value);
    return this;
  }

  /**
   * The typed part {@code name} of a provenance document, or null when it has none (an output made
   * by an older version).
   */
  public static <T> T section(byte[] provenanceJson, String name, Class<T> type)
      throws IOException {
    JsonNode node = JSON.readTree(provenanceJson).path(name);
    if (node.isMissingNode() || node.isNull()) {
      return null;
    }
    // Fields a newer version added are ignored, so that older code reads newer outputs.
    return JSON.readerFor(type)
        .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .readValue(node);
  }

  public Provenance seed(long value) {
    this.seed = value;
    return this;
  }

  /** The JSON document, with the end time set to now. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("job", job);
    root.put("started", started.toString());
    root.put("finished", Instant.now().toString());
    root.put("git_commit", BuildInfo.gitCommit());
    ObjectNode versions = root.putObject("versions");
    BuildInfo.versions().forEach(versions::put);
    if (seed != null) {
      root.put("seed", seed);
    }
    ObjectNode in = root.putObject("inputs");
    inputs.forEach(in::put);
    ObjectNode c = root.putObject("counts");
    counts.forEach(c::put);
    if (!notes.isEmpty()) {
      ObjectNode n = root.putObject("notes");
      notes.forEach(n::put);
    }
    sections.forEach((name, value) -> root.set(name, JSON.valueToTree(value)));
    root.set("config", redacted(config));
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code medvqa} subtree of the config as JSON, with secret values redacted. */
  static JsonNode redacted(Config config) {
    Config clean = withoutSecrets(config);
    try {
      String json =
          clean.hasPath("medvqa")
              ? clean.getConfig("medvqa").root().render(ConfigRenderOptions.concise())
              : "{}";
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The config with the value of every secret setting (see {@link #isSecret}) replaced by {@value
   * #REDACTED}, for anything that writes a config down: provenance, a model's {@code config.conf}.
   * Everything else, origins and comments included, is kept.
   */
  public static Config withoutSecrets(Config config) {
    return ((ConfigObject) scrub("", config.root())).toConfig();
  }

  /**
   * Whether a setting, named by its whole dotted path ({@code
   * medvqa.hadoop.conf.fs.s3a.secret.key}, quotes dropped), holds a secret.
   */
  public static boolean isSecret(String name) {
    return SECRET.matcher(name).matches();
  }

  /** A path or URI with any {@code user:password@} part replaced. */
  static String withoutUserInfo(String path) {
    return path == null ? null : URI_USER_INFO.matcher(path).replaceAll(REDACTED + "@");
  }

  private static ConfigValue scrub(String name, ConfigValue value) {
    switch (value.valueType()) {
      case OBJECT:
        {
          ConfigObject o = (ConfigObject) value;
          for (String key : List.copyOf(o.keySet())) {
            ConfigValue child = o.get(key);
            ConfigValue clean = scrub(name.isEmpty() ? key : name + "." + key, child);
            if (clean != child) {
              o = o.withValue(key, clean);
            }
          }
          return o;
        }
      case LIST:
        {
          // A list of objects is scrubbed element by element; its elements share the list's name.
          List<ConfigValue> out = new ArrayList<>();
          boolean changed = false;
          for (ConfigValue e : (ConfigList) value) {
            ConfigValue clean = scrub(name, e);
            changed |= clean != e;
            out.add(clean);
          }
          return changed ? ConfigValueFactory.fromIterable(out).withOrigin(value.origin()) : value;
        }
      case NULL:
        return value;
      default:
        return isSecret(name)
            ? ConfigValueFactory.fromAnyRef(REDACTED).withOrigin(value.origin())
            : value;
    }
  }

  /** Code and library versions, read once. */
  public static final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    private static Properties load() {
      Properties p = new Properties();
      try (InputStream in = Provenance.class.getResourceAsStream("/medvqa-build.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // Versions are informative; a missing file leaves them "unknown".
      }
      return p;
    }

    /**
     * The git commit the jar was built from (set by the Makefile at build time), else the commit of
     * the working directory when run from a checkout, else "unknown".
     */
    public static String gitCommit() {
      String c = PROPS.getProperty("git.commit", "");
      if (!c.isBlank() && !c.startsWith("${") && !"unknown".equals(c)) {
        return c;
      }
      try {
        Process p =
            new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
        String out =
            new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                .trim();
        if (p.waitFor() == 0 && out.matches("[0-9a-f]{40}")) {
          return out;
        }
      } catch (IOException e) {
        // No git on this machine (an executor, a container): fall through.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "unknown";
    }

    public static Map<String, String> versions() {
      Map<String, String> v = new LinkedHashMap<>();
      v.put("medvqa", PROPS.getProperty("medvqa.version", "unknown"));
      v.put("java", System.getProperty("java.version"));
      for (String k : PROPS.stringPropertyNames().stream().sorted().toList()) {
        if (k.startsWith("lib.")) {
          v.put(k.substring(4), PROPS.getProperty(k));
        }
      }
      return v;
    }
  }
}
