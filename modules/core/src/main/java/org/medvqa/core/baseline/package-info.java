/** The majority-answer baseline: the most frequent training answer per question category. */
package org.medvqa.core.baseline;
