package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Measures;
import org.medvqa.core.Requirements;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The proof of the import, on the real weights ({@code make weights}) and a real photograph
 * (Debian's python-matplotlib-data ships {@code grace_hopper.jpg}). Skips, saying what is missing,
 * when either is absent.
 */
class RealWeightsTest {
  static final Path WEIGHTS =
      Path.of(System.getProperty("medvqa.weights", "../../models/resnet50-keras-imagenet.zip"));
  static final Path GRACE_HOPPER =
      Path.of("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg");

  /** ImageNet class 652, "military uniform". */
  static final int MILITARY_UNIFORM = 652;

  static ComputationGraph graph;
  static byte[] photo;

  @BeforeAll
  static void load() throws Exception {
    Requirements.require(
        Files.isRegularFile(WEIGHTS),
        "no weights at " + WEIGHTS.toAbsolutePath() + ": run `make weights` first");
    Requirements.require(
        Files.isRegularFile(GRACE_HOPPER),
        "no " + GRACE_HOPPER + ": apt-get install python-matplotlib-data");
    graph = ModelSerializer.restoreComputationGraph(new File(WEIGHTS.toString()), false);
    photo = Files.readAllBytes(GRACE_HOPPER);
  }

  @Test
  void graceHopperIsAMilitaryUniform() throws Exception {
    float[] x = new float[3 * 224 * 224];
    new ImagePreprocessor(224, false, true, false, 20000).prepare(photo, x, 0);
    INDArray[] out = graph.output(false, Nd4j.create(x, new long[] {1, 3, 224, 224}, 'c'));
    INDArray probs = out[out.length - 1];
    int best = probs.argMax(1).getInt(0);
    float p = probs.getFloat(0, best);
    System.out.printf("grace_hopper.jpg: class %d, p = %.4f%n", best, p);
    assertEquals(MILITARY_UNIFORM, best);
    assertTrue(p >= 0.9, "p = " + p);
  }

  @Test
  void parameterShapesMatchTheManifest() throws Exception {
    Path manifest = WEIGHTS.toAbsolutePath().getParent().resolve("npm/package/ResNet50/model.json");
    Requirements.require(Files.isRegularFile(manifest), "no " + manifest + ": run `make weights`");
    TfjsWeights keras = TfjsWeights.read(manifest);
    assertEquals(320, keras.manifest().size());
    assertEquals(graph.numParams(), keras.weights().parameterCount());
    for (TfjsWeights.Entry e : keras.manifest()) {
      if (!List.of(
              "conv1", "bn_conv1", "res3a_branch1", "res4f_branch2b", "bn5c_branch2c", "fc1000")
          .contains(e.layer())) {
        continue;
      }
      INDArray p = graph.getLayer(e.layer()).getParam(TfjsWeights.dl4jParam(e.param()));
      long[] keras4 = e.shape();
      long[] expected =
          keras4.length == 4 ? new long[] {keras4[3], keras4[2], keras4[0], keras4[1]} : keras4;
      assertEquals(e.length(), p.length(), e.name());
      if (expected.length > 1) {
        assertArrayEquals(expected, p.shape(), e.name());
      }
    }
  }

  @Test
  void theFastEnginesGiveTheGraphsFeatures() throws Exception {
    WeightSet w = WeightSet.of(graph);
    // The graph as imported: NCHW, batch norms kept (realFeatures asks for neither NHWC nor
    // folding).
    float[] reference = realFeatures(w, "dl4j", "fp32", List.of(photo))[0];
    assertEquals(ResNet50.FEATURES, reference.length);
    ModelLoaderTest.assertClose(
        reference,
        realFeatures(w, "gemm", "fp32", List.of(photo))[0],
        "the DL4J graph (NCHW, batch norms kept) vs the gemm engine");
    Requirements.require(OneDnnRuntime.problem() == null, String.valueOf(OneDnnRuntime.problem()));
    ModelLoaderTest.assertClose(
        reference,
        realFeatures(w, "onednn", "fp32", List.of(photo))[0],
        "the DL4J graph vs the onednn engine (fp32)");
  }

  @Test
  void bf16StaysWithinCosine0999OfFp32OnRealWeights() throws Exception {
    Requirements.require(OneDnnRuntime.problem() == null, String.valueOf(OneDnnRuntime.problem()));
    Requirements.require(OneDnnRuntime.hasBf16(), "no bf16 on this CPU (" + OneDnnRuntime.isa());
    WeightSet w = WeightSet.of(graph);
    List<byte[]> images = new java.util.ArrayList<>(List.of(photo));
    images.addAll(vqaMedImages(7));
    float[][] fp32 = realFeatures(w, "onednn", "fp32", images);
    float[][] bf16 = realFeatures(w, "onednn", "bf16", images);
    for (int i = 0; i < images.size(); i++) {
      double c = Measures.cosine(fp32[i], bf16[i]);
      System.out.printf("real weights, image %d: cosine bf16/fp32 %.6f%n", i, c);
      assertTrue(c >= 0.999, "image " + i + ": cosine " + c);
    }
  }

  /** Up to {@code n} VQA-Med 2019 training images, when the shared data is here (else none). */
  static List<byte[]> vqaMedImages(int n) throws Exception {
    Path dir =
        Path.of(
            System.getProperty("medvqa.shared.data", "../../../shared/data"),
            "vqa-med-2019/ImageClef_2019_Training/Train_images");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<byte[]> out = new java.util.ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.sorted().limit(n).toList()) {
        out.add(Files.readAllBytes(f));
      }
    }
    return out;
  }

  /** The pooled features of {@code images} (at most 8) through one engine, as one batch. */
  static float[][] realFeatures(WeightSet w, String engine, String precision, List<byte[]> images)
      throws Exception {
    FeatureSettings s =
        new FeatureSettings(
                "file",
                WEIGHTS.toString(),
                224,
                "stretch",
                "caffe",
                20000,
                false,
                8,
                true,
                true,
                0,
                false,
                engine)
            .withEngine(engine, precision);
    float[] x = new float[8 * 3 * 224 * 224];
    ImagePreprocessor prep = new ImagePreprocessor(s);
    for (int i = 0; i < images.size(); i++) {
      prep.prepare(images.get(i), x, i);
    }
    // Exactly the images: the graph takes them as they are, the fast engines pad to the batch.
    float[] exact = java.util.Arrays.copyOf(x, images.size() * 3 * 224 * 224);
    float[][][] out = FeatureModel.build(s, w).run(exact, images.size());
    float[][] pooled = new float[images.size()][];
    for (int i = 0; i < pooled.length; i++) {
      pooled[i] = out[i][0];
    }
    return pooled;
  }
}
