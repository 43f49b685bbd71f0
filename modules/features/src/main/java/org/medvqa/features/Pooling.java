package org.medvqa.features;

import java.io.Serializable;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medvqa.core.config.ConfigProblem;

/**
 * What the image feature is made of ({@code medvqa.features.pooling}): a list of global poolings of
 * the outputs of ResNet50's bottleneck stages, concatenated in the listed order. {@code res5-mean}
 * alone (the default) is the usual 2048-wide feature; {@code res4-max} is the channel-wise maximum
 * over the 1024-channel map at the end of stage res4, and so on.
 *
 * <p>Why: the last stage's mean describes what the image shows as ImageNet classes see it; earlier
 * stages keep texture and contrast (what tells a T1 from a T2 image, or contrast from none), and
 * the maximum keeps a small finding that the mean over the whole map dilutes.
 *
 * @param items the poolings, each {@code res<stage>-<mean|max>} with stage 3, 4 or 5, no repeats
 */
public record Pooling(List<String> items) implements Serializable {
  private static final Pattern ITEM = Pattern.compile("res([345])-(mean|max)");

  /** The default: the global average of the last stage, the 2048-wide feature. */
  public static final Pooling DEFAULT = new Pooling(List.of("res5-mean"));

  public Pooling {
    items = List.copyOf(items);
    if (items.isEmpty()) {
      throw problem(items, "at least one pooling");
    }
    for (String s : items) {
      if (!ITEM.matcher(s).matches()) {
        throw problem(items, "res3, res4 or res5, then -mean or -max (e.g. res4-max), not " + s);
      }
    }
    if (items.stream().distinct().count() != items.size()) {
      throw problem(items, "each pooling once");
    }
  }

  private static ConfigProblem problem(List<String> items, String expected) {
    return new ConfigProblem(
        "config key '" + FeatureSettings.PATH + ".pooling' is " + items + ", expected " + expected);
  }

  public boolean isDefault() {
    return equals(DEFAULT);
  }

  /**
   * The stages whose whole map an engine must return: every stage pooled by anything but the res5
   * mean, which the engines compute themselves (ascending, no repeats).
   */
  public int[] mapStages() {
    return items.stream()
        .filter(s -> !s.equals("res5-mean"))
        .mapToInt(Pooling::stage)
        .distinct()
        .sorted()
        .toArray();
  }

  /** Width of the concatenated feature for {@code network}. */
  public int width(ResNet50 network) {
    int w = 0;
    for (String s : items) {
      w += network.stageWidth(stage(s));
    }
    return w;
  }

  /**
   * Where {@code item} lies in the concatenated feature of {@code network}: {from, to}.
   *
   * @throws IllegalArgumentException when the list does not have it
   */
  public int[] range(String item, ResNet50 network) {
    int at = 0;
    for (String s : items) {
      int w = network.stageWidth(stage(s));
      if (s.equals(item)) {
        return new int[] {at, at + w};
      }
      at += w;
    }
    throw new IllegalArgumentException(item + " is not one of the poolings " + items);
  }

  private static int stage(String item) {
    return item.charAt(3) - '0';
  }

  /**
   * The feature of image {@code i}: each pooling in order, from the engine's res5 mean and the maps
   * of {@link #mapStages()}.
   *
   * @param res5Mean the engine's pooled feature of image {@code i}
   * @param maps per stage of {@link #mapStages()}, in that order: the maps of all images, NHWC in
   *     one flat array each
   * @param sides per stage of {@link #mapStages()}: the map's side
   */
  public float[] feature(int i, float[] res5Mean, float[][] maps, int[] sides, ResNet50 network) {
    int[] stages = mapStages();
    float[] out = new float[width(network)];
    int at = 0;
    for (String s : items) {
      Matcher m = ITEM.matcher(s);
      m.matches();
      int stage = Integer.parseInt(m.group(1));
      int c = network.stageWidth(stage);
      if (s.equals("res5-mean")) {
        System.arraycopy(res5Mean, 0, out, at, c);
      } else {
        int k = indexOf(stages, stage);
        pool(maps[k], i, sides[k] * sides[k], c, m.group(2).equals("max"), out, at);
      }
      at += c;
    }
    return out;
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    throw new IllegalStateException("no map of stage " + v);
  }

  /** The mean or maximum over the {@code hw} positions of image {@code i}'s NHWC map. */
  static void pool(float[] map, int i, int hw, int c, boolean max, float[] out, int at) {
    int base = i * hw * c;
    for (int ch = 0; ch < c; ch++) {
      out[at + ch] = max ? Float.NEGATIVE_INFINITY : 0f;
    }
    for (int px = 0; px < hw; px++) {
      int row = base + px * c;
      for (int ch = 0; ch < c; ch++) {
        float v = map[row + ch];
        out[at + ch] = max ? Math.max(out[at + ch], v) : out[at + ch] + v;
      }
    }
    if (!max) {
      for (int ch = 0; ch < c; ch++) {
        out[at + ch] /= hw;
      }
    }
  }

  /** For the feature cache's signature: the list as written. */
  @Override
  public String toString() {
    return String.join(",", items);
  }
}
