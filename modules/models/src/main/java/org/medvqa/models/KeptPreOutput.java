package org.medvqa.models;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A layer's pre-activation from one pass of a training step, kept for the next pass of the same
 * step, which would otherwise compute it again from the same input and weights ({@link LeanDense},
 * {@link LeanRnnOutput}).
 *
 * <p>It is keyed by the identity of the input array it was computed from (not by equal values) and
 * given out once. The copy lives outside ND4J's workspaces: a workspace array is only valid within
 * the scope that made it, and the two passes run in different scopes.
 */
final class KeptPreOutput {
  private INDArray from;
  private INDArray value;

  /** Times a kept value was given out (tests check that keeping happens). */
  int reused;

  /** Keeps a copy of {@code z}, computed from {@code input}. */
  void keep(INDArray input, INDArray z) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      value = z.dup(z.ordering());
    }
    from = input;
  }

  /**
   * The kept value if it was computed from this very {@code input} array, else null; forgets it.
   */
  INDArray take(INDArray input) {
    INDArray z = value != null && input == from ? value : null;
    clear();
    if (z != null) {
      reused++;
    }
    return z;
  }

  void clear() {
    from = null;
    value = null;
  }
}
