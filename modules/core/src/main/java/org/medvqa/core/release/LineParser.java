package org.medvqa.core.release;

import java.util.ArrayList;
import java.util.List;
import org.medvqa.core.Category;
import org.medvqa.core.ImageIds;

/**
 * Parses one line of a release text file into records, or says why it cannot. A line gives one
 * record, except a VQG reference line ({@code image|q1|q2|…}), which gives one per question.
 */
public final class LineParser {
  private LineParser() {}

  /** The outcome of parsing a line: records, or the reason the line is rejected. */
  public record Result(List<QaRecord> records, String reason) {
    static Result ok(List<QaRecord> records) {
      return new Result(records, null);
    }

    static Result rejected(String reason) {
      return new Result(List.of(), reason);
    }

    public boolean isRejected() {
      return reason != null;
    }
  }

  /**
   * Parses {@code line} (already decoded, without its line terminator) of a file of {@code
   * source}'s format. The answer field splits on '#' into alternatives, as the 2019 test file
   * writes them; each alternative is trimmed and must be non-empty.
   */
  public static Result parse(String line, TextSource source) {
    String[] f = line.split("\\|", -1);
    TextFormat format = source.format();
    if (format == TextFormat.CATEGORY_QA && source.category() == null) {
      // A category file of a category other than the four (ReleaseLayout): no line of it can be
      // labelled, and reading it as uncategorised pairs would hide that.
      return Result.rejected(
          "unknown category '"
              + ReleaseLayout.categoryInFileName(source.fileName())
              + "' in the name of "
              + source.fileName()
              + " (expected modality, plane, organ or abnormality)");
    }
    if (f.length < format.minFields() || f.length > format.maxFields()) {
      String expected =
          format.minFields() == format.maxFields()
              ? String.valueOf(format.minFields())
              : "at least " + format.minFields();
      return Result.rejected(
          "wrong field count: "
              + f.length
              + " fields, expected "
              + expected
              + " for format "
              + format.configName());
    }
    String imageId = f[0].trim();
    String idProblem = ImageIds.problem(imageId);
    if (idProblem != null) {
      return Result.rejected(idProblem);
    }
    return records(f, imageId, source);
  }

  /** The records of a line's fields {@code f}, whose count and image id are checked already. */
  private static Result records(String[] f, String imageId, TextSource source) {
    TextFormat format = source.format();
    switch (format) {
      case QA:
      case CATEGORY_QA:
        return qa(imageId, f[1], f[2], source.category(), source.task());
      case TEST_2019:
        {
          Category c = Category.fromNameOrNull(f[1]);
          if (c == null) {
            return Result.rejected("unknown category '" + f[1].trim() + "'");
          }
          return qa(imageId, f[2], f[3], c, source.task());
        }
      case TEST_2019_QUESTIONS:
        {
          Category c = Category.fromNameOrNull(f[1]);
          if (c == null) {
            return Result.rejected("unknown category '" + f[1].trim() + "'");
          }
          String q = f[2].trim();
          if (q.isEmpty()) {
            return Result.rejected("empty question");
          }
          return Result.ok(List.of(new QaRecord(imageId, q, List.of(), c, source.task())));
        }
      case QUESTIONS:
        {
          String q = f[1].trim();
          if (q.isEmpty()) {
            return Result.rejected("empty question");
          }
          return Result.ok(
              List.of(new QaRecord(imageId, q, List.of(), source.category(), source.task())));
        }
      case VQG_REFS:
        {
          List<QaRecord> out = new ArrayList<>();
          for (int i = 1; i < f.length; i++) {
            String q = f[i].trim();
            if (q.isEmpty()) {
              return Result.rejected("empty question in field " + (i + 1));
            }
            out.add(new QaRecord(imageId, q, List.of(), source.category(), "vqg"));
          }
          return Result.ok(out);
        }
      case ANSWERS:
        {
          List<String> answers = new ArrayList<>();
          for (int i = 1; i < f.length; i++) {
            for (String a : f[i].split("#", -1)) {
              if (a.trim().isEmpty()) {
                return Result.rejected("empty answer in field " + (i + 1));
              }
              answers.add(a.trim());
            }
          }
          return Result.ok(
              List.of(new QaRecord(imageId, "", answers, source.category(), source.task())));
        }
      case IMAGE_IDS:
        return Result.ok(List.of());
      case VQA_RAD:
        return Result.rejected("a VQA-RAD JSON file is read whole (VqaRadJson), not by lines");
      default:
        throw new IllegalStateException("unhandled format " + format);
    }
  }

  private static Result qa(
      String imageId, String question, String answerField, Category category, String task) {
    String q = question.trim();
    if (q.isEmpty()) {
      return Result.rejected("empty question");
    }
    if (answerField.trim().isEmpty()) {
      return Result.rejected("empty answer");
    }
    List<String> answers = new ArrayList<>();
    for (String a : answerField.split("#", -1)) {
      if (a.trim().isEmpty()) {
        return Result.rejected("empty alternative answer in '" + answerField.trim() + "'");
      }
      answers.add(a.trim());
    }
    return Result.ok(List.of(new QaRecord(imageId, q, answers, category, task)));
  }
}
