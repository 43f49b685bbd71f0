/**
 * What every stage of the data flow shares: its context ({@link
 * org.medvqa.core.stage.StageContext}: config, Spark, files, provenance), the one way to write an
 * output ({@link org.medvqa.core.stage.StagedOutput}), table checks ({@link
 * org.medvqa.core.stage.Tables}) and the failure a user can act on ({@link
 * org.medvqa.core.stage.StageFailure}).
 */
package org.medvqa.core.stage;
