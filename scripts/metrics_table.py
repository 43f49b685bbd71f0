#!/usr/bin/env python3
"""Prints the metrics of every run folder under a root as one table (make demo, make runs-*).

A run folder is one holding metrics.json (written by the evaluate stage of pipeline/run). Runs are
sorted by task, then by their main metric (accuracy for VQA, BLEU for VQG), best first.
Usage: metrics_table.py <root>
"""
import json
import pathlib
import sys


def main(root: str) -> int:
    runs = []
    for m in sorted(pathlib.Path(root).glob("*/metrics.json")):
        data = json.loads(m.read_text(encoding="utf-8"))
        runs.append((m.parent.name, data))
    if not runs:
        print(f"no run folder with metrics.json under {root}", file=sys.stderr)
        return 1
    cats = ["modality", "plane", "organ", "abnormality"]
    print(f"{'run':<16} {'task':<4} {'accuracy':>8} {'bleu':>8} {'count':>6}  "
          + " ".join(f"{c[:8]:>8}" for c in cats))
    def key(r):
        d = r[1]
        main_metric = d.get("accuracy") if d.get("task") == "vqa" else d.get("bleu")
        return (d.get("task", ""), -(main_metric or 0.0))
    for name, d in sorted(runs, key=key):
        per = d.get("per_category", {})
        cells = " ".join(
            f"{per[c]['accuracy']:>8.4f}" if c in per and "accuracy" in per[c] else f"{'':>8}"
            for c in cats)
        acc, bleu = d.get("accuracy"), d.get("bleu")
        print(f"{name:<16} {d.get('task', '?'):<4} "
              f"{'-' if acc is None else format(acc, '.4f'):>8} "
              f"{'-' if bleu is None else format(bleu, '.4f'):>8} "
              f"{d.get('count', 0):>6}  {cells}")
    print("(per-category columns: accuracy)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "work/demo/runs"))
