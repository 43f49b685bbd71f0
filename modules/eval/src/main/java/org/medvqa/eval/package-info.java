/**
 * The official ImageCLEF VQA-Med metrics (accuracy, BLEU, VQG BLEU) and the run-file reader and
 * validator.
 */
package org.medvqa.eval;
