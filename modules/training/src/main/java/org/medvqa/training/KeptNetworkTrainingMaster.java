package org.medvqa.training;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.medvqa.models.LeanUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * dl4j-spark's parameter averaging, unchanged, except that a task thread keeps its network from one
 * averaging round to the next ({@code medvqa.train.keep-networks}).
 *
 * <p>Why: {@link ParameterAveragingTrainingWorker#getInitialModelGraph} builds a new graph from the
 * broadcast configuration at the start of every round (configuration clone, layer construction,
 * parameter views, a new updater), 37-44 ms for the VAE graph: 64 builds per epoch on {@code
 * local[2]}, about a tenth of the epoch. Graphs only: dl4j-spark's {@code MultiLayerNetwork}
 * workers are left as they are (medvqa trains graphs). Here the first round of a training run on a
 * thread builds it that way; later rounds copy the round's averaged parameters and updater state
 * into it and set the iteration and epoch counts a freshly built network starts from: all of that
 * network's state. The broadcast, the minibatches each worker fits and the averaging are
 * dl4j-spark's own. A test checks that both give the same parameters and Adam state.
 *
 * <p>With training statistics or listeners the workers are dl4j-spark's (both are wired through the
 * worker's private state), so statistics describe the unmodified engine. A thread keeps one
 * network, replaced by the next training run's.
 */
final class KeptNetworkTrainingMaster extends ParameterAveragingTrainingMaster {
  private static final long serialVersionUID = 1L;

  /** Tells one training run's networks from another's on a long-lived executor thread. */
  private final String runId = UUID.randomUUID().toString();

  KeptNetworkTrainingMaster(ParameterAveragingTrainingMaster.Builder builder) {
    super(builder);
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
    if (collectTrainingStats || (listeners != null && !listeners.isEmpty())) {
      return super.getWorkerInstance(graph);
    }
    // As the base class does: the current parameters and updater state, broadcast for this round.
    ComputationGraph net = graph.getNetwork();
    INDArray state = net.getUpdater().getStateViewArray();
    Broadcast<NetBroadcastTuple> broadcast =
        graph
            .getSparkContext()
            .broadcast(new NetBroadcastTuple(net.getConfiguration(), net.params(), state));
    WorkerConfiguration conf =
        new WorkerConfiguration(
            true,
            rddDataSetNumExamples,
            batchSizePerWorker,
            averagingFrequency,
            prefetchNumBatches,
            collectTrainingStats);
    return new Worker(runId, broadcast, saveUpdater, conf, trainingHookList);
  }

  /** The base worker, building its network only on a thread's first round of the run. */
  static final class Worker extends ParameterAveragingTrainingWorker {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<Kept> KEPT = new ThreadLocal<>();

    /** Rounds this JVM started on a kept network (tests check that keeping happens). */
    static final AtomicInteger REUSED = new AtomicInteger();

    private final String runId;
    private final Broadcast<NetBroadcastTuple> broadcast;

    Worker(
        String runId,
        Broadcast<NetBroadcastTuple> broadcast,
        boolean saveUpdater,
        WorkerConfiguration conf,
        java.util.Collection<TrainingHook> hooks) {
      super(broadcast, saveUpdater, conf, hooks, null, null);
      this.runId = runId;
      this.broadcast = broadcast;
    }

    @Override
    public ComputationGraph getInitialModelGraph() {
      Kept kept = KEPT.get();
      if (kept == null || !kept.runId().equals(runId)) {
        ComputationGraph built = super.getInitialModelGraph();
        LeanUpdater.install(built);
        ComputationGraphConfiguration c = built.getConfiguration();
        KEPT.set(new Kept(runId, built, c.getIterationCount(), c.getEpochCount()));
        return built;
      }
      NetBroadcastTuple round = broadcast.getValue();
      ComputationGraph net = kept.net();
      net.setParams(round.getParameters());
      INDArray view = net.getUpdater().getStateViewArray();
      if (view != null) {
        // A new network's updater starts from the broadcast state, or from zeros without one.
        if (round.getUpdaterState() != null) {
          view.assign(round.getUpdaterState());
        } else {
          view.assign(0);
        }
      }
      // A rebuilt network counts iterations and epochs from a clone of the broadcast configuration,
      // which does not carry them over (they start at 0 every round, and so does Adam's bias
      // correction): the kept network starts each round from the counts it was built with.
      net.getConfiguration().setIterationCount(kept.iterations());
      net.getConfiguration().setEpochCount(kept.epochs());
      net.rnnClearPreviousState();
      REUSED.incrementAndGet();
      return net;
    }
  }

  /** A thread's network, with the iteration and epoch counts it had when built. */
  private record Kept(String runId, ComputationGraph net, int iterations, int epochs) {}
}
