package org.medvqa.augment.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;

/** The built-in English stopword list (NLTK's 179 words), read from a resource file. */
public final class Stopwords {
  static final String RESOURCE = "stopwords-en.txt";

  private static final Set<String> ENGLISH = load();

  private Stopwords() {}

  /** The 179 words, lower case. */
  public static Set<String> english() {
    return ENGLISH;
  }

  private static Set<String> load() {
    try (InputStream in = Stopwords.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing from the jar");
      }
      Set<String> words = new LinkedHashSet<>();
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null) {
        String w = line.strip();
        if (!w.isEmpty() && !w.startsWith("#")) {
          words.add(w);
        }
      }
      return Set.copyOf(words);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
