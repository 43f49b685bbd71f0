/**
 * DL4J network builders and the text around them: vocabularies, the classifier and question-aware
 * classifier graphs, the VAE VQA and VQG graphs, and decoding. No Spark here: {@code
 * modules/training} trains these graphs on executors.
 */
package org.medvqa.models;
