package org.medvqa.augment.text;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import opennlp.tools.lemmatizer.LemmatizerModel;
import opennlp.tools.postag.POSModel;
import opennlp.tools.tokenize.TokenizerModel;
import org.medvqa.core.config.ConfigProblem;

/**
 * The OpenNLP models, loaded once per JVM (on the driver and on each executor) and shared: the
 * models are thread-safe, the taggers made from them are not. A name is a file path or a classpath
 * resource, such as the files of the Maven Central model jars.
 */
public final class OpenNlpModels {
  private static final Map<String, Object> LOADED = new ConcurrentHashMap<>();

  private OpenNlpModels() {}

  public static TokenizerModel tokenizer(String name) {
    return (TokenizerModel)
        LOADED.computeIfAbsent("tokenizer:" + name, k -> load(name, "tokenizer"));
  }

  public static POSModel pos(String name) {
    return (POSModel) LOADED.computeIfAbsent("pos:" + name, k -> load(name, "pos"));
  }

  public static LemmatizerModel lemmatizer(String name) {
    return (LemmatizerModel)
        LOADED.computeIfAbsent("lemmatizer:" + name, k -> load(name, "lemmatizer"));
  }

  private static Object load(String name, String kind) {
    try (InputStream in = open(name, kind)) {
      return switch (kind) {
        case "tokenizer" -> new TokenizerModel(in);
        case "pos" -> new POSModel(in);
        default -> new LemmatizerModel(in);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read OpenNLP " + kind + " model " + name + ": " + e.getMessage(), e);
    }
  }

  private static InputStream open(String name, String kind) throws IOException {
    Path file = Path.of(name);
    if (Files.isRegularFile(file)) {
      return new BufferedInputStream(Files.newInputStream(file));
    }
    String resource = name.startsWith("/") ? name.substring(1) : name;
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    InputStream in = context == null ? null : context.getResourceAsStream(resource);
    if (in == null) {
      in = OpenNlpModels.class.getClassLoader().getResourceAsStream(resource);
    }
    if (in == null) {
      throw new ConfigProblem(
          "OpenNLP "
              + kind
              + " model '"
              + name
              + "' is neither a file nor on the classpath (config key "
              + QuestionAugmentSettings.PATH
              + ".models."
              + kind
              + ")");
    }
    return new BufferedInputStream(in);
  }
}
