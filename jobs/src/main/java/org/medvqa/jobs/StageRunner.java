package org.medvqa.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.medvqa.core.io.ContentHash;
import org.medvqa.core.io.HadoopFiles;
import org.medvqa.core.stage.StageContext;
import org.medvqa.core.stage.StageFailure;

/**
 * Runs the stages of a composite job (pipeline, run, retrain) so that a rerun continues where the
 * last one stopped, and never mixes outputs made from other inputs or settings.
 *
 * <p>Each stage output carries a fingerprint in its provenance: a hash of the stage's own settings
 * (the config subtrees it reads) and of its inputs' fingerprints. An input is either an earlier
 * stage's output (its recorded fingerprint) or a folder the pipeline did not make, such as a
 * release (a hash of its file listing: names, sizes, modification times). So:
 *
 * <ul>
 *   <li>output complete (provenance written) with the same fingerprint: skipped;
 *   <li>complete with another fingerprint: refused with what differs, because overwriting it would
 *       lose the earlier result and keeping it would mix two configurations;
 *   <li>present but without provenance (a killed stage): removed and run again; training resumes
 *       from its checkpoints, which live outside the model folder.
 * </ul>
 */
final class StageRunner {
  static final String FINGERPRINT = "pipeline_fingerprint";
  static final String SETTINGS = "pipeline_settings_sha256";
  static final String INPUTS = "pipeline_inputs";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final StageContext ctx;
  private final List<String> ran = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  StageRunner(StageContext ctx) {
    this.ctx = ctx;
  }

  /** Stage outputs run in this invocation, in order. */
  List<String> ran() {
    return ran;
  }

  /** Stage outputs found complete with the same fingerprint, in order. */
  List<String> skipped() {
    return skipped;
  }

  /**
   * Runs {@code job} into {@code out} unless it is complete already for these settings and inputs.
   *
   * @param settings the config subtrees (paths under {@code c}) whose values decide the output
   * @param inputs the stage's inputs by name: their fingerprints (see {@link #fingerprintOf})
   * @return the output's fingerprint
   */
  String run(
      String jobName,
      Job job,
      Path out,
      Config c,
      List<String> settings,
      Map<String, String> inputs)
      throws Exception {
    HadoopFiles files = ctx.files();
    String settingsHash = settingsHash(c, settings);
    String fingerprint = fingerprint(jobName, settingsHash, inputs);
    Path provenance = new Path(out, "provenance.json");
    if (files.exists(provenance)) {
      JsonNode notes = JSON.readTree(files.readAll(provenance)).path("notes");
      String recorded = notes.path(FINGERPRINT).asText("");
      if (recorded.equals(fingerprint)) {
        ctx.say(
            jobName + ": " + out.getName() + " is complete for these inputs and settings; skipped");
        skipped.add(out.getName());
        return fingerprint;
      }
      if (recorded.isEmpty()) {
        // Made before outputs were fingerprinted: complete, but nothing says from what.
        ctx.say(
            jobName
                + ": "
                + out.getName()
                + " is complete but has no fingerprint (made by an older version); kept as it is");
        skipped.add(out.getName());
        return fingerprintOf(out);
      }
      throw new StageFailure(
          jobName
              + ": "
              + out
              + " was made from "
              + differences(notes, settingsHash, inputs)
              + "; remove it or choose another medvqa.out");
    }
    if (files.exists(out)) {
      ctx.say(jobName + ": " + out.getName() + " is incomplete (no provenance); made again");
      files.fs(out).delete(out, true);
    }
    // A killed stage also leaves its temporary output beside the target (HadoopFiles.temporaryFor).
    for (Path t : files.removeLeftovers(out)) {
      ctx.say(jobName + ": removed the temporary output of an interrupted attempt: " + t);
    }
    StageContext stage =
        ctx.derive(jobName, c)
            .stamped(
                Map.of(FINGERPRINT, fingerprint, SETTINGS, settingsHash, INPUTS, render(inputs)));
    int rc = job.run(stage);
    if (rc != Main.OK) {
      throw new StageFailure(jobName + " failed (exit " + rc + ")");
    }
    ran.add(out.getName());
    return fingerprint;
  }

