/**
 * The run report: one self-contained HTML page per run folder, with its metrics, training curves, a
 * leaderboard of its sibling runs and a gallery of example test items.
 */
package org.medvqa.eval.report;
