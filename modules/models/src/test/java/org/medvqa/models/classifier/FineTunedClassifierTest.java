package org.medvqa.models.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.features.ResNet50;
import org.medvqa.models.Example;
import org.medvqa.models.ModelKinds;
import org.medvqa.models.VqaModel;
import org.nd4j.linalg.learning.config.Adam;

/** Full fine-tuning on CPU: a small ResNet (same layer names) and a handful of images. */
class FineTunedClassifierTest {
  static final int SIZE = 32;

  @Test
  void everyLayerLearnsFromAHandfulOfImages(@TempDir Path dir) throws Exception {
    File backbone = dir.resolve("tiny.zip").toFile();
    ComputationGraph tiny =
        ResNet50.builder()
            .optImageSize(SIZE)
            .optWidthDivisor(16)
            .optBlocks(1, 1, 1, 1)
            .optTop(true)
            .build()
            .init();
    ModelSerializer.writeModel(tiny, backbone, false);
    Config c =
        ConfigFactory.parseString(
                "medvqa.models.classifier-finetune { backbone = \""
                    + backbone
                    + "\", image-size = "
                    + SIZE
                    + ", preprocessing = raw }")
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    // Bright images answer "bright", dark ones "dark".
    Random r = new Random(1);
    List<Example> images = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      boolean bright = i % 2 == 0;
      float[] px = new float[3 * SIZE * SIZE];
      for (int j = 0; j < px.length; j++) {
        px[j] = (bright ? 180 : 40) + 30 * (float) r.nextGaussian();
      }
      images.add(
          new Example(
              "s" + i, "i" + i, "c", px, "how is it?", List.of(bright ? "bright" : "dark")));
    }
    VqaModel m = ModelKinds.fit("classifier-finetune", c, images);
    ComputationGraph net = m.newGraph(3, new Adam(1e-3));
    assertEquals(List.of("answer"), net.getConfiguration().getNetworkOutputs());
    double before = net.params().dup().getDouble(0);
    net.fit(m.batch(images));
    double first = net.score();
    for (int step = 0; step < 15; step++) {
      net.fit(m.batch(images));
    }
    assertTrue(net.score() < first, "loss " + first + " -> " + net.score());
    assertTrue(before != net.params().getDouble(0), "the backbone's first layer moved too");
    assertEquals(1.0, m.validationScore(net, images));
  }
}
