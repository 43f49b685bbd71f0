/** Image decoding checks shared by ingest and augmentation, and the one resampling step. */
package org.medvqa.core.image;
