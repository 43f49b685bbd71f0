package org.medvqa.eval.bench;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.medvqa.eval.BleuMode;
import org.medvqa.eval.BleuTokenizer;
import org.medvqa.eval.SentenceBleu;

/**
 * Times our BLEU preprocessing and scoring on generated (reference, candidate) pairs, for {@code
 * scripts/bench_eval.py}, which times NLTK on the same pairs.
 *
 * <p>Usage: {@code BleuBenchmark [--pairs N] [--seed S] [--mode nltk-3.4] --tsv PATH}. Writes the
 * pairs to PATH ({@code reference<TAB>candidate}) and prints one JSON line of results. Each timed
 * round uses a fresh tokenizer, so its stem cache starts cold.
 */
public final class BleuBenchmark {

  /** Words of radiology answers, with the stopwords and punctuation real answers have. */
  private static final String[] VOCABULARY = {
    "ct",
    "mri",
    "x-ray",
    "us",
    "ultrasound",
    "angiography",
    "angiogram",
    "cta",
    "mra",
    "pet",
    "t1",
    "t2",
    "t2-weighted",
    "flair",
    "dwi",
    "adc",
    "gre",
    "contrast",
    "non-contrast",
    "iv",
    "gi",
    "axial",
    "sagittal",
    "coronal",
    "ap",
    "pa",
    "lateral",
    "oblique",
    "frontal",
    "transverse",
    "longitudinal",
    "lung",
    "lungs",
    "mediastinum",
    "pleura",
    "spine",
    "skull",
    "contents",
    "heart",
    "great",
    "vessels",
    "gastrointestinal",
    "genitourinary",
    "musculoskeletal",
    "face",
    "sinuses",
    "neck",
    "breast",
    "brain",
    "liver",
    "kidney",
    "kidneys",
    "renal",
    "hepatic",
    "cerebral",
    "pulmonary",
    "left",
    "right",
    "lower",
    "upper",
    "lobe",
    "bilateral",
    "pneumonia",
    "pneumothorax",
    "effusion",
    "mass",
    "masses",
    "nodule",
    "nodules",
    "tumor",
    "tumors",
    "cyst",
    "cysts",
    "abscess",
    "hematoma",
    "hemorrhage",
    "infarct",
    "infarction",
    "stenosis",
    "aneurysm",
    "fracture",
    "fractures",
    "dislocation",
    "metastasis",
    "metastases",
    "metastatic",
    "carcinoma",
    "adenocarcinoma",
    "lymphoma",
    "hodgkin’s",
    "glioblastoma",
    "meningioma",
    "astrocytoma",
    "sarcoma",
    "osteosarcoma",
    "disease",
    "syndrome",
    "malformation",
    "arnold–chiari",
    "enlarged",
    "dilated",
    "calcified",
    "acute",
    "chronic",
    "normal",
    "abnormal",
    "benign",
    "malignant",
    "cm",
    "1.5",
    "3",
    "yes",
    "no",
    "the",
    "of",
    "with",
    "and",
    "in",
    "a",
    "to",
    "on",
    "is",
    "this",
    "(axial)",
    "ct/mri",
    "secondary",
    "multiple",
    "small",
    "large",
    "diffuse",
    "focal",
    "intraventricular",
    "retroperitoneal",
    "realization",
    "organization",
    "imaging",
    "imaged",
    "showing"
  };

  private BleuBenchmark() {}

  /** Runs the benchmark; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    int pairs = 100_000;
    long seed = 20190;
    BleuMode mode = BleuMode.NLTK_3_4;
    Path tsv = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--pairs" -> pairs = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--mode" -> mode = BleuMode.fromName(args[++i]);
        case "--tsv" -> tsv = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (tsv == null) {
      throw new IllegalArgumentException("--tsv PATH is required");
    }
    List<String[]> data = generate(pairs, new SplittableRandom(seed));
    Files.createDirectories(tsv.toAbsolutePath().getParent());
    try (Writer w = Files.newBufferedWriter(tsv, StandardCharsets.UTF_8)) {
      for (String[] p : data) {
        w.write(p[0] + "\t" + p[1] + "\n");
      }
    }

    // Warm-up: let the JIT compile the whole path before anything is timed.
    for (int round = 0; round < 3; round++) {
      pipeline(data, mode);
    }
    double pipelineSeconds = Double.MAX_VALUE;
    double mean = 0;
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      mean = pipeline(data, mode);
      pipelineSeconds = Math.min(pipelineSeconds, (System.nanoTime() - t0) / 1e9);
    }

    BleuTokenizer tokenizer = new BleuTokenizer(mode);
    List<List<String>> refs = new ArrayList<>(pairs);
    List<List<String>> hyps = new ArrayList<>(pairs);
    for (String[] p : data) {
      refs.add(tokenizer.tokens(p[0]));
      hyps.add(tokenizer.tokens(p[1]));
    }
    for (int round = 0; round < 3; round++) {
      bleuOnly(refs, hyps, mode);
    }
    double bleuSeconds = Double.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      long t0 = System.nanoTime();
      bleuOnly(refs, hyps, mode);
      bleuSeconds = Math.min(bleuSeconds, (System.nanoTime() - t0) / 1e9);
    }

    System.out.printf(
        Locale.ROOT,
        "{\"pairs\":%d,\"mode\":\"%s\",\"pipeline_seconds\":%.6f,\"bleu_seconds\":%.6f,"
            + "\"mean_bleu\":%s}%n",
        pairs,
        mode.label(),
        pipelineSeconds,
        bleuSeconds,
        Double.toString(mean));
  }

  /** Tokenise, stem and score every pair; returns the mean BLEU (summed in order, like Python). */
  private static double pipeline(List<String[]> data, BleuMode mode) {
    BleuTokenizer tokenizer = new BleuTokenizer(mode);
    double sum = 0;
    for (String[] p : data) {
      sum += SentenceBleu.score(tokenizer.tokens(p[0]), tokenizer.tokens(p[1]), mode);
    }
    return sum / data.size();
  }

  private static double bleuOnly(List<List<String>> refs, List<List<String>> hyps, BleuMode mode) {
    double sum = 0;
    for (int i = 0; i < refs.size(); i++) {
      sum += SentenceBleu.score(refs.get(i), hyps.get(i), mode);
    }
    return sum;
  }

  /**
   * References of 1-12 words; candidates are the reference (30%), an edit of it (45%: words
   * dropped, replaced or swapped) or another answer (25%).
   */
  static List<String[]> generate(int count, SplittableRandom random) {
    List<String[]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<String> ref = answer(random);
      List<String> hyp;
      int kind = random.nextInt(100);
      if (kind < 30) {
        hyp = ref;
      } else if (kind < 75) {
        hyp = new ArrayList<>(ref);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
          int at = random.nextInt(hyp.size());
          switch (random.nextInt(3)) {
            case 0 -> {
              if (hyp.size() > 1) {
                hyp.remove(at);
              }
            }
            case 1 -> hyp.set(at, word(random));
            default -> hyp.add(at, hyp.get(random.nextInt(hyp.size())));
          }
        }
      } else {
        hyp = answer(random);
      }
      out.add(new String[] {String.join(" ", ref), String.join(" ", hyp)});
    }
    return out;
  }

  private static List<String> answer(SplittableRandom random) {
    int length = 1 + random.nextInt(12);
    List<String> words = new ArrayList<>(length);
    for (int i = 0; i < length; i++) {
      words.add(word(random));
    }
    return words;
  }

  private static String word(SplittableRandom random) {
    return VOCABULARY[random.nextInt(VOCABULARY.length)];
  }
}
