/**
 * The train and predict stages ({@link org.medvqa.training.TrainStage}, {@link
 * org.medvqa.training.PredictStage}) and DL4J on Spark beneath them: minibatches exported once to
 * files, fitted epoch by epoch with a training master from configuration, validated on the driver,
 * checkpointed every epoch and resumed after a kill; prediction on the executors with the model
 * loaded once per executor. Model kinds come from the registry of {@code modules/models}.
 */
package org.medvqa.training;
