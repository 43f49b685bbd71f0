package org.medvqa.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.medvqa.core.config.Provenance;
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
public final class StageRunner {
  /** The typed provenance section a stage output made by a pipeline carries. */
  public static final String SECTION = "pipeline";

  /** What a pipeline stamps on a stage output: its fingerprint and what went into it. */
  public record Stamp(String fingerprint, String settingsSha256, Map<String, String> inputs) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final StageContext ctx;
  private final List<String> ran = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();

  public StageRunner(StageContext ctx) {
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
   * Runs {@code stage} into {@code out} unless it is complete already for these settings and
   * inputs.
   *
   * @param call how the stage is run
   * @param c the stage's config (see {@link PipelineStage#configure})
   * @param inputs the stage's inputs by name: their fingerprints (see {@link #fingerprintOf})
   * @return the output's fingerprint
   */
  String run(PipelineStage stage, StageCall call, Path out, Config c, Map<String, String> inputs)
      throws Exception {
    String settingsHash = settingsHash(c, stage.settings());
    Stamp stamp =
        new Stamp(
            fingerprint(stage.id(), settingsHash, inputs), settingsHash, new TreeMap<>(inputs));
    Path provenance = new Path(out, "provenance.json");
    if (ctx.files().exists(provenance)) {
      return complete(stage, out, stamp, recorded(provenance));
    }
    if (ctx.files().exists(out)) {
      ctx.say(stage.id() + ": " + out.getName() + " is incomplete (no provenance); made again");
      ctx.files().fs(out).delete(out, true);
    }
    // A killed stage also leaves its temporary output beside the target (HadoopFiles.temporaryFor).
    for (Path t : ctx.files().removeLeftovers(out)) {
      ctx.say(stage.id() + ": removed the temporary output of an interrupted attempt: " + t);
    }
    call.run(ctx.derive(stage.id(), c).stamped(SECTION, stamp));
    ran.add(out.getName());
    return stamp.fingerprint();
  }

  /** A complete output: skipped when made from the same inputs and settings, else refused. */
  private String complete(PipelineStage stage, Path out, Stamp wanted, Stamp recorded)
      throws IOException {
    if (recorded == null) {
      // Made before outputs were fingerprinted: complete, but nothing says from what.
      ctx.say(
          stage.id()
              + ": "
              + out.getName()
              + " is complete but has no fingerprint (made by an older version); kept as it is");
      skipped.add(out.getName());
      return fingerprintOf(out);
    }
    if (recorded.fingerprint().equals(wanted.fingerprint())) {
      ctx.say(
          stage.id()
              + ": "
              + out.getName()
              + " is complete for these inputs and settings; skipped");
      skipped.add(out.getName());
      return wanted.fingerprint();
    }
    throw new StageFailure(
        stage.id()
            + ": "
            + out
            + " was made from "
            + differences(recorded, wanted)
            + "; remove it or choose another medvqa.out");
  }

  /**
   * The stamp an output's provenance records: its typed section, or for outputs made before it
   * existed the same values in the notes; null when it has neither.
   */
  private Stamp recorded(Path provenance) throws IOException {
    byte[] json = ctx.files().readAll(provenance);
    Stamp s = Provenance.section(json, SECTION, Stamp.class);
    if (s != null) {
      return s;
    }
    JsonNode notes = JSON.readTree(json).path("notes");
    String fingerprint = notes.path("pipeline_fingerprint").asText("");
    return fingerprint.isEmpty()
        ? null
        : new Stamp(
            fingerprint,
            notes.path("pipeline_settings_sha256").asText(""),
            parse(notes.path("pipeline_inputs").asText("")));
  }

  /**
   * The fingerprint of a folder used as an input: its recorded one when a stage made it, else a
   * hash of its file listing (relative names, sizes, modification times).
   */
  public String fingerprintOf(Path dir) throws IOException {
    HadoopFiles files = ctx.files();
    Path provenance = new Path(dir, "provenance.json");
    if (files.exists(provenance)) {
      Stamp recorded = recorded(provenance);
      if (recorded != null) {
        return recorded.fingerprint();
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
  public static String settingsHash(Config c, List<String> settings) {
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
  private static String differences(Stamp recorded, Stamp wanted) {
    List<String> parts = new ArrayList<>();
    if (!recorded.settingsSha256().equals(wanted.settingsSha256())) {
      parts.add("other settings");
    }
    for (Map.Entry<String, String> e : wanted.inputs().entrySet()) {
      if (!e.getValue().equals(recorded.inputs().get(e.getKey()))) {
        parts.add("another " + e.getKey());
      }
    }
    for (String k : recorded.inputs().keySet()) {
      if (!wanted.inputs().containsKey(k)) {
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
  public static String sha256Hex(String text) {
    return ContentHash.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    return ContentHash.digest();
  }

  private static void update(MessageDigest md, String s) {
    md.update(s.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
  }
}
