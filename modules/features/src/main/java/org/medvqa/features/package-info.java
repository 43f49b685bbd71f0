/**
 * ResNet50 image features: the Keras ImageNet weights imported into a DL4J graph, image
 * preprocessing, batch extraction with a model loaded once per executor JVM, the poolings the
 * feature vector is made of, and the extract-features stage with its incremental feature table.
 */
package org.medvqa.features;
