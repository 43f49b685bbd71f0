/** Tokenising questions and answers, and vocabularies built from training data only. */
package org.medvqa.models.text;
