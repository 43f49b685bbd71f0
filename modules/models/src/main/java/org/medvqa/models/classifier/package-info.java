/**
 * Answer classifiers: paper run 5 (the image feature -> softmax over the training answers), a
 * question-aware classifier that also reads the question and routes it to a per-category softmax,
 * and the hybrid that answers some questions from the most similar training images instead
 * (abnormality diagnoses, imaging attributes).
 */
package org.medvqa.models.classifier;
