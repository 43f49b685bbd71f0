package org.medvqa.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The reference answers (or questions) of a test set, in file order.
 *
 * <p>Fields are separated by {@code |}. Blank lines are skipped and a leading byte-order mark is
 * ignored; any other line that does not fit the format is an {@link EvalInputException} naming the
 * source and line, and so is an id seen twice. References are stripped of surrounding whitespace
 * (which changes neither metric); the id is kept exactly as written, because the submission must
 * repeat it exactly.
 */
public final class GroundTruth {

  /** The question categories of the 2019 test set. */
  private static final Set<String> CATEGORIES_2019 =
      Set.of("modality", "plane", "organ", "abnormality");

  /**
   * One test item.
   *
   * @param id the image id in the official files (a sample id in our own splits)
   * @param category the 2019 question category, or null when the format has none
   * @param question the question, or null when the format has none
   * @param references the reference answers, or the reference questions for VQG
   * @param line the line of the source it was read from
   */
  public record Item(
      String id, String category, String question, List<String> references, int line) {

    /** Validates and copies the references. */
    public Item {
      Objects.requireNonNull(id, "id");
      references = List.copyOf(references);
      if (references.isEmpty()) {
        throw new IllegalArgumentException("item " + id + " has no reference");
      }
    }
  }

  private final String source;
  private final GroundTruthFormat format;
  private final List<Item> items;
  private final Map<String, Item> byId;

  private GroundTruth(String source, GroundTruthFormat format, List<Item> items) {
    this.source = source;
    this.format = format;
    this.items = List.copyOf(items);
    Map<String, Item> index = new HashMap<>();
    for (Item item : items) {
      index.put(item.id(), item);
    }
    this.byId = Collections.unmodifiableMap(index);
  }

  /** Builds a ground truth from items already in memory (ids must be distinct). */
  public static GroundTruth of(String source, GroundTruthFormat format, List<Item> items) {
    if (format == GroundTruthFormat.AUTO) {
      throw new IllegalArgumentException("name the format of in-memory items");
    }
    Map<String, Item> seen = new HashMap<>();
    for (Item item : items) {
      Item first = seen.putIfAbsent(item.id(), item);
      if (first != null) {
        throw new EvalInputException(
            source,
            item.line(),
            "duplicate id '" + item.id() + "' (first on line " + first.line() + ")");
      }
    }
    return new GroundTruth(source, format, items);
  }

