/**
 * DL4J on Spark: minibatches exported once to files, fitted epoch by epoch with a training master
 * from configuration, validated on the driver, checkpointed every epoch and resumed after a kill.
 * Model kinds come from {@code modules/models}; this package knows only {@link
 * org.medvqa.models.VqaModel}.
 */
package org.medvqa.training;
