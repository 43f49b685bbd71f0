#!/usr/bin/python3
"""Benchmark the classifier's training (paper run 5's head) against the same head in PyTorch.

Run through `make bench-train` (after the run5 run of `make runs-2019`, whose ingest and feature
cache it trains on), or by hand after `mvn -pl jobs -am install -DskipTests`:

    /usr/bin/python3 scripts/bench_train_torch.py --manifest RUN/ingest-train --features CACHE

1. The Java side (org.medvqa.jobs.TrainBenchTest, run by Maven Surefire) runs the `train` job with
   conf/runs/vqa-run5.conf's settings (a softmax over the training answers on the 2048-d ResNet50
   feature, Adam 1e-4, batch 32, parameter averaging) under local[1] and local[2], one native
   thread per task in both, REPS times each, interleaved. A run's rate is the mean of epochs 2..
   of its metrics.jsonl, which time the fit alone: reading the minibatch files, scheduling and the
   averaging rounds are in it, validation and checkpoints are not. A last local[2] run collects
   dl4j-spark's statistics (where the time of an averaging round goes). It also writes the
   examples the runs trained on (the split less the trainer's validation images) as a flat file.
2. This script trains the same head in PyTorch (Debian python3-torch) on exactly those rows:
   nn.Linear + cross-entropy, Adam 1e-4, batch 32, shuffled; with 1 and with 2 threads, each in a
   fresh interpreter with its OpenMP and OpenBLAS pools of that size, REPS timed epochs each after
   a warm-up epoch, and keeps the faster setting (the peer's best here).
3. It prints medians with their spread (min-max), the load average before and after, the
   statistics run's breakdown, epoch 2's seconds per kind of thread (on a core and waiting for
   one; Linux only), and last `bench-train: ours=<samples/s> peer=<samples/s> ratio=<x>
   speedup=<x>`.
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

from benchstats import (echo_bench_lines, in_fresh_process, load_average, median,  # noqa: E402
                        print_core_scaling, print_epoch_cpu, rounds, spread)  # noqa: E402 (after the torch check)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def local(path):
    """A local path from a path or a file: URI (run provenance records URIs)."""
    return os.path.abspath(path[len("file:"):] if path.startswith("file:") else path)


def java_side(manifest, features, epochs, reps):
    out = os.path.join(ROOT, "jobs", "target", "bench-train.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["mvn", "-B", "-q", "-pl", "jobs", "surefire:test",
           "-Dtest=TrainBenchTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           "-Dmedvqa.bench.train.out=" + out,
           "-Dmedvqa.bench.train.manifest=" + local(manifest),
           "-Dmedvqa.bench.train.features=" + local(features),
           "-Dmedvqa.bench.train.epochs=%d" % epochs,
           "-Dmedvqa.bench.train.reps=%d" % reps]
    log = os.path.join(ROOT, "jobs", "target", "bench-train.log")
    with open(log, "w") as f:
        r = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    echo_bench_lines(log)
    if r.returncode != 0 or not os.path.exists(out):
        sys.exit("the Java benchmark failed; see " + log)
    with open(out) as f:
        return json.load(f)


def peer(path, threads, reps, batch=32):
    """Samples/s of `reps` timed epochs (after one warm-up epoch) of the head with `threads`."""
    torch.set_num_threads(threads)
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
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        loss = epoch()
        rates.append(n / (time.perf_counter() - t))
    return rates, n, loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", required=True, help="an ingest output folder (split train)")
    ap.add_argument("--features", required=True, help="its feature table (key image_sha256)")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per Java run (the first is not timed)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per configuration (>= 3)")
    a = ap.parse_args()
    load_before = load_average()
    j = java_side(a.manifest, a.features, a.epochs, a.reps)
    peers = {t: in_fresh_process(peer, t, j["peer_data"], t, a.reps) for t in (1, 2)}
    load_after = load_average()
    best = max(peers, key=lambda t: median(peers[t][0]))
    p_rates, p_n, p_loss = peers[best]
    ours_n = j["local2"][0]["examples"]
    if p_n != ours_n:
        sys.exit("the peer's rows (%d) are not ours (%d)" % (p_n, ours_n))
    r1 = [o["samples_per_second"] for o in j["local1"]]
    r2 = [o["samples_per_second"] for o in j["local2"]]
    ours, ours1, p_rate = median(r2), median(r1), median(p_rates)
    print()
    print("bench-train: classifier head (2048 -> %d answers), Adam 1e-4, batch 32, %d examples, "
          "averaging every %d minibatches, same run" % (j["peer_classes"], ours_n, j["averaging_frequency"]))
    print("machine: %d cores, load average (1/5/15 min) %s before and %s after"
          % (os.cpu_count(), load_before, load_after))
    print("ours: %d uncounted repetition(s) of both layouts before the timed ones" % j.get("warmup_reps", 0))
    print("%-62s %10s %12s %8s" % ("what (median of %d, spread)" % a.reps, "samples/s", "spread", "epoch s"))
    for label, rates in (("ours: train on Spark local[1], 1 thread per task", r1),
                         ("ours: train on Spark local[2], 1 thread per task", r2)):
        print("%-62s %10.0f %12s %8.2f" % (label, median(rates), spread(rates), ours_n / median(rates)))
    for t in (1, 2):
        rates = peers[t][0]
        print("%-62s %10.0f %12s %8.2f" % ("peer: PyTorch nn.Linear, %d thread(s), no Spark%s"
                                           % (t, " (best)" if t == best else ""),
                                           median(rates), spread(rates), p_n / median(rates)))
    print("%-62s %10.2f" % ("ratio ours(local[2])/peer(best)", ours / p_rate))
    print("%-62s %10.2f" % ("speed-up local[2]/local[1], 1 thread per task (target >= 1.6)", ours / ours1))
    print_core_scaling(j.get("core_scaling"), r1, r2)
    print("validation accuracy after %d epochs: local[1] %s, local[2] %s; peer final training loss %.3f"
          % (a.epochs, " ".join("%.4f" % o["validation_score"] for o in j["local1"]),
             " ".join("%.4f" % o["validation_score"] for o in j["local2"]), p_loss))
    print("where a local[2] epoch goes (dl4j-spark statistics, a run of its own, epoch 1 the warm-up;"
          " %s averaging rounds per epoch; steps overlap, worker steps are summed over both workers):"
          % rounds(j["stats"].get("breakdown", [])))
    for line in j["stats"].get("breakdown", []):
        print("  " + line)
    print_epoch_cpu(j)
    print("bench-train: ours=%.0f peer=%.0f ratio=%.3f speedup=%.2f" % (ours, p_rate, ours / p_rate, ours / ours1))


if __name__ == "__main__":
    main()
