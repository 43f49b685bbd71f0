package org.medvqa.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * oneDNN's native library in this JVM: loaded once, after ND4J (so that both share ND4J's OpenMP
 * runtime, see {@link OneDnnEngine}), with the CPU engine every plan uses. A library that cannot
 * load (another platform, a missing system library) is reported by {@link #problem()} instead of
 * failing the JVM, so that the engine can fall back.
 */
final class OneDnnRuntime {
  private static final String PROBLEM;
  private static final engine ENGINE;

  static {
    String problem = null;
    engine e = null;
    try {
      // ND4J first: its natives load libgomp.so.1, and oneDNN's then resolves to that copy.
      Nd4j.getBackend();
      NativeOpsHolder.getInstance();
      Loader.load(dnnl.class);
      e = new engine(engine.kind.cpu, 0);
    } catch (RuntimeException | LinkageError t) {
      problem = "oneDNN (org.bytedeco:dnnl) could not load: " + t;
    }
    PROBLEM = problem;
    ENGINE = e;
  }

  private OneDnnRuntime() {}

  /** Why oneDNN cannot run in this JVM, or null when it can. */
  static String problem() {
    return PROBLEM;
  }

  /** Throws with {@link #problem()} when oneDNN did not load. */
  static void require() {
    if (PROBLEM != null) {
      throw new IllegalStateException(PROBLEM);
    }
  }

  static engine engine() {
    require();
    return ENGINE;
  }

  /** Whether the CPU runs bf16 natively (oneDNN's ISA at least avx512_core_bf16, AMX included). */
  static boolean hasBf16() {
    if (PROBLEM != null) {
      return false;
    }
    int bf16 = dnnl.dnnl_cpu_isa_avx512_core_bf16;
    return (dnnl.dnnl_get_effective_cpu_isa() & bf16) == bf16;
  }

  /** oneDNN's instruction set here, e.g. {@code avx512_core_amx}, for reports. */
  static String isa() {
    if (PROBLEM != null) {
      return "none";
    }
    return dnnl.get_effective_cpu_isa().toString().toLowerCase(Locale.ROOT);
  }

  /**
   * The OpenMP runtimes mapped into this process (Linux: from {@code /proc/self/maps}); one means
   * that the task's thread setting reaches oneDNN. Empty where it cannot be read.
   */
  static Set<String> openMpLibraries() {
    Set<String> found = new TreeSet<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int at = line.indexOf('/');
        if (at >= 0 && line.contains("libgomp")) {
          found.add(line.substring(at));
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux or not readable: nothing to report.
    }
    return found;
  }
}
