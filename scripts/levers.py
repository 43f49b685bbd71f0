#!/usr/bin/env python3
"""The lever table of a `hybrid`, `vae-vqa` or `vae-vqg` run (make runs-2019-best, make runs-2019-vae).

Both kinds have levers that act at prediction only. The hybrid model: question-form restriction
and nearest-neighbour answers for some categories, on top of the question-aware network. The VAE:
answers restricted to a closed category's training answers, then by the question's form, and the
beam's length normalisation. The VQG VAE: how the questions after the first are chosen (draws of z,
or the next best hypotheses of one beam search). So each row here predicts the run's held-out split with the run's own
trained weights and one combination of levers (a copy of the model folder whose spec.json switches
them), then scores it with the project's evaluator. Rows differ by the levers alone, not by
training noise.

Usage: levers.py --bin bin/medvqa --run work/runs-2019/vqa-best
"""
import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys

# Per kind: (label, spec.json keys to set; None = the run's own value).
LEVERS = {
    # Rows without imaging attributes set attribute_categories to [] (models saved before them have
    # none); the attribute rows need a model trained with them (its memory is made in training).
    "hybrid": [
        # blend_weight 0: the blend's categories answered by the network alone (runs since the
        # blend have it in their spec).
        ("network only (argmax within the category)",
         {"restrict-by-form": False, "knn_categories": [], "attribute_categories": [],
          "blend_weight": 0.0}),
        ("+ question form (yes/no, choice options)",
         {"restrict-by-form": True, "knn_categories": [], "attribute_categories": [],
          "blend_weight": 0.0}),
        ("+ nearest-neighbour abnormality (k from the run), plain cosine",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": []}),
        ("nearest-neighbour abnormality, no question form",
         {"restrict-by-form": False, "knn_similarity": "cosine", "attribute_categories": []}),
        ("+ nearest-neighbour abnormality, centred features",
         {"restrict-by-form": True, "knn_similarity": "centred", "attribute_categories": []}),
        ("+ nearest-neighbour abnormality, standardised features",
         {"restrict-by-form": True, "knn_similarity": "standardised", "attribute_categories": []}),
        ("+ imaging attributes (modality, k = 1), plain cosine",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 1, "attribute_choice": False}),
        ("+ imaging attributes (modality, k = 5), plain cosine",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 5, "attribute_choice": False}),
        ("+ imaging attributes (modality, k = 10), plain cosine",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 10, "attribute_choice": False}),
        # Choice questions whose options are values of one attribute (contrast, MR weighting);
        # the weighting is in the memory of models trained since it was added.
        ("+ imaging attributes (k = 5) and choice questions by their vote",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 5, "attribute_choice": True}),
        # Neighbours (abnormality, and the blend's categories) compared after whitening by the
        # spread of each category's remembered images around their own answer.
        *((f"+ neighbours by within-answer whitening, shrinkage {s}",
           {"knn_similarity": "within", "knn_shrinkage": s})
          for s in [1.0, 0.3, 0.1, 0.03, 0.01]),
        # With the whitened neighbours, how much of the blend they should have.
        *((f"+ within-answer whitening 0.1, blend k = {k}, weight {w}",
           {"knn_similarity": "within", "knn_shrinkage": 0.1, "blend_k": k, "blend_weight": w})
          for k, w in [(10, 0.25), (10, 0.75), (10, 1.0), (5, 0.5), (20, 0.5)]),
        # ... and how many of them answer an open abnormality question.
        *((f"+ within-answer whitening 0.1, abnormality k = {k}",
           {"knn_similarity": "within", "knn_shrinkage": 0.1, "knn_k": k})
          for k in [3, 5]),
        # Rows naming a part of the feature run only where the run's pooling list has it.
        ("+ nearest-neighbour abnormality on res4-mean, no attributes",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": [],
          "knn_part": "res4-mean"}),
        ("+ both on res4-mean, attributes k = 5",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 5, "knn_part": "res4-mean"}),
        ("+ both on res5-mean, attributes k = 5",
         {"restrict-by-form": True, "knn_similarity": "cosine", "attribute_categories": ["modality"],
          "attribute_k": 5, "knn_part": "res5-mean"}),
        # Blend rows need a model trained with blend categories (their memory is made in
        # training); they vary the categories, the weight and k with the same memory.
        ("blend off (the network alone for modality, organ, plane)", {"blend_weight": 0.0}),
        # The blend's neighbours on both stage means, each whitened (or scaled) on its own.
        ("+ blend neighbours on res5-mean and res4-mean", {"blend_parts": ["res5-mean", "res4-mean"]}),
        ("+ blend neighbours on res5-mean", {"blend_parts": ["res5-mean"]}),
        ("+ blend neighbours on res5-mean and res4-grid", {"blend_parts": ["res5-mean", "res4-grid"]}),
        ("+ blend neighbours on the abnormality neighbours' part", {"blend_parts": []}),
        # Runs whose validation share chose the blend's weight per category (blend.weight-choices):
        # the run file's single weight instead.
        ("blend weight as set, none chosen per category", {"blend_chosen_weights": {}}),
        # Open organ questions answered with the organ of the image nearest in the diagnosis memory
        # when it is at least this similar (case.categories); runs trained with the setting chose
        # the threshold on their validation share.
        ("same case off", {"case_chosen_thresholds": {}}),
        *((f"+ same case for organ, threshold {t}",
           {"case_categories": ["organ"], "case_threshold_choices": [],
            "case_chosen_thresholds": {"organ": t}})
          for t in [0.5, 0.45, 0.4, 0.35]),
    ] + [
        (label, {"blend_categories": cats, "blend_k": k, "blend_weight": w})
        for label, cats, k, w in [
            ("+ blend organ, plane, k = 10, weight 0.5", ["organ", "plane"], 10, 0.5),
            *((f"+ blend modality, organ, plane, k = {k}, weight {w}", ["modality", "organ", "plane"], k, w)
              for k, w in [(10, 0.25), (10, 0.5), (10, 0.75), (5, 0.5), (20, 0.5)]),
            ("blend neighbours only (weight 1, k = 10)", ["modality", "organ", "plane"], 10, 1.0),
        ]
    ] + [
        # Open abnormality questions blended like the others instead of the nearest image's answer.
        (f"+ blend abnormality too, k = {k}, weight {w}, no nearest answer",
         {"knn_categories": [], "blend_categories": ["abnormality", "modality", "organ", "plane"],
          "blend_k": k, "blend_weight": w})
        for k, w in [(10, 0.5), (3, 0.75)]
    ],
    "vae-vqa": [
        ("free decoding, summed log-probabilities",
         {"category-answers": {}, "by-question-form": False, "length-norm": 0.0}),
        ("free decoding, length-normalised",
         {"category-answers": {}, "by-question-form": False}),
        ("+ closed categories' own answers", {"by-question-form": False}),
        ("+ question form (yes/no, choice options)", {"by-question-form": True}),
    ],
    "vae-vqg": [
        ("posterior mean's question, then sampled draws of z", {"questions": "sampled"}),
        ("n-best of one beam (width 5), summed", {"questions": "beams", "beam-width": 5, "length-norm": 0.0}),
        ("n-best of one beam (width 5), length-normalised", {"questions": "beams", "beam-width": 5, "length-norm": 0.7}),
        ("n-best of one beam (width 10), length-normalised", {"questions": "beams", "beam-width": 10, "length-norm": 0.7}),
    ],
}
TASK = {"hybrid": "vqa", "vae-vqa": "vqa", "vae-vqg": "vqg"}


