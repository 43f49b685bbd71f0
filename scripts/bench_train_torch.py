#!/usr/bin/python3
"""Benchmark the classifier's training (paper run 5's head) against the same head in PyTorch.

Run through `make bench-train` (after the run5 run of `make runs-2019`, whose ingest and feature
cache it trains on), or by hand after `mvn -pl jobs -am install -DskipTests`:

    /usr/bin/python3 scripts/bench_train_torch.py --manifest RUN/ingest-train --features CACHE

1. The Java side (org.medvqa.jobs.TrainBenchTest, run by Maven Surefire) runs the `train` job
   (kind classifier: a softmax over the training answers on the 2048-d ResNet50 feature, Adam 1e-4,
   batch 32, parameter averaging every 5 minibatches) under local[1] and local[2], and takes the
   samples/s and epoch time of epochs 2.. from the model's metrics.jsonl. Its epochs include what
   Spark training costs: reading the minibatch files, scheduling, averaging, and the validation.
   It also writes the same training examples as a flat file.
2. This script trains the same head in PyTorch (Debian python3-torch) on that file: nn.Linear +
   cross-entropy, Adam 1e-4, batch 32, shuffled, 2 threads, one warm-up epoch then 3 timed ones.
3. It prints the table and `bench-train: ours=<samples/s> peer=<samples/s> ratio=<x> speedup=<x>`.
"""

import argparse
import json
import os
import subprocess
import sys
import time

try:
    import numpy as np
    import torch
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("bench-train needs python3-torch (Debian); run with /usr/bin/python3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def local(path):
    """A local path from a path or a file: URI (run provenance records URIs)."""
    return os.path.abspath(path[len("file:"):] if path.startswith("file:") else path)


def java_side(manifest, features, epochs):
    out = os.path.join(ROOT, "jobs", "target", "bench-train.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["mvn", "-B", "-q", "-pl", "jobs", "surefire:test",
           "-Dtest=TrainBenchTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           "-Dmedvqa.bench.train.out=" + out,
           "-Dmedvqa.bench.train.manifest=" + local(manifest),
           "-Dmedvqa.bench.train.features=" + local(features),
           "-Dmedvqa.bench.train.epochs=%d" % epochs]
    log = os.path.join(ROOT, "jobs", "target", "bench-train.log")
    with open(log, "w") as f:
        r = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    with open(log) as f:
        for line in f:
            if line.startswith("bench:"):
                print(line.rstrip())
    if r.returncode != 0 or not os.path.exists(out):
        sys.exit("the Java benchmark failed; see " + log)
    with open(out) as f:
        return json.load(f)


def peer(path, epochs=3, batch=32):
    torch.set_num_threads(2)
    torch.manual_seed(42)
    header = np.fromfile(path, dtype="<i4", count=3)
    n, dim, classes = (int(v) for v in header)
    x = np.fromfile(path, dtype="<f4", count=n * dim, offset=12).reshape(n, dim)
    y = np.fromfile(path, dtype="<i4", count=n, offset=12 + 4 * n * dim)
    x, y = torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))
    head = torch.nn.Linear(dim, classes)
    opt = torch.optim.Adam(head.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(head(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        return total / n

    epoch()  # warm-up
    t = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    seconds = (time.perf_counter() - t) / epochs
    return n / seconds, seconds, n, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True, help="an ingest output folder (split train)")
    ap.add_argument("--features", required=True, help="its feature table (key image_sha256)")
    ap.add_argument("--epochs", type=int, default=4, help="epochs per Java run (the first is not timed)")
    a = ap.parse_args()
    load_before = os.getloadavg()[0]
    j = java_side(a.manifest, a.features, a.epochs)
    p_rate, p_seconds, p_n, p_loss = peer(j["peer_data"])
    load_after = os.getloadavg()[0]
    ours, ours1 = j["local2"]["samples_per_second"], j["local1"]["samples_per_second"]
    print()
    print("bench-train: classifier head (2048 -> %d answers), Adam 1e-4, batch 32, same run" % j["peer_classes"])
    print("machine: %d cores, load average %.1f before and %.1f after" % (os.cpu_count(), load_before, load_after))
    print("%-60s %12s %12s %10s" % ("what", "samples/s", "epoch s", "examples"))
    for k, label in (("local1", "ours: train on Spark local[1], parameter averaging"),
                     ("local2", "ours: train on Spark local[2], parameter averaging")):
        print("%-60s %12.0f %12.2f %10d" % (label, j[k]["samples_per_second"], j[k]["epoch_seconds"], j[k]["examples"]))
    print("%-60s %12.0f %12.2f %10d" % ("peer: PyTorch nn.Linear, 2 threads, no Spark", p_rate, p_seconds, p_n))
    print("%-60s %12.2f" % ("ratio ours(local[2])/peer", ours / p_rate))
    print("%-60s %12.2f" % ("speed-up local[2]/local[1] (target >= 1.6)", ours / ours1))
    print("validation accuracy after %d epochs: local[1] %.4f, local[2] %.4f; peer final training loss %.3f"
          % (a.epochs, j["local1"]["validation_accuracy"], j["local2"]["validation_accuracy"], p_loss))
    print("bench-train: ours=%.0f peer=%.0f ratio=%.3f speedup=%.2f" % (ours, p_rate, ours / p_rate, ours / ours1))


if __name__ == "__main__":
    main()
