/**
 * The ingest stage: a VQA-Med (or VQA-RAD) release read into the manifest every later stage reads,
 * with its rejected rows and statistics ({@link org.medvqa.core.ingest.IngestStage}, settings in
 * {@link org.medvqa.core.ingest.IngestSettings}). A package of its own, beside {@code release},
 * because this is where ingest's Spark work lives: {@code release} stays the Spark-free readers
 * (layout detection, line parsing) that a unit test calls without a session, and this package only
 * runs them on the executors and joins what they return.
 */
package org.medvqa.core.ingest;
