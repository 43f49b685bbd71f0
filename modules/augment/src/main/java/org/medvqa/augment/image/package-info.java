/**
 * Image augmentation as plain functions on pixels: shift with edge fill, horizontal and vertical
 * flip, rotation and Gaussian blur, their seeded parameters (a pure function of seed, image id and
 * variant index), the laterality rule that skips flips, and the encoding of the variants; and the
 * {@code augment-images} stage over them on Spark ({@link
 * org.medvqa.augment.image.ImageAugmentStage}, whose executors run {@link
 * org.medvqa.augment.image.AugmentPartition}).
 */
package org.medvqa.augment.image;
