package org.medvqa.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoaderTest {
  @TempDir static Path dir;
  static Path model;
  static final Map<String, byte[]> FILES = new HashMap<>();

  @BeforeAll
  static void setUp() throws Exception {
    model = TinyNets.modelFile(dir, 11);
    for (int i = 0; i < 7; i++) {
      BufferedImage img = new BufferedImage(40 + i, 30, BufferedImage.TYPE_3BYTE_BGR);
      for (int y = 0; y < 30; y++) {
        for (int x = 0; x < 40 + i; x++) {
          img.setRGB(x, y, ((x * 5 + i * 30) & 0xff) << 16 | ((y * 7) & 0xff) << 8 | (i * 20));
        }
      }
      FILES.put("img" + i, ImagePreprocessorTest.encode(img, "png"));
    }
    FILES.put("broken", "garbage".getBytes());
  }

  static byte[] serialise(Object o) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    return b.toByteArray();
  }

  @Test
  void theLoaderTravelsWithoutTheModelAndLoadsOncePerJvm() throws Exception {
    FeatureSettings s = TinyNets.settings(model.toString(), false, true, false);
    ModelLoader loader = new ModelLoader(s, new org.apache.hadoop.conf.Configuration(false));
    byte[] bytes = serialise(loader);
    // Settings and the Hadoop configuration only: far less than even the tiny model's file.
    long modelBytes = java.nio.file.Files.size(model);
    assertTrue(
        bytes.length < modelBytes / 2, "the serialised loader is " + bytes.length + " bytes");
    int before = ModelLoader.loadsInThisJvm();
    FeatureModel first = loader.get();
    ModelLoader copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      copy = (ModelLoader) in.readObject();
    }
    assertSame(first, copy.get(), "a second task of the same JVM reuses the loaded model");
    assertEquals(before + 1, ModelLoader.loadsInThisJvm());
    assertTrue(serialise(loader).length < modelBytes / 2, "still no model inside after loading");
  }

  @Test
  void aMissingModelFileIsNamed() {
    ModelLoader loader =
        new ModelLoader(
            TinyNets.settings(dir.resolve("nope.zip").toString(), false, false, false), null);
    UncheckedIOException e = assertThrows(UncheckedIOException.class, loader::get);
    assertTrue(
        e.getMessage().contains("nope.zip") && e.getMessage().contains("does not exist"),
        e.getMessage());
  }

  static List<BatchExtraction.Result> extract(
      FeatureSettings s, List<String> ids, AtomicLong done) {
    FeatureModel m = new ModelLoader(s, null).get();
    List<BatchExtraction.Request> requests = new ArrayList<>();
    for (String id : ids) {
      requests.add(new BatchExtraction.Request(id, 0, id));
    }
    List<BatchExtraction.Result> out = new ArrayList<>();
    try (BatchExtraction ex =
        new BatchExtraction(
            requests.iterator(),
            m,
            m.settings(),
            p -> {
              if (!FILES.containsKey(p)) {
                throw new java.io.FileNotFoundException("no such file");
              }
              return FILES.get(p);
            },
            done::addAndGet)) {
      ex.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void aReadFailureOtherThanAMissingFileFailsTheTaskInsteadOfRejectingTheImage() {
    FeatureModel m =
        new ModelLoader(TinyNets.settings(model.toString(), false, false, true), null).get();
    // The task fails (on the prefetch thread the failure arrives wrapped), so Spark retries it.
    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () -> {
              try (BatchExtraction ex =
                  new BatchExtraction(
                      List.of(new BatchExtraction.Request("img0", 0, "img0")).iterator(),
                      m,
                      m.settings(),
                      p -> {
                        throw new IOException("connection reset");
                      },
                      n -> {})) {
                ex.forEachRemaining(r -> {});
              }
            });
    Throwable t = e;
    while (t != null && !(t instanceof UncheckedIOException)) {
      t = t.getCause();
    }
    assertNotNull(t, "no UncheckedIOException in " + e);
    assertTrue(t.getMessage().contains("img0"), t.getMessage());
  }

  @Test
  void batchesKeepOrderRejectBadImagesAndAgreeAcrossLayoutsAndPrefetch() {
    List<String> ids =
        List.of("img0", "img1", "broken", "img2", "missing", "img3", "img4", "img5", "img6");
    AtomicLong done = new AtomicLong();
    List<BatchExtraction.Result> a =
        extract(TinyNets.settings(model.toString(), false, false, true), ids, done);
    assertEquals(ids.size(), done.get());
    assertEquals(ids.size(), a.size());
    for (int i = 0; i < ids.size(); i++) {
      assertEquals(ids.get(i), a.get(i).request().imageId());
    }
    assertTrue(a.get(2).problem().contains("not a readable image"), a.get(2).problem());
    assertTrue(a.get(4).problem().contains("cannot read missing"), a.get(4).problem());
    assertNull(a.get(2).features());
    int width = 2048 / TinyNets.DIVISOR;
    assertEquals(width, a.get(0).features().length);
    int side = TinyNets.builder().build().mapSide();
    assertEquals(side * side * width, a.get(0).map().length);

    FeatureSettings other =
        TinyNets.settings(model.toString(), "stretch", "caffe", true, 4, true, true, false, "dl4j");
    FeatureSettings gemm =
        TinyNets.settings(
            model.toString(), "stretch", "caffe", true, 2, false, false, true, "gemm");
    compare(a, extract(other, ids, new AtomicLong()), ids);
    compare(a, extract(gemm, ids, new AtomicLong()), ids);
    if (OneDnnRuntime.problem() == null) {
      // Batch 2: the last batch is padded, and the map comes back h-w-c.
      compare(a, extract(gemm.withEngine("onednn", "fp32"), ids, new AtomicLong()), ids);
    }
  }

  @Test
  void aRunAppliesItsOwnPreprocessingAndPrefetchToTheSharedModel() throws Exception {
    // Two runs in one JVM whose settings build the same network share the loaded model; the
    // second's preprocessing and prefetch must still be its own, not those of the run that loaded
    // it (before, a bench run without prefetch silently ran with it).
    FeatureSettings first =
        TinyNets.settings(
            model.toString(), "stretch", "caffe", false, 3, false, false, true, "dl4j");
    FeatureSettings second =
        TinyNets.settings(model.toString(), "pad", "raw", false, 3, false, false, false, "dl4j");
    FeatureModel shared = new ModelLoader(first, null).get();
    assertSame(shared, new ModelLoader(second, null).get());
    List<BatchExtraction.Result> out = new ArrayList<>();
    try (BatchExtraction ex =
        new BatchExtraction(
            List.of(new BatchExtraction.Request("img1", 0, "img1")).iterator(),
            shared,
            second,
            FILES::get,
            n -> {})) {
      ex.forEachRemaining(out::add);
    }
    ImagePreprocessor own = new ImagePreprocessor(second);
    float[] input = new float[own.imageLength()];
    own.prepare(FILES.get("img1"), input, 0);
    float[] expected = shared.run(input, 1)[0][0];
    assertClose(expected, out.get(0).features(), "img1 with the second run's preprocessing");
    float[] loaders = extract(first, List.of("img1"), new AtomicLong()).get(0).features();
    float diff = 0;
    for (int i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs(expected[i] - loaders[i]));
    }
    assertTrue(
        diff > 1e-3f, "the two preprocessings gave the same features: the test shows nothing");

    FeatureSettings wider = second.withEngine("gemm", "fp32");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new BatchExtraction(
                    List.<BatchExtraction.Request>of().iterator(),
                    shared,
                    wider,
                    FILES::get,
                    n -> {}));
    assertTrue(e.getMessage().contains("another network"), e.getMessage());
  }

  static void compare(
      List<BatchExtraction.Result> a, List<BatchExtraction.Result> b, List<String> ids) {
    for (int i = 0; i < ids.size(); i++) {
      if (a.get(i).ok()) {
        assertNotNull(b.get(i).features());
        assertClose(a.get(i).features(), b.get(i).features(), ids.get(i) + " pooled");
        assertClose(
            a.get(i).map(), b.get(i).map(), ids.get(i) + " map (h, w, c order in both layouts)");
      } else {
        assertEquals(a.get(i).problem(), b.get(i).problem());
      }
    }
  }

  static void assertClose(float[] x, float[] y, String what) {
    assertEquals(x.length, y.length, what);
    float max = 1e-6f;
    for (float v : x) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < x.length; i++) {
      assertEquals(x[i], y[i], 1e-4f * max, what + " at " + i);
    }
  }
}
