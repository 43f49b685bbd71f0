package org.medvqa.models.classifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.medvqa.features.Pooling;
import org.medvqa.features.ResNet50;
import org.medvqa.models.Example;

/**
 * The part of the image feature that one reader of it takes ({@code network-part}, {@code
 * knn.part}): the whole feature, or one pooling of the layout {@code medvqa.features.pooling} made
 * it with.
 *
 * @param key the setting that chose it, for messages
 * @param from first value of the part
 * @param to one past its last value; -1 for the whole feature, whatever its width
 * @param width the width of the whole feature the part is cut from (-1 for the whole)
 */
record FeaturePart(String key, int from, int to, int width) implements Serializable {
  /** The whole feature. */
  static FeaturePart all(String key) {
    return new FeaturePart(key, 0, -1, -1);
  }

  /**
   * {@code part} (the value of setting {@code key}) in a feature laid out by {@code layout} (the
   * poolings), {@code width} values wide: ResNet50's, or a narrower variant's (every stage's width
   * divided alike, as the tests' tiny networks are).
   *
   * @throws IllegalArgumentException naming the setting when the layout lacks the part or cannot
   *     make features of that width
   */
  static FeaturePart of(String key, String part, List<String> layout, int width) {
    if (part.equals("all")) {
      return all(key);
    }
    Pooling pooling = new Pooling(layout);
    int full = pooling.width(ResNet50.builder().build());
    if (width < 1 || full % width != 0 || 64 % (full / width) != 0) {
      throw new IllegalArgumentException(
          key
              + " is '"
              + part
              + "', but the image features are "
              + width
              + " wide, which the layout medvqa.features.pooling "
              + layout
              + " ("
              + full
              + " wide for ResNet50) does not make: set that to the poolings the features were"
              + " made with");
    }
    ResNet50 resnet = ResNet50.builder().optWidthDivisor(full / width).build();
    try {
      int[] r = pooling.range(part, resnet);
      return new FeaturePart(key, r[0], r[1], pooling.width(resnet));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          key
              + " is '"
              + part
              + "', expected all or one of medvqa.features.pooling "
              + layout
              + " (the features' layout)");
    }
  }

  boolean isAll() {
    return to < 0;
  }

  /** This part of {@code f}, the feature of {@code what} (null stays null). */
  float[] of(float[] f, String what) {
    if (isAll() || f == null) {
      return f;
    }
    if (f.length != width) {
      throw new IllegalArgumentException(
          what
              + ": image feature of length "
              + f.length
              + ", but "
              + key
              + " takes its part from the layout of medvqa.features.pooling, "
              + width
              + " wide: set that to the poolings the features were made with");
    }
    return Arrays.copyOfRange(f, from, to);
  }

  /** {@code examples} with this part of their image features. */
  List<Example> of(List<Example> examples) {
    if (isAll()) {
      return examples;
    }
    List<Example> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      out.add(e.withImage(of(e.image(), "example " + e.sampleId())));
    }
    return out;
  }

  /** As saved with the model: [from, to, width]. */
  void write(ArrayNode into) {
    into.add(from).add(to).add(width);
  }

  /** What {@link #write} saved; the whole feature when {@code saved} is null (older models). */
  static FeaturePart read(String key, JsonNode saved) {
    if (saved == null) {
      return all(key);
    }
    return new FeaturePart(key, saved.get(0).asInt(), saved.get(1).asInt(), saved.get(2).asInt());
  }
}
