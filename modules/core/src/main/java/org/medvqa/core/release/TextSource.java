package org.medvqa.core.release;

import java.io.Serializable;
import java.util.Objects;
import org.medvqa.core.Category;

/**
 * One text file of a release and how to read it.
 *
 * @param path full URI of the file
 * @param format its line format
 * @param split train, val or test
 * @param task vqa or vqg
 * @param category the category every line has (category files), or null
 * @param imageDir full URI of the folder holding this file's images, or null when absent
 */
public record TextSource(
    String path, TextFormat format, String split, String task, Category category, String imageDir)
    implements Serializable {

  public TextSource {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(task, "task");
  }

  /** The file name, for messages. */
  public String fileName() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }
}
