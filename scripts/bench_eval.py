#!/usr/bin/python3
"""Benchmark medvqa-eval's BLEU against NLTK's on the same 100,000 generated pairs.

Run from anywhere after `mvn -pl modules/eval install` (make bench-eval does both):

    /usr/bin/python3 scripts/bench_eval.py [--pairs N] [--seed S]

The Java side (org.medvqa.eval.bench.BleuBenchmark, in the module's test classes)
generates the pairs with a fixed seed, writes them to modules/eval/target/bench/pairs.tsv,
and times itself after a JIT warm-up (best of 5 rounds). This script then reads the same
file and times NLTK (best of 2 rounds). Both sides are timed on the same two things:

  pipeline   lower-case, drop punctuation, tokenise, drop stopwords, stem, sentence BLEU
             (NLTK: NLTKWordTokenizer = word_tokenize of NLTK >= 3.4 without the punkt
             split, which punctuation removal makes a no-op; the 179 stopwords;
             SnowballStemmer("english"); sentence_bleu)
  BLEU only  sentence BLEU on tokens prepared beforehand

in nltk-3.4 mode, the behaviour of the installed NLTK, so both means must agree.
The last line is `bench-eval: pairs=N ours=<pairs/s> peer=<pairs/s> ratio=<x>`
for the pipeline.
"""

import argparse
import json
import os
import string
import subprocess
import sys
import time
import warnings

try:
    from nltk.stem.snowball import SnowballStemmer
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.translate.bleu_score import sentence_bleu
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("bench-eval needs NLTK: apt-get install python3-nltk (run with /usr/bin/python3)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE = os.path.join(ROOT, "modules", "eval")
TARGET = os.path.join(MODULE, "target")
STOPWORDS = os.path.join(MODULE, "src", "main", "resources", "org", "medvqa", "eval", "stopwords-en.txt")
WEIGHTS = (0.25, 0.25, 0.25, 0.25)


def classpath():
    """The module's classes and test classes plus its dependencies (asked of Maven once)."""
    cp_file = os.path.join(TARGET, "bench-classpath.txt")
    if not os.path.exists(cp_file):
        subprocess.run(
            ["mvn", "-B", "-q", "-pl", "modules/eval", "dependency:build-classpath",
             "-Dmdep.includeScope=test", "-Dmdep.outputFile=" + cp_file],
            cwd=ROOT, check=True)
    with open(cp_file) as f:
        deps = f.read().strip()
    classes = [os.path.join(TARGET, "classes"), os.path.join(TARGET, "test-classes")]
    for c in classes:
        if not os.path.isdir(c):
            sys.exit(f"{c} is missing: run `mvn -B -q -pl modules/eval install` first")
    return os.pathsep.join(classes + [deps])


def run_java(pairs, seed, tsv):
    out = subprocess.run(
        ["java", "-Xmx2g", "-cp", classpath(), "org.medvqa.eval.bench.BleuBenchmark",
         "--pairs", str(pairs), "--seed", str(seed), "--mode", "nltk-3.4", "--tsv", tsv],
        check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def nltk_side(tsv):
    with open(STOPWORDS, encoding="utf-8") as f:
        stops = {w.strip() for w in f if w.strip()}
    with open(tsv, encoding="utf-8", newline="\n") as f:
        pairs = [line.rstrip("\n").split("\t") for line in f]
    tokenizer = NLTKWordTokenizer()
    stemmer = SnowballStemmer("english")
    punctuation = str.maketrans("", "", string.punctuation)
    warnings.filterwarnings("ignore")  # sentence_bleu warns on every order without a match

    def tokens(text):
        words = tokenizer.tokenize(text.lower().translate(punctuation).rstrip())
        return [stemmer.stem(w) for w in words if w.lower() not in stops]

    def bleu(ref, hyp):
        if not ref and not hyp:
            return 1.0
        return float(sentence_bleu([ref], hyp, WEIGHTS))

    def pipeline():
        total = 0.0
        for ref, hyp in pairs:
            total += bleu(tokens(ref), tokens(hyp))
        return total / len(pairs)

    pipeline_s, mean = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        mean = pipeline()
        pipeline_s = min(pipeline_s, time.perf_counter() - t0)

    prepared = [(tokens(r), tokens(h)) for r, h in pairs]
    bleu_s = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        for ref, hyp in prepared:
            bleu(ref, hyp)
        bleu_s = min(bleu_s, time.perf_counter() - t0)
    return {"pipeline_seconds": pipeline_s, "bleu_seconds": bleu_s, "mean_bleu": mean}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20190)
    args = parser.parse_args()
    tsv = os.path.join(TARGET, "bench", "pairs.tsv")

    ours = run_java(args.pairs, args.seed, tsv)
    peer = nltk_side(tsv)
    n = ours["pairs"]

    def rate(seconds):
        return n / seconds

    rows = [
        ("tokenise+stem+BLEU (pipeline)", rate(ours["pipeline_seconds"]), rate(peer["pipeline_seconds"])),
        ("BLEU only (prepared tokens)", rate(ours["bleu_seconds"]), rate(peer["bleu_seconds"])),
    ]
    print(f"BLEU benchmark: {n:,} pairs, seed {args.seed}, mode {ours['mode']}, NLTK on {sys.executable}")
    print(f"{'what':<31}| {'ours pairs/s':>13} | {'NLTK pairs/s':>13} | {'ratio':>8}")
    print(f"{'-' * 31}+{'-' * 15}+{'-' * 15}+{'-' * 9}")
    for what, o, p in rows:
        print(f"{what:<31}| {o:>13,.0f} | {p:>13,.0f} | {o / p:>7.1f}x")
    diff = abs(ours["mean_bleu"] - peer["mean_bleu"])
    print(f"mean BLEU: ours {ours['mean_bleu']:.12f}  NLTK {peer['mean_bleu']:.12f}  |diff| {diff:.3g}")
    if diff > 1e-9:
        print("bench-eval: MEAN BLEU DISAGREES", file=sys.stderr)
        sys.exit(1)
    o, p = rows[0][1], rows[0][2]
    print(f"bench-eval: pairs={n} ours={o:.0f} peer={p:.0f} ratio={o / p:.1f}")


if __name__ == "__main__":
    main()
