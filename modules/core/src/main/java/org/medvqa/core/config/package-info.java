/** Configuration checks and provenance records shared by every job. */
package org.medvqa.core.config;
