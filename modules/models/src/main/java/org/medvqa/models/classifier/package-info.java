/**
 * Answer classifiers: paper run 5 (the image feature -> softmax over the training answers) and a
 * question-aware classifier that also reads the question and routes it to a per-category softmax.
 */
package org.medvqa.models.classifier;