def medvqa(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"{binary} {args[0]} failed ({r.returncode})")
    return r.stdout


def score(binary, run, model, name, task):
    work = run / "levers" / name
    if work.exists():
        shutil.rmtree(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    medvqa(binary, "predict", "--set", f"medvqa.predict.model={model}",
           "--set", f"medvqa.predict.manifest={manifest(run)}",
           "--set", "medvqa.predict.split=heldout",
           "--set", f"medvqa.predict.features={features(run)}",
           "--set", "medvqa.predict.features-key=image_sha256",
           "--set", f"medvqa.predict.out={work}")
    out = work / "metrics.json"
    medvqa(binary, "evaluate", "--set", f"medvqa.eval.task={task}",
           "--set", f"medvqa.eval.ground-truth={work / 'ground-truth.txt'}",
           "--set", f"medvqa.eval.submission={work / 'submission.txt'}",
           "--set", f"medvqa.eval.output={out}")
    # Distinct answers (VQA) or distinct questions over all images (VQG: image|q1|q2|...).
    texts = {t.strip() for line in (work / "submission.txt").read_text(encoding="utf-8").splitlines()
             for t in line.split("|")[1:]}
    return json.loads(out.read_text(encoding="utf-8")), len(texts)


def manifest(run):
    """The manifest the run trained on: its own ingest, or the one it was given."""
    prov = json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    # The pipeline's typed record ("run"); runs made before it kept the same in "notes".
    record = prov.get("run") or prov.get("notes", {})
    return record.get("train_manifest") or str(run / "ingest-train")


def features(run):
    prov = json.loads((run / "provenance.json").read_text(encoding="utf-8"))
    return (prov.get("run") or prov["notes"])["feature_cache"]


WIDTHS = {"res3": 512, "res4": 1024, "res5": 2048}


def part_range(run, name):
    """[from, to, width] of pooling `name` in the run's feature layout, or None if it lacks it."""
    text = (run / "model" / "config.conf").read_text(encoding="utf-8")
    m = re.search(r'"pooling"\s*:\s*\[([^\]]*)\]', text)
    layout = re.findall(r'"([^"]+)"', m.group(1)) if m else ["res5-mean"]
    def width(item):  # a quadrant grid is four of the stage's widths
        return WIDTHS[item.split("-")[0]] * (4 if item.endswith("-grid") else 1)
    at = 0
    for item in layout:
        if item == name:
            return [at, at + width(item), sum(width(i) for i in layout)]
        at += width(item)
    return None


def remembered(spec):
    """The categories of the hybrid model's nearest-neighbour memory."""
    return {x["category"] for x in spec.get("memory", [])}


def row(label, m, distinct):
    per = m.get("per_category", {})
    cells = " ".join(f"{per[c]['accuracy']:>8.4f}" if c in per else f"{'':>8}"
                     for c in sorted(per))
    accuracy = f"{m['accuracy']:>8.4f}" if "accuracy" in m else f"{'-':>8}"
    return f"{label:<52} {accuracy} {m['bleu']:>8.4f} {distinct:>8}  {cells}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--rows", default="", help="only the rows whose label contains this text")
    a = p.parse_args()
    run = pathlib.Path(a.run)
    spec = json.loads((run / "model" / "spec.json").read_text(encoding="utf-8"))
    if spec.get("kind") not in LEVERS:
        raise SystemExit(f"{run}/model is a {spec.get('kind')} model, not one of {sorted(LEVERS)}")
    cats = None
    rows = []
    for label, keys in LEVERS[spec["kind"]]:
        if a.rows not in label:
            continue
        name = "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-")[:40]
        model = run / "levers" / (name + "-model")
        if model.exists():
            shutil.rmtree(model)
        shutil.copytree(run / "model", model)
        keys = dict(keys)
        if "blend_weight" in keys and not set(keys.get("blend_categories", [])) <= remembered(spec):
            print(f"skipped (the run's memory has no {keys.get('blend_categories')}): {label}",
                  file=sys.stderr)
            continue
        if isinstance(keys.get("knn_part"), str):
            r = part_range(run, keys["knn_part"])
            if r is None:
                print(f"skipped (the run's features have no {keys['knn_part']}): {label}", file=sys.stderr)
                continue
            keys["knn_part"] = r
        if "blend_parts" in keys:
            ranges = [part_range(run, x) for x in keys["blend_parts"]]
            if None in ranges:
                print(f"skipped (the run's features lack one of {keys['blend_parts']}): {label}",
                      file=sys.stderr)
                continue
            keys["blend_parts"] = ranges
        # A row that sets the blend's weight sets it for every category: the weights a run's
        # validation share chose per category (blend_chosen_weights) would override it.
        if "blend_weight" in keys:
            keys.setdefault("blend_chosen_weights", {})
        s = dict(spec)
        s.update(keys)
        (model / "spec.json").write_text(json.dumps(s), encoding="utf-8")
        # Hadoop's local file system checks a file against its .crc sibling: the copy's is stale.
        (model / ".spec.json.crc").unlink(missing_ok=True)
        m, distinct = score(a.bin, run, model, name, TASK[spec["kind"]])
        cats = sorted(m.get("per_category", {}))
        rows.append(row(label, m, distinct))
    if cats is None:
        raise SystemExit(f"no row to score: no label contains {a.rows!r}, or every such row was skipped")
    print(f"{'levers (same trained weights)':<52} {'accuracy':>8} {'bleu':>8} {'distinct':>8}  "
          + " ".join(f"{c[:8]:>8}" for c in cats))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
