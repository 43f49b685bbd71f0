package org.medvqa.models;

import java.util.List;
import org.deeplearning4j.nn.api.TrainingConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Makes a graph's updater skip DL4J's regularisation pass where no parameter of an updater block
 * has any regularisation (no L1, L2 or weight decay: every model here).
 *
 * <p>Why: DL4J 1.0.0-M2.1's {@link UpdaterBlock} walks every parameter of its block twice per
 * training step (before and after the updater), and for each one builds four views (two reshapes,
 * two interval gets of the whole network's parameter and gradient arrays) before it looks whether
 * that parameter has a regularisation at all. Each view is a new ND4J array with its own native
 * shape buffer; for the VAE (about 40 parameter arrays) that is some 320 arrays per step, 6.5% of a
 * training step on one thread (Java Flight Recorder), all to do nothing.
 *
 * <p>The replacement block shares the original's views, state and {@code GradientUpdater}, so the
 * update, its state and checkpoints are unchanged; a block with any regularisation stays as it is.
 */
public final class LeanUpdater {
  private LeanUpdater() {}

  /**
   * Replaces the regularisation-free blocks of {@code net}'s updater (creating the updater if it
   * has none yet). Returns how many blocks were replaced.
   */
  public static int install(ComputationGraph net) {
    List<UpdaterBlock> blocks = net.getUpdater(true).getUpdaterBlocks();
    int replaced = 0;
    for (int i = 0; i < blocks.size(); i++) {
      UpdaterBlock b = blocks.get(i);
      if (!(b instanceof Block) && !regularised(b)) {
        blocks.set(i, new Block(b));
        replaced++;
      }
    }
    return replaced;
  }

  /** Whether any parameter of the block has a regularisation that DL4J would apply. */
  static boolean regularised(UpdaterBlock b) {
    for (UpdaterBlock.ParamState p : b.getLayersAndVariablesInBlock()) {
      TrainingConfig c = p.getLayer().getConfig();
      List<Regularization> r = c.getRegularizationByParam(p.getParamName());
      if (r != null && !r.isEmpty()) {
        return true;
      }
    }
    return false;
  }

  /** An {@link UpdaterBlock} whose regularisation pass does nothing, as DL4J's would here. */
  static final class Block extends UpdaterBlock {
    Block(UpdaterBlock b) {
      super(
          b.getParamOffsetStart(),
          b.getParamOffsetEnd(),
          b.getUpdaterViewOffsetStart(),
          b.getUpdaterViewOffsetEnd(),
          b.getLayersAndVariablesInBlock());
      setUpdaterView(b.getUpdaterView());
      setGradientView(b.getGradientView());
      setUpdaterViewRequiresInitialization(b.isUpdaterViewRequiresInitialization());
      setGradientUpdater(b.getGradientUpdater());
    }

    @Override
    protected void applyRegularizationAllVariables(
        Regularization.ApplyStep applyStep,
        int iter,
        int epoch,
        boolean externalGradient,
        INDArray fullNetworkGradientView,
        INDArray fullNetworkParamsArray) {
      // No parameter of this block has a regularisation (checked when the block was made).
    }
  }
}
