/**
 * Question rewriting for data augmentation: OpenNLP part-of-speech tagging, candidate words, word
 * vectors and their batched nearest-neighbour search, and the rewriter that replaces candidates by
 * their most similar neighbour; plain Java, used by the Spark jobs.
 */
package org.medvqa.augment.text;
