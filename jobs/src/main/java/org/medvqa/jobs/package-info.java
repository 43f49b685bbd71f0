/** Thin job mains over the library modules, and the one command line they share. */
package org.medvqa.jobs;
