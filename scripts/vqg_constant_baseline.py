#!/usr/bin/env python3
"""The VQG floor: the same K most frequent training questions for every test image.

Writes a VQG submission (image|q1|...|qK) for the images of a VQG ground-truth file, with the K
questions asked most often about the other images of the training QA file, so none of the
test images' own questions is used. `make vqg-baseline-2019` scores it with `bin/medvqa evaluate`
against the ground truth of the VQG runs of `make runs-2019-vae`.

    scripts/vqg_constant_baseline.py --qa QA_PAIRS.txt --ground-truth GT.txt --out SUB.txt [-k 5]
    scripts/vqg_constant_baseline.py --vqa-rad VQA_RAD.json --ground-truth GT.txt --out SUB.txt

With --vqa-rad the training questions come from VQA-RAD's published JSON list (image_name,
question); images are named without their extension, as ingest names them.
"""
import argparse
import collections
import json
import os


def training_questions(a):
    """(image id, question) pairs of the training file."""
    if a.vqa_rad:
        with open(a.vqa_rad, encoding="utf-8") as f:
            for n, o in enumerate(json.load(f)):
                if "image_name" not in o or "question" not in o:
                    raise SystemExit("%s object %d: expected image_name and question" % (a.vqa_rad, n))
                yield os.path.splitext(o["image_name"])[0], o["question"]
        return
    with open(a.qa, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.rstrip("\n").split("|")
            if len(fields) != 3:
                raise SystemExit("%s line %d: expected id|question|answer" % (a.qa, n))
            yield fields[0], fields[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--qa", help="training QA pairs, id|question|answer")
    src.add_argument("--vqa-rad", help="VQA-RAD's JSON list of question objects")
    ap.add_argument("--ground-truth", required=True, help="VQG ground truth, id|q1|q2|...")
    ap.add_argument("--out", required=True)
    ap.add_argument("-k", type=int, default=5, help="questions per image (the runs generate 5)")
    a = ap.parse_args()
    with open(a.ground_truth, encoding="utf-8") as f:
        test = sorted({line.split("|", 1)[0] for line in f if line.strip()})
    held = set(test)
    counts = collections.Counter()
    for image, question in training_questions(a):
        if image not in held:
            counts[question] += 1
    top = [q for q, _ in counts.most_common(a.k)]
    with open(a.out, "w", encoding="utf-8") as out:
        for image in test:
            out.write(image + "|" + "|".join(top) + "\n")
    print("vqg-baseline: %d images, questions: %s" % (len(test), top))


if __name__ == "__main__":
    main()
