/** Readers of the VQA-Med release layouts (2019, 2020, 2021): file detection and line parsing. */
package org.medvqa.core.release;
