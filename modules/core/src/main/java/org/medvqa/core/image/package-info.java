/** Image decoding checks shared by ingest and augmentation. */
package org.medvqa.core.image;
