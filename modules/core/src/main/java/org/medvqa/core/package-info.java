/** Records, categories and identifiers shared by every stage of medvqa. */
package org.medvqa.core;