  /** Reads a UTF-8 file; the source name is the path. */
  public static GroundTruth read(Path path, GroundTruthFormat format) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return read(in, path.toString(), format);
    }
  }

  /**
   * Reads a ground truth from its bytes, which must be UTF-8 text: a line that is not, or a control
   * character (a binary file), is an {@link EvalInputException} naming the line, as ingest refuses
   * them in a release.
   */
  public static GroundTruth read(InputStream in, String sourceName, GroundTruthFormat format)
      throws IOException {
    return read(new StringReader(StrictText.read(in, sourceName)), sourceName, format);
  }

  /**
   * Reads a ground truth from a character stream (the caller decodes UTF-8).
   *
   * <p>{@link GroundTruthFormat#AUTO} decides on all non-blank lines together: 4 fields whose
   * second is modality/plane/organ/abnormality on every line → {@code 2019-test}; else 3 fields
   * with a question (ending in "?") in the middle on every line → {@code qa}; else a question in
   * every field after the id → {@code vqg}; else at least 2 fields on every line → {@code 2021}. A
   * 2021 file whose answers all end in "?" would be taken for VQG: name the format then.
   */
  public static GroundTruth read(Reader reader, String sourceName, GroundTruthFormat format)
      throws IOException {
    List<Integer> lineNumbers = new ArrayList<>();
    List<List<String>> rows = new ArrayList<>();
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    int number = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      number++;
      if (number == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (PyText.strip(line).isEmpty()) {
        continue;
      }
      lineNumbers.add(number);
      rows.add(PyText.splitFields(line));
    }
    if (rows.isEmpty()) {
      throw new EvalInputException(sourceName, 0, "no ground-truth items");
    }
    GroundTruthFormat actual = format == GroundTruthFormat.AUTO ? detect(rows) : format;
    if (actual == null) {
      int bad = 0;
      while (rows.get(bad).size() >= 2) {
        bad++;
      }
      throw new EvalInputException(
          sourceName, lineNumbers.get(bad), "expected id|answer…, found a single field");
    }
    List<Item> items = new ArrayList<>(rows.size());
    Map<String, Integer> seen = new LinkedHashMap<>();
    for (int r = 0; r < rows.size(); r++) {
      int line = lineNumbers.get(r);
      Item item = parse(rows.get(r), actual, sourceName, line);
      Integer first = seen.putIfAbsent(item.id(), line);
      if (first != null) {
        throw new EvalInputException(
            sourceName, line, "duplicate id '" + item.id() + "' (first on line " + first + ")");
      }
      items.add(item);
    }
    return new GroundTruth(sourceName, actual, items);
  }

  private static GroundTruthFormat detect(List<List<String>> rows) {
    // The 2019 test layout, or the same layout with another release's categories (what predict
    // writes; VQA-RAD's are closed and open): a category, then a question. Read as 2021's
    // "id|answer|answer|answer", the category and the question would count as references.
    if (rows.stream()
        .allMatch(
            f ->
                f.size() == 4
                    && (CATEGORIES_2019.contains(PyText.strip(f.get(1)).toLowerCase(Locale.ROOT))
                        || isQuestion(f.get(2)) && !PyText.strip(f.get(1)).contains(" ")))) {
      return GroundTruthFormat.TEST_2019;
    }
    if (rows.stream().allMatch(f -> f.size() == 3 && isQuestion(f.get(1)))) {
      return GroundTruthFormat.QA;
    }
    if (rows.stream().allMatch(f -> f.size() >= 2)) {
      boolean questions =
          rows.stream()
              .allMatch(f -> f.subList(1, f.size()).stream().allMatch(GroundTruth::isQuestion));
      return questions ? GroundTruthFormat.VQG : GroundTruthFormat.VQA_2021;
    }
    return null;
  }

  private static boolean isQuestion(String field) {
    return PyText.strip(field).endsWith("?");
  }

  private static Item parse(List<String> f, GroundTruthFormat format, String source, int line) {
    String id = f.get(0);
    if (PyText.strip(id).isEmpty()) {
      throw new EvalInputException(source, line, "empty id");
    }
    switch (format) {
      case TEST_2019 -> {
        expectFields(f, 4, "id|category|question|answer", source, line);
        return new Item(
            id,
            PyText.strip(f.get(1)),
            PyText.strip(f.get(2)),
            alternatives(f.get(3), source, line),
            line);
      }
      case QA -> {
        expectFields(f, 3, "id|question|answer", source, line);
        return new Item(
            id, null, PyText.strip(f.get(1)), alternatives(f.get(2), source, line), line);
      }
      case VQA_2021, VQG -> {
        if (f.size() < 2) {
          throw new EvalInputException(
              source, line, "expected at least 2 fields (id|reference…), found " + f.size());
        }
        return new Item(id, null, null, references(f.subList(1, f.size()), source, line), line);
      }
      default -> throw new IllegalArgumentException("cannot parse format " + format);
    }
  }

  private static void expectFields(
      List<String> f, int count, String layout, String source, int line) {
    if (f.size() != count) {
      throw new EvalInputException(
          source, line, "expected " + count + " fields (" + layout + "), found " + f.size());
    }
  }

  /** The "#"-separated alternatives of a 2019/2020 answer field. */
  private static List<String> alternatives(String field, String source, int line) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= field.length(); i++) {
      if (i == field.length() || field.charAt(i) == '#') {
        parts.add(field.substring(start, i));
        start = i + 1;
      }
    }
    return references(parts, source, line);
  }

  /**
   * Stripped references. Empty ones are kept beside real ones, as the official evaluators keep them
   * (an empty reference still gives 1 to an answer made only of stopwords), but an item needs at
   * least one that is not empty.
   */
  private static List<String> references(List<String> fields, String source, int line) {
    List<String> refs = new ArrayList<>(fields.size());
    boolean any = false;
    for (String field : fields) {
      String ref = PyText.strip(field);
      any |= !ref.isEmpty();
      refs.add(ref);
    }
    if (!any) {
      throw new EvalInputException(source, line, "no reference answer");
    }
    return refs;
  }

  /** The name of the source it was read from. */
  public String source() {
    return source;
  }

  /** The format it was read as (never {@link GroundTruthFormat#AUTO}). */
  public GroundTruthFormat format() {
    return format;
  }

  /** The items in file order. */
  public List<Item> items() {
    return items;
  }

  /** The number of items. */
  public int size() {
    return items.size();
  }

  /** The item with this id, or null. */
  public Item item(String id) {
    return byId.get(id);
  }

  /** Whether the items carry the 2019 question categories. */
  public boolean hasCategories() {
    return format == GroundTruthFormat.TEST_2019;
  }

  @Override
  public String toString() {
    return "GroundTruth[" + source + ", " + format.label() + ", " + items.size() + " items]";
  }
}
