package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.medvqa.core.Measures;
import org.medvqa.core.Requirements;
import org.medvqa.core.config.ConfigProblem;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The onednn engine against the DL4J graph on a tiny random network (batch norms with non-trivial
 * statistics, so folding is tested): fp32 within float tolerance, bf16 within cosine 0.999; and the
 * settings around it.
 */
class OneDnnEngineTest {
  static final String CPU = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

  static FeatureSettings settings(String engine, String precision, int batch, boolean map) {
    return new FeatureSettings(
            "file",
            "tiny.zip",
            TinyNets.SIZE,
            "stretch",
            "caffe",
            20000,
            map,
            batch,
            true,
            true,
            1,
            false,
            engine)
        .withEngine(engine, precision);
  }

  /** Pooled features and maps of {@code n} random images through an engine, rows per image. */
  static float[][][] run(FeatureModel m, int n) {
    INDArray x = TinyNets.input(n, CNN2DFormat.NHWC, 5);
    return m.run(x.data().asFloat(), n);
  }

  @Test
  void fp32GivesTheGraphsFeaturesAndMap() {
    Requirements.require(OneDnnRuntime.problem() == null, String.valueOf(OneDnnRuntime.problem()));
    ComputationGraph reference = TinyNets.randomWithStatistics(3);
    WeightSet w = WeightSet.of(reference);
    float[][][] graph = run(FeatureModel.build(settings("dl4j", "fp32", 4, true), w), 3);
    // Batch 4 for 3 images: FeatureModel pads, as BatchExtraction's last batch does.
    float[][][] onednn = run(FeatureModel.build(settings("onednn", "fp32", 4, true), w), 3);
    for (int i = 0; i < 3; i++) {
      ModelLoaderTest.assertClose(graph[i][0], onednn[i][0], "image " + i + " pooled");
      ModelLoaderTest.assertClose(graph[i][1], onednn[i][1], "image " + i + " map (h, w, c)");
    }
  }

  @Test
  void bf16StaysWithinCosine0999OfFp32() {
    Requirements.require(OneDnnRuntime.problem() == null, String.valueOf(OneDnnRuntime.problem()));
    Requirements.require(OneDnnRuntime.hasBf16(), "no bf16 on this CPU (" + OneDnnRuntime.isa());
    WeightSet w = WeightSet.of(TinyNets.randomWithStatistics(4));
    float[][][] fp32 = run(FeatureModel.build(settings("onednn", "fp32", 4, false), w), 4);
    float[][][] bf16 = run(FeatureModel.build(settings("onednn", "bf16", 4, false), w), 4);
    for (int i = 0; i < 4; i++) {
      double c = Measures.cosine(fp32[i][0], bf16[i][0]);
      System.out.printf(Locale.ROOT, "tiny network, image %d: cosine bf16/fp32 %.6f%n", i, c);
      assertTrue(c >= 0.999, "image " + i + ": cosine " + c);
    }
  }

  @Test
  void cpuOnlyEnginesAreRefusedOnAnotherBackendNamingTheKey() {
    String cuda = "org.nd4j.linalg.jcublas.JCublasBackend";
    for (String engine : new String[] {"gemm", "onednn"}) {
      ConfigProblem e =
          assertThrows(
              ConfigProblem.class,
              () -> FeatureModel.engineHere(settings(engine, "fp32", 2, false), cuda, null, true));
      assertTrue(e.getMessage().contains("medvqa.features.engine"), e.getMessage());
      assertTrue(e.getMessage().contains("engine = dl4j"), e.getMessage());
    }
    assertEquals(
        "dl4j", FeatureModel.engineHere(settings("dl4j", "fp32", 2, false), cuda, null, true));
  }

  @Test
  void fp32FallsBackToGemmWhereOnednnCannotLoadAndBf16IsRefused() {
    String problem = "oneDNN (org.bytedeco:dnnl) could not load: no libdnnl for this platform";
    assertEquals(
        "gemm", FeatureModel.engineHere(settings("onednn", "fp32", 2, false), CPU, problem, true));
    ConfigProblem e =
        assertThrows(
            ConfigProblem.class,
            () ->
                FeatureModel.engineHere(settings("onednn", "bf16", 2, false), CPU, problem, true));
    assertTrue(e.getMessage().contains("medvqa.features.precision"), e.getMessage());
    assertTrue(e.getMessage().contains("could not load"), e.getMessage());
  }

  @Test
  void bf16NeedsTheOnednnEngineAndACpuWithBf16() {
    ConfigProblem e = assertThrows(ConfigProblem.class, () -> settings("gemm", "bf16", 2, false));
    assertTrue(e.getMessage().contains("medvqa.features.precision"), e.getMessage());
    e =
        assertThrows(
            ConfigProblem.class,
            () -> FeatureModel.engineHere(settings("onednn", "bf16", 2, false), CPU, null, false));
    assertTrue(e.getMessage().contains("medvqa.features.precision"), e.getMessage());
    assertTrue(e.getMessage().contains("avx512_bf16"), e.getMessage());
    assertEquals(
        "onednn", FeatureModel.engineHere(settings("onednn", "bf16", 2, false), CPU, null, true));
  }

  @Test
  void onlyBf16ChangesTheCacheSignature() {
    String gemm = FeatureTable.signature(settings("gemm", "fp32", 2, false));
    assertEquals(gemm, FeatureTable.signature(settings("dl4j", "fp32", 2, false)));
    assertEquals(gemm, FeatureTable.signature(settings("onednn", "fp32", 2, false)));
    // The text that existing caches were named by (work/features/): unchanged for fp32.
    assertEquals("model=tiny.zip size=64 resize=stretch preprocessing=caffe map=false", gemm);
    String bf16 = FeatureTable.signature(settings("onednn", "bf16", 2, false));
    assertNotEquals(gemm, bf16);
    assertTrue(bf16.endsWith(" precision=bf16"), bf16);
  }

  @Test
  void theThreadCountIsPerTaskThread() throws Exception {
    // Two tasks of one JVM applying different counts do not overwrite each other: OpenMP keeps
    // the count per calling thread, and oneDNN reads it from the thread that builds its plan.
    var ops = org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps();
    int[] seen = new int[2];
    java.util.concurrent.CountDownLatch firstSet = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch secondSet = new java.util.concurrent.CountDownLatch(1);
    Thread one =
        new Thread(
            () -> {
              ops.setOmpNumThreads(1);
              firstSet.countDown();
              awaitQuietly(secondSet);
              seen[0] = ops.ompGetMaxThreads();
            });
    Thread two =
        new Thread(
            () -> {
              awaitQuietly(firstSet);
              ops.setOmpNumThreads(2);
              seen[1] = ops.ompGetMaxThreads();
              secondSet.countDown();
            });
    one.start();
    two.start();
    one.join();
    two.join();
    assertEquals(1, seen[0], "the first task's count after the second set its own");
    assertEquals(2, seen[1]);
  }

  static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void loadsBesideNd4jSharingItsOpenMpRuntime() {
    org.nd4j.linalg.factory.Nd4j.create(1);
    assertNull(OneDnnRuntime.problem(), "oneDNN loads on linux-x86_64");
    System.out.println(
        "oneDNN ISA " + OneDnnRuntime.isa() + ", OpenMP " + OneDnnRuntime.openMpLibraries());
    // One runtime: ND4J's thread setting (omp_set_num_threads) is oneDNN's too.
    assertEquals(1, OneDnnRuntime.openMpLibraries().size(), "" + OneDnnRuntime.openMpLibraries());
  }
}
