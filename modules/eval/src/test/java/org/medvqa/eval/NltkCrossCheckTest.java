package org.medvqa.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medvqa.core.Requirements;

/**
 * Compares our tokens and BLEU with the real NLTK, through {@code scripts/nltk_crosscheck.py} run
 * by the system Python (which has Debian's NLTK 3.8): tokens must be equal, BLEU equal to 1e-9.
 * NLTK ≥ 3.4's word tokenizer and {@code sentence_bleu} are checked against our {@link
 * BleuMode#NLTK_3_4}; the 3.2.2 Treebank rules and 3.2.2's no-smoothing rule (replayed on NLTK's
 * own precision and brevity functions) against {@link BleuMode#NLTK_3_2_2}.
 */
class NltkCrossCheckTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final double TOLERANCE = 1e-9;

  /** Strings that exercise every rule we reproduce. */
  private static final List<String> TRICKY =
      List.of(
          "I cannot see it",
          "‘cannot’ «gonna» gotta gimme lemme",
          "we wanna go",
          "wanna\tgo wanna\u00a0now wanna’",
          "i wanna",
          "Naïve café, ΟΔΟΣ ΣΑ straße İstanbul ǅemal",
          "“quoted” ‘single’ „low“ «guillemets» ‛odd",
          "Hodgkin’s lymphoma",
          "crohn’s disease, non-hodgkin’s",
          "arnold–chiari malformation — type i",
          "patient a:\u00a0acute retroperitoneal hematoma",
          "1,000 cells; 1.5 cm; T2/FLAIR (axial) x-ray 3rd",
          "realization quantization resizer foundationally ionization",
          "exceed’s canning’s earrings’ outings proceeding",
          "bstated generously skies dying news",
          "emoji 😀 x-ray 𝒳ies e\u0301cannot",
          "a\u001cb x\u2028y z\u0085w",
          "the the the",
          "no",
          "yes",
          "",
          "wanna",
          "What is the primary abnormality in this image?",
          "pleomorphic xanthoastrocytoma, pxa",
          "is this a t1 weighted, t2 weighted, or flair image?");

  private static Path script;
  private static Path stopwords;

  @TempDir static Path tmp;

  @BeforeAll
  static void findNltk() throws Exception {
    script =
        Path.of(System.getProperty("basedir", "."), "..", "..", "scripts", "nltk_crosscheck.py")
            .toAbsolutePath()
            .normalize();
    Requirements.require(
        Files.isRegularFile(script), "no " + script + ": skipping the NLTK cross-check");
    Requirements.require(
        Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import nltk")) == 0,
        "/usr/bin/python3 cannot import nltk (apt-get install python3-nltk): skipping the NLTK"
            + " cross-check");
    stopwords = tmp.resolve("stopwords.txt");
    Files.write(stopwords, BleuTokenizer.stopwords(), StandardCharsets.UTF_8);
  }

  @Test
  void trickyStringsMatchNltk() throws Exception {
    List<String[]> pairs = new ArrayList<>();
    for (String a : TRICKY) {
      for (String b : TRICKY) {
        pairs.add(new String[] {a, b});
      }
    }
    compare(pairs);
  }

  @Test
  void realAnswersAndQuestionsMatchNltk() throws Exception {
    Path dir =
        Path.of(System.getProperty("medvqa.shared.data", "../../../shared/data"), "vqa-med-2019");
    Path test = dir.resolve("VQAMed2019_Test_Questions_w_Ref_Answers.txt");
    Requirements.require(
        Files.isRegularFile(test),
        "no " + test + " (set -Dmedvqa.shared.data): skipping the real-data NLTK cross-check");
    List<String> answers = new ArrayList<>();
    List<String> questions = new ArrayList<>();
    for (String line : Files.readAllLines(test, StandardCharsets.UTF_8)) {
      String[] f = line.split("\\|", -1);
      if (f.length == 4) {
        questions.add(f[2]);
        answers.add(f[3]);
        if (f[3].contains("#")) {
          answers.addAll(List.of(f[3].split("#")));
        }
      }
    }
    // The training answers with non-ASCII text (’, no-break spaces, dashes), and a sample of the
    // rest.
    Path train = dir.resolve("ImageClef_2019_Training/All_QA_Pairs_train.txt");
    if (Files.isRegularFile(train)) {
      List<String> lines = Files.readAllLines(train, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String[] f = lines.get(i).split("\\|", -1);
        if (f.length == 3 && (i % 40 == 0 || !f[2].chars().allMatch(c -> c < 128))) {
          answers.add(f[2]);
        }
      }
    }
    List<String[]> pairs = new ArrayList<>();
    int n = answers.size();
    for (int i = 0; i < n; i++) {
      for (int step : new int[] {0, 1, 7, 31}) {
        pairs.add(new String[] {answers.get(i), answers.get((i + step) % n)});
      }
    }
    int q = questions.size();
    for (int i = 0; i < q; i++) {
      pairs.add(new String[] {questions.get(i), questions.get((i + 1) % q)});
      pairs.add(new String[] {questions.get(i), answers.get(i)});
    }
    assertTrue(pairs.size() > 1000, "only " + pairs.size() + " pairs");
    compare(pairs);
  }

  private static void compare(List<String[]> pairs) throws Exception {
    Path tsv = Files.createTempFile(tmp, "pairs", ".tsv");
    List<String> lines = new ArrayList<>(pairs.size());
    for (String[] p : pairs) {
      lines.add(escape(p[0]) + "\t" + escape(p[1]));
    }
    Files.write(tsv, lines, StandardCharsets.UTF_8);

    Process process =
        new ProcessBuilder(
                PYTHON.toString(), script.toString(), tsv.toString(), stopwords.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    List<JsonNode> results = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        results.add(json.readTree(line));
      }
    }
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "nltk_crosscheck.py timed out");
    assertEquals(0, process.exitValue(), "nltk_crosscheck.py failed");
    assertEquals(pairs.size(), results.size(), "one result per pair");

    BleuTokenizer v34 = new BleuTokenizer(BleuMode.NLTK_3_4);
    BleuTokenizer v322 = new BleuTokenizer(BleuMode.NLTK_3_2_2);
    List<String> mismatches = new ArrayList<>();
    double maxDiff = 0;
    for (int i = 0; i < pairs.size(); i++) {
      String[] p = pairs.get(i);
      for (String name : new String[] {"wt", "tb"}) {
        BleuTokenizer tok = name.equals("wt") ? v34 : v322;
        JsonNode nltk = results.get(i).get(name);
        List<String> ref = tok.tokens(p[0]);
        List<String> hyp = tok.tokens(p[1]);
        if (!ref.equals(strings(nltk.get("ref"))) || !hyp.equals(strings(nltk.get("hyp")))) {
          mismatches.add(
              name + " tokens of " + quote(p) + ": ours " + ref + " " + hyp + ", NLTK " + nltk);
          continue;
        }
        for (BleuMode mode : BleuMode.values()) {
          String key = mode == BleuMode.NLTK_3_4 ? "bleu_3_4" : "bleu_3_2_2";
          double ours = SentenceBleu.score(ref, hyp, mode);
          double theirs = nltk.get(key).asDouble();
          double diff = Math.abs(ours - theirs);
          maxDiff = Math.max(maxDiff, diff);
          if (!(diff <= TOLERANCE)) {
            mismatches.add(
                name + " " + key + " of " + quote(p) + ": ours " + ours + ", NLTK " + theirs);
          }
        }
      }
    }
    System.out.printf(
        "NLTK cross-check: %d pairs, 2 tokenisers x 2 BLEU modes, max |diff| %s, %d mismatches%n",
        pairs.size(), maxDiff, mismatches.size());
    if (!mismatches.isEmpty()) {
      fail(
          mismatches.size()
              + " mismatches, first: \n"
              + String.join("\n", mismatches.subList(0, Math.min(10, mismatches.size()))));
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>(array.size());
    array.forEach(node -> out.add(node.asText()));
    return out;
  }

  private static String quote(String[] pair) {
    return "[" + pair[0] + "] / [" + pair[1] + "]";
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
  }

  private static int run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
  }
}
