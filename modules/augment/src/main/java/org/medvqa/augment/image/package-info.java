/**
 * Image augmentation as plain functions on pixels: shift with edge fill, horizontal and vertical
 * flip, rotation and Gaussian blur, their seeded parameters (a pure function of seed, image id and
 * variant index), the laterality rule that skips flips, and the encoding of the variants.
 */
package org.medvqa.augment.image;
