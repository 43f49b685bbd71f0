package org.medvqa.training;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.medvqa.models.NativeThreads;
import org.medvqa.models.ShapeInfoCache;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Applies {@code medvqa.train.threads} and installs {@link ShapeInfoCache} on the executors.
 * dl4j-spark runs its workers inside Spark tasks and offers no per-executor start-up call; a
 * training hook is serialised with the training master and runs before each minibatch's update in
 * the worker's JVM, where both make every call after a thread's (or the JVM's) first one free.
 */
final class ThreadsHook implements TrainingHook {
  private static final long serialVersionUID = 1L;
  private final int threads;

  ThreadsHook(int threads) {
    this.threads = threads;
  }

  @Override
  public void preUpdate(DataSet minibatch, Model model) {
    ShapeInfoCache.install();
    NativeThreads.apply(threads);
  }

  @Override
  public void postUpdate(DataSet minibatch, Model model) {}

  @Override
  public void preUpdate(MultiDataSet minibatch, Model model) {
    ShapeInfoCache.install();
    NativeThreads.apply(threads);
  }

  @Override
  public void postUpdate(MultiDataSet minibatch, Model model) {}
}
