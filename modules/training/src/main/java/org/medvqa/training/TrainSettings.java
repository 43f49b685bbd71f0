package org.medvqa.training;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.medvqa.core.config.ConfigCheck;
import org.medvqa.core.io.ContentHash;
import org.medvqa.models.GraphKind;
import org.medvqa.models.ModelKind;
import org.medvqa.models.ModelKinds;

/**
 * The {@code medvqa.train} block, checked, with the {@code medvqa.train} block for the network
 * kinds: what {@link TrainStage} trains, on what, and where it writes.
 *
 * @param kind the model kind ({@code model})
 * @param manifest the ingest output to train on
 * @param out the model folder to write
 * @param split the manifest split to train on
 * @param extraManifests more manifests whose rows of the same split are trained on too
 * @param features the feature table folder (kinds that read cached features; else "" or, for
 *     pixels, "(images)")
 * @param featuresKey the manifest column matching the feature table's image id ("" for the majority
 *     baseline)
 * @param work the work folder ("" = beside out)
 * @param keepWork keep the work folder after success
 * @param training the trainer's settings (network kinds; null for the others)
 * @param fingerprint identifies the run's inputs and settings, for a resume (network kinds)
 * @param config the whole configuration: each kind reads its block {@code medvqa.models.<kind>},
 *     and the model folder records the settings
 */
public record TrainSettings(
    ModelKind kind,
    String manifest,
    String out,
    String split,
    List<String> extraManifests,
    String features,
    String featuresKey,
    String work,
    boolean keepWork,
    TrainingSettings training,
    String fingerprint,
    Config config) {

  public static final String PATH = "medvqa.train";

  /** The keys of {@code medvqa.train} that name the job's inputs and outputs, not the engine's. */
  private static final List<String> JOB_KEYS =
      List.of(
          "model",
          "manifest",
          "split",
          "extra-manifests",
          "out",
          "features",
          "features-key",
          "work",
          "keep-work");

  public static TrainSettings from(Config cfg) {
    String p = PATH + ".";
    ModelKind kind = ModelKinds.get(ConfigCheck.requireOneOf(cfg, p + "model", ModelKinds.names()));
    String manifest = ConfigCheck.requireString(cfg, p + "manifest");
    String out = ConfigCheck.requireString(cfg, p + "out");
    String split = cfg.getString(p + "split");
    List<String> extras = List.copyOf(cfg.getStringList(p + "extra-manifests"));
    if (!(kind instanceof GraphKind)) {
      return new TrainSettings(
          kind, manifest, out, split, extras, "", "", "", false, null, "", cfg);
    }
    String features =
        kind.input() == ModelKind.Input.PIXELS
            ? "(images)"
            : ConfigCheck.requireString(cfg, p + "features");
    String key = ConfigCheck.requireString(cfg, p + "features-key");
    TrainingSettings training = TrainingSettings.from(cfg);
    String fingerprint =
        fingerprint(
            cfg, kind.name(), extras.isEmpty() ? manifest : manifest + "+" + extras, features);
    return new TrainSettings(
        kind,
        manifest,
        out,
        split,
        extras,
        features,
        key,
        cfg.getString(p + "work"),
        cfg.getBoolean(p + "keep-work"),
        training,
        fingerprint,
        cfg);
  }

  /** Identifies a training run: what it trains on and every setting that shapes the result. */
  static String fingerprint(Config cfg, String kind, String manifest, String features) {
    MessageDigest md = ContentHash.digest();
    for (String part :
        List.of(
            kind,
            manifest,
            features,
            cfg.getString(PATH + ".split"),
            cfg.getString(PATH + ".features-key"),
            fingerprinted(cfg).root().render(ConfigRenderOptions.concise()),
            cfg.getConfig("medvqa.models." + kind).root().render(ConfigRenderOptions.concise()))) {
      md.update(part.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest()).substring(0, 16);
  }

  /** The engine settings a resume must match: not the epochs, test hooks and speed settings. */
  private static Config fingerprinted(Config cfg) {
    Config engine =
        engineSettings(cfg.getConfig(TrainingSettings.PATH))
            .withoutPath("epochs")
            .withoutPath("inject-task-failure");
    for (String key : TrainingSettings.SPEED_KEYS) {
      engine = engine.withoutPath(key);
    }
    return engine;
  }

  /**
   * The training engine's part of the {@code medvqa.train} block: without the job's inputs and
   * outputs, which are fingerprinted by their content or do not decide the result.
   */
  private static Config engineSettings(Config train) {
    for (String key : JOB_KEYS) {
      train = train.withoutPath(key);
    }
    return train;
  }
}
