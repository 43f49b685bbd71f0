package org.medvqa.features;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medvqa.core.config.ConfigProblem;

/**
 * What the image feature is made of ({@code medvqa.features.pooling}): a list of global poolings of
 * the outputs of ResNet50's bottleneck stages, concatenated in the listed order. {@code res5-mean}
 * alone (the default) is the usual 2048-wide feature; {@code res4-max} is the channel-wise maximum
 * over the 1024-channel map at the end of stage res4, and so on; {@code res4-grid} is the mean of
 * each quadrant of that map (4 x 1024 values: top left, top right, bottom left, bottom right).
 *
 * <p>Why: the last stage's mean describes what the image shows as ImageNet classes see it; earlier
 * stages keep texture and contrast (what tells a T1 from a T2 image, or contrast from none), and
 * the maximum keeps a small finding that the mean over the whole map dilutes; the quadrants keep
 * where in the image things are, which tells a coronal from an axial slice and one organ's field of
 * view from another's.
 *
 * @param items the poolings, each {@code res<stage>-<mean|max|grid>} with stage 3, 4 or 5, no
 *     repeats
 */
public record Pooling(List<String> items) implements Serializable {
  private static final Pattern ITEM = Pattern.compile("res([345])-(mean|max|grid)");

  /** The default: the global average of the last stage, the 2048-wide feature. */
  public static final Pooling DEFAULT = new Pooling(List.of("res5-mean"));

  public Pooling {
    items = List.copyOf(items);
    if (items.isEmpty()) {
      throw problem(items, "at least one pooling");
    }
    for (String s : items) {
      if (!ITEM.matcher(s).matches()) {
        throw problem(
            items, "res3, res4 or res5, then -mean, -max or -grid (e.g. res4-max), not " + s);
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
      w += itemWidth(s, network);
    }
    return w;
  }

  /** Width of one pooling: the stage's channels, four times over for the 2 x 2 grid. */
  private static int itemWidth(String item, ResNet50 network) {
    return network.stageWidth(stage(item)) * (item.endsWith("-grid") ? 4 : 1);
  }

  /**
   * Where {@code item} lies in the concatenated feature of {@code network}: {from, to}.
   *
   * @throws IllegalArgumentException when the list does not have it
   */
  public int[] range(String item, ResNet50 network) {
    int at = 0;
    for (String s : items) {
      int w = itemWidth(s, network);
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
        String kind = m.group(2);
        if (kind.equals("grid")) {
          grid(maps[k], i, sides[k], c, out, at);
        } else {
          pool(maps[k], i, sides[k] * sides[k], c, kind.equals("max"), out, at);
        }
      }
      at += itemWidth(s, network);
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

  /**
   * The means of the four quadrants of image {@code i}'s NHWC map (top left, top right, bottom
   * left, bottom right), each {@code c} wide. An odd side's middle row and column belong to both
   * halves.
   */
  static void grid(float[] map, int i, int side, int c, float[] out, int at) {
    int base = i * side * side * c;
    int half = (side + 1) / 2;
    for (int q = 0; q < 4; q++) {
      int r0 = q < 2 ? 0 : side - half;
      int c0 = q % 2 == 0 ? 0 : side - half;
      int o = at + q * c;
      Arrays.fill(out, o, o + c, 0f);
      for (int y = r0; y < r0 + half; y++) {
        for (int x = c0; x < c0 + half; x++) {
          int row = base + (y * side + x) * c;
          for (int ch = 0; ch < c; ch++) {
            out[o + ch] += map[row + ch];
          }
        }
      }
      for (int ch = 0; ch < c; ch++) {
        out[o + ch] /= half * half;
      }
    }
  }

  /** For the feature cache's signature: the list as written. */
  @Override
  public String toString() {
    return String.join(",", items);
  }
}
