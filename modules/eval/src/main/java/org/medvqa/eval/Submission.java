package org.medvqa.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run file: VQA lines {@code id|answer}, VQG lines {@code id|question|question…}.
 *
 * <p>Reading never fails on content: every line is kept as written, and {@link
 * #validate(GroundTruth)} reports what the official checker would object to, all at once and with
 * line numbers. The evaluators refuse a submission with problems.
 */
public final class Submission {

  /**
   * One line of the file.
   *
   * @param line its 1-based number
   * @param fields its {@code |}-separated fields, unstripped (a blank line has one empty field)
   */
  public record Entry(int line, List<String> fields) {

    /** Copies the fields. */
    public Entry {
      fields = List.copyOf(fields);
    }

    /** The first field. */
    public String id() {
      return fields.get(0);
    }

    /** The stripped answer or questions: every field after the id. */
    public List<String> texts() {
      List<String> texts = new ArrayList<>(Math.max(0, fields.size() - 1));
      for (int i = 1; i < fields.size(); i++) {
        texts.add(PyText.strip(fields.get(i)));
      }
      return texts;
    }
  }

  private final String source;
  private final Task task;
  private final List<Entry> entries;
  private final Map<String, Entry> firstById;

  private Submission(String source, Task task, List<Entry> entries) {
    this.source = source;
    this.task = task;
    this.entries = List.copyOf(entries);
    Map<String, Entry> first = new HashMap<>();
    for (Entry entry : entries) {
      first.putIfAbsent(entry.id(), entry);
    }
    this.firstById = Map.copyOf(first);
  }

  /** Reads a UTF-8 file; the source name is the path. */
  public static Submission read(Path path, Task task) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return read(in, path.toString(), task);
    }
  }

  /**
   * Reads a submission from its bytes, which must be UTF-8 text: a line that is not, or a control
   * character (a binary file), is an {@link EvalInputException} naming the line, as ingest refuses
   * them in a release; never replacement characters that would be scored.
   */
  public static Submission read(InputStream in, String sourceName, Task task) throws IOException {
    return read(new StringReader(StrictText.read(in, sourceName)), sourceName, task);
  }

  /** Reads a submission from a character stream (the caller decodes UTF-8). */
  public static Submission read(Reader reader, String sourceName, Task task) throws IOException {
    List<Entry> entries = new ArrayList<>();
    BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
    int number = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      number++;
      if (number == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      entries.add(new Entry(number, PyText.splitFields(line)));
    }
    return new Submission(sourceName, task, entries);
  }

  /** Builds a submission in memory, one {@code id → texts} line per map entry, in map order. */
  public static Submission of(String source, Task task, Map<String, List<String>> answers) {
    List<Entry> entries = new ArrayList<>(answers.size());
    int line = 0;
    for (Map.Entry<String, List<String>> answer : answers.entrySet()) {
      List<String> fields = new ArrayList<>(answer.getValue().size() + 1);
      fields.add(answer.getKey());
      fields.addAll(answer.getValue());
      entries.add(new Entry(++line, fields));
    }
    return new Submission(source, task, entries);
  }

  /**
   * Everything the official checker would refuse: a line with the wrong number of fields (VQA:
   * exactly 2; VQG: at least 2; a blank line counts, as the official reader sees an empty row), an
   * id not in the ground truth, an id answered twice, an empty answer (or, for VQG, no non-empty
   * question), and each ground-truth item without a line. Empty when the submission is valid.
   */
  public List<Problem> validate(GroundTruth groundTruth) {
    List<Problem> problems = new ArrayList<>();
    if (entries.stream().allMatch(e -> e.fields().size() == 1 && PyText.strip(e.id()).isEmpty())) {
      // One problem, not one "no line for id" per ground-truth item.
      problems.add(
          new Problem(
              0,
              "the submission is empty"
                  + (entries.isEmpty() ? "" : " (only blank lines)")
                  + ": no line for any of the "
                  + groundTruth.size()
                  + " items of "
                  + groundTruth.source()));
      return List.copyOf(problems);
    }
    Map<String, Integer> seen = new HashMap<>();
    for (Entry entry : entries) {
      int line = entry.line();
      List<String> f = entry.fields();
      if (task == Task.VQA && f.size() != 2) {
        problems.add(
            new Problem(line, "expected 2 fields, <id>|<answer>, found " + describeCount(f)));
      } else if (task == Task.VQG && f.size() < 2) {
        problems.add(
            new Problem(
                line,
                "expected at least 2 fields, <id>|<question>[|<question>…], found "
                    + describeCount(f)));
      }
      if (f.size() == 1 && PyText.strip(f.get(0)).isEmpty()) {
        continue; // a blank line: nothing more to say about it
      }
      String id = entry.id();
      if (groundTruth.item(id) == null) {
        problems.add(new Problem(line, "id '" + id + "' is not in the ground truth"));
      }
      Integer first = seen.putIfAbsent(id, line);
      if (first != null) {
        problems.add(
            new Problem(line, "id '" + id + "' appears again (first on line " + first + ")"));
      }
      if (f.size() >= 2 && String.join("", entry.texts()).isEmpty()) {
        problems.add(new Problem(line, task == Task.VQA ? "empty answer" : "no question"));
      }
    }
    for (GroundTruth.Item item : groundTruth.items()) {
      if (!seen.containsKey(item.id())) {
        problems.add(
            new Problem(
                0,
                "no line for id '"
                    + item.id()
                    + "' ("
                    + groundTruth.source()
                    + " line "
                    + item.line()
                    + ")"));
      }
    }
    return List.copyOf(problems);
  }

  /** Throws {@link InvalidSubmissionException} unless {@link #validate} finds nothing. */
  public void requireValid(GroundTruth groundTruth) {
    List<Problem> problems = validate(groundTruth);
    if (!problems.isEmpty()) {
      throw new InvalidSubmissionException(source, problems);
    }
  }

  private static String describeCount(List<String> fields) {
    if (fields.size() == 1 && PyText.strip(fields.get(0)).isEmpty()) {
      return "a blank line";
    }
    return fields.size() + (fields.size() == 1 ? " field" : " fields");
  }

  /** The stripped answer or questions given for an id (its first line), or an empty list. */
  public List<String> texts(String id) {
    Entry entry = firstById.get(id);
    return entry == null ? List.of() : entry.texts();
  }

  /** The name of the source it was read from. */
  public String source() {
    return source;
  }

  /** Which task's layout it was read as. */
  public Task task() {
    return task;
  }

  /** Every line, in file order. */
  public List<Entry> entries() {
    return entries;
  }

  @Override
  public String toString() {
    return "Submission[" + source + ", " + task.label() + ", " + entries.size() + " lines]";
  }
}
