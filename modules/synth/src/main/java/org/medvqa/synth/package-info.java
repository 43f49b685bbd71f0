/**
 * Writes a seeded synthetic data set in the on-disk layout of the ImageCLEF VQA-Med 2019 release,
 * whose answers are decided by what is drawn in each image, so tests and demos run without the real
 * data.
 */
package org.medvqa.synth;