  /**
   * The fingerprint of a folder used as an input: its recorded one when a stage made it, else a
   * hash of its file listing (relative names, sizes, modification times).
   */
  String fingerprintOf(Path dir) throws IOException {
    HadoopFiles files = ctx.files();
    Path provenance = new Path(dir, "provenance.json");
    if (files.exists(provenance)) {
      String recorded =
          JSON.readTree(files.readAll(provenance)).path("notes").path(FINGERPRINT).asText("");
      if (!recorded.isEmpty()) {
        return recorded;
      }
    }
    if (!files.exists(dir)) {
      throw new StageFailure("input " + dir + " does not exist");
    }
    FileStatus root = files.fs(dir).getFileStatus(dir);
    MessageDigest md = sha256();
    String prefix = root.getPath().toUri().getPath();
    if (root.isFile()) {
      update(md, root.getPath().getName() + "|" + root.getLen() + "|" + root.getModificationTime());
    } else {
      List<String> lines = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = files.fs(dir).listFiles(dir, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String rel = f.getPath().toUri().getPath().substring(prefix.length());
        lines.add(rel + "|" + f.getLen() + "|" + f.getModificationTime());
      }
      lines.sort(null);
      lines.forEach(l -> update(md, l));
    }
    return "listing:" + HexFormat.of().formatHex(md.digest());
  }

  /** A hash of the given config subtrees (absent ones count as absent). */
  static String settingsHash(Config c, List<String> settings) {
    MessageDigest md = sha256();
    for (String path : settings) {
      // Concise rendering sorts object keys, so the text is stable for equal settings.
      String value =
          c.hasPath(path) ? c.getValue(path).render(ConfigRenderOptions.concise()) : "(absent)";
      update(md, path + "=" + value);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String fingerprint(String job, String settingsHash, Map<String, String> inputs) {
    MessageDigest md = sha256();
    update(md, job);
    update(md, settingsHash);
    update(md, render(inputs));
    return HexFormat.of().formatHex(md.digest());
  }

  /** What differs between a recorded output and this invocation, for the refusal message. */
  private static String differences(
      JsonNode notes, String settingsHash, Map<String, String> inputs) {
    List<String> parts = new ArrayList<>();
    if (!notes.path(SETTINGS).asText("").equals(settingsHash)) {
      parts.add("other settings");
    }
    Map<String, String> recorded = parse(notes.path(INPUTS).asText(""));
    for (Map.Entry<String, String> e : inputs.entrySet()) {
      if (!e.getValue().equals(recorded.get(e.getKey()))) {
        parts.add("another " + e.getKey());
      }
    }
    for (String k : recorded.keySet()) {
      if (!inputs.containsKey(k)) {
        parts.add("an input this run does not have (" + k + ")");
      }
    }
    return parts.isEmpty() ? "another configuration" : String.join(" and ", parts);
  }

  private static String render(Map<String, String> inputs) {
    StringBuilder b = new StringBuilder();
    inputs.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e ->
                b.append(b.isEmpty() ? "" : ",")
                    .append(e.getKey())
                    .append('=')
                    .append(e.getValue()));
    return b.toString();
  }

  private static Map<String, String> parse(String rendered) {
    Map<String, String> m = new LinkedHashMap<>();
    if (!rendered.isEmpty()) {
      for (String part : rendered.split(",")) {
        int eq = part.indexOf('=');
        m.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return m;
  }

  /** Hex SHA-256 of a text (UTF-8): ids and cache names made from settings. */
  static String sha256Hex(String text) {
    return ContentHash.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private static void update(MessageDigest md, String s) {
    md.update(s.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
  }
}
