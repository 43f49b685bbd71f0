/** Hadoop file-system helpers: one code path for local folders, HDFS and s3a. */
package org.medvqa.core.io;
