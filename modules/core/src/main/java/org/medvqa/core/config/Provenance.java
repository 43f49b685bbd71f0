package org.medvqa.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Iterator;
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
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Keys whose values are never written: credentials can reach the config through --set. */
  private static final Pattern SECRET =
      Pattern.compile("(?i).*(secret|password|passwd|token|credential|access[._-]?key|session).*");

  private final String job;
  private final Instant started = Instant.now();
  private final Config config;
  private final Map<String, String> inputs = new LinkedHashMap<>();
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Map<String, String> notes = new LinkedHashMap<>();
  private Long seed;

  public Provenance(String job, Config config) {
    this.job = job;
    this.config = config;
  }

  public Provenance input(String name, String path) {
    inputs.put(name, path);
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
    root.set("config", redacted(config));
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code medvqa} subtree of the config as JSON, with secret-looking values redacted. */
  static JsonNode redacted(Config config) {
    try {
      String json =
          config.hasPath("medvqa")
              ? config.getConfig("medvqa").root().render(ConfigRenderOptions.concise())
              : "{}";
      JsonNode tree = JSON.readTree(json);
      redact(tree);
      return tree;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void redact(JsonNode node) {
    if (node instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      List<String> secret = new java.util.ArrayList<>();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (SECRET.matcher(e.getKey()).matches() && e.getValue().isValueNode()) {
          secret.add(e.getKey());
        } else {
          redact(e.getValue());
        }
      }
      secret.forEach(k -> o.put(k, "<redacted>"));
    } else if (node.isArray()) {
      node.forEach(Provenance::redact);
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
