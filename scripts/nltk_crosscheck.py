#!/usr/bin/python3
"""Score text pairs with the real NLTK, for NltkCrossCheckTest (modules/eval).

Usage: nltk_crosscheck.py PAIRS.tsv STOPWORDS.txt

PAIRS.tsv has one pair a line, "reference<TAB>hypothesis", with backslash escapes
(\\\\, \\t, \\n, \\r) inside the texts. STOPWORDS.txt is the 179-word English list, one
word a line (NLTK's stopwords corpus cannot be downloaded here, so the test hands it in).

For each pair, prints one JSON line with the preprocessing of the official VQA-Med
evaluators (lower-case, delete string.punctuation, tokenise, drop stopwords, stem with
SnowballStemmer("english")) under two tokenisers:

  "wt": NLTK's NLTKWordTokenizer, i.e. word_tokenize of NLTK >= 3.4 without the punkt
        sentence split (no sentence ends survive punctuation removal), and the real
        sentence_bleu([ref], hyp) of the installed NLTK (3.8, >= 3.4 behaviour).
  "tb": TreebankWordTokenizer with NLTK 3.2.2's "wanna " rule (a literal space) on the
        right-stripped text, i.e. 3.2.2's word_tokenize, and a BLEU that replays NLTK
        3.2.2's no-smoothing rule on NLTK's own modified_precision, closest_ref_length
        and brevity_penalty (3.2.2 itself is not installed).

Both apply the evaluators' rule that two empty token lists score 1.
"""

import json
import math
import re
import string
import sys
import warnings

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import TreebankWordTokenizer
from nltk.tokenize.destructive import NLTKWordTokenizer
from nltk.translate.bleu_score import (
    brevity_penalty,
    closest_ref_length,
    modified_precision,
    sentence_bleu,
)

WEIGHTS = (0.25, 0.25, 0.25, 0.25)
PUNCTUATION = str.maketrans("", "", string.punctuation)
ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def unescape(field):
    out = []
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            out.append(ESCAPES.get(field[i + 1], field[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def treebank_322():
    """TreebankWordTokenizer with 3.2.2's wanna rule, which wants a plain space after it."""
    tokenizer = TreebankWordTokenizer()
    rules = list(type(tokenizer).CONTRACTIONS2)
    rules[-1] = re.compile(r"(?i)\b(wan)(?#X)(na) ")
    tokenizer.CONTRACTIONS2 = rules
    return tokenizer


def bleu_322(ref, hyp):
    """NLTK 3.2.2's sentence_bleu without smoothing: stop at the first order with no match."""
    precisions = [modified_precision([ref], hyp, n) for n in range(1, 5)]
    if precisions[0].numerator == 0:
        return 0.0
    logs = []
    for weight, p in zip(WEIGHTS, precisions):
        if p.numerator == 0:
            break
        logs.append(weight * math.log(p))
    c = len(hyp)
    return brevity_penalty(closest_ref_length([ref], c), c) * math.exp(math.fsum(logs))


def main():
    pairs_path, stopwords_path = sys.argv[1], sys.argv[2]
    with open(stopwords_path, encoding="utf-8") as f:
        stops = {w.strip() for w in f if w.strip() and not w.startswith("#")}
    stemmer = SnowballStemmer("english")
    wt = NLTKWordTokenizer()
    tb = treebank_322()
    warnings.filterwarnings("ignore")  # sentence_bleu warns on every zero-match order

    def tokens(tokenizer, text):
        words = tokenizer.tokenize(text.lower().translate(PUNCTUATION).rstrip())
        return [stemmer.stem(w) for w in words if w.lower() not in stops]

    out = sys.stdout
    with open(pairs_path, encoding="utf-8", newline="\n") as f:
        for line in f:
            ref_text, hyp_text = (unescape(x) for x in line.rstrip("\n").split("\t"))
            result = {}
            for name, tokenizer in (("wt", wt), ("tb", tb)):
                ref, hyp = tokens(tokenizer, ref_text), tokens(tokenizer, hyp_text)
                if not ref and not hyp:
                    b322 = b34 = 1.0
                else:
                    b322 = bleu_322(ref, hyp)
                    b34 = float(sentence_bleu([ref], hyp, WEIGHTS))
                result[name] = {"ref": ref, "hyp": hyp, "bleu_3_2_2": b322, "bleu_3_4": b34}
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
