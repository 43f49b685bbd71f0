/**
 * ResNet50 image features: the Keras ImageNet weights imported into a DL4J graph, image
 * preprocessing, and batch extraction with a model loaded once per executor JVM.
 */
package org.medvqa.features;
