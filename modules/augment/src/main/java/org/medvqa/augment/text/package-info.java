/**
 * Question rewriting for data augmentation: OpenNLP part-of-speech tagging, candidate words, word
 * vectors and their batched nearest-neighbour search, and the rewriter that replaces candidates by
 * their most similar neighbour, as plain Java; and the Spark stages over them, {@link
 * org.medvqa.augment.text.QuestionAugmentStage} (augment-questions) and {@link
 * org.medvqa.augment.text.VectorTrainingStage} (train-vectors, word2vec on a manifest).
 */
package org.medvqa.augment.text;
