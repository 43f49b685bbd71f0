#!/usr/bin/python3
"""Benchmark the VAE VQA model's training (paper run 3's settings) against the same network in PyTorch.

Run through `make bench-vae` (after `make runs-2019-vae`, whose first run's ingest and feature
cache it trains on), or by hand after `mvn -pl jobs -am install -DskipTests`:

    /usr/bin/python3 scripts/bench_vae_torch.py --manifest RUN/ingest-train --features CACHE

1. The Java side (org.medvqa.jobs.VaeBenchTest, run by Maven Surefire) runs the `train` job (kind
   vae-vqa: embedding and hidden 128 by default (--embedding, --hidden; the paper's 512 makes an
   epoch several minutes on 2 cores), z 100, both reconstructions, questions of 16 tokens, answers
   of 4 words; Adam 1e-4, batch 32, parameter averaging) under local[1] and local[2], one native
   thread per task in both (medvqa.train.threads=1), REPS times each, interleaved, EPOCHS epochs
   per run. A run's rate is the mean of epochs 2.. of its metrics.jsonl (epoch 1 is the warm-up),
   which time the fit alone: reading the minibatch files (with fresh noise), scheduling, the
   workers' steps and the averaging rounds are in it; JVM and Spark start-up, the fitting of the
   vocabularies, the export of the minibatches, validation and checkpoints are not. A last local[2]
   run of 2 epochs collects dl4j-spark's statistics (where the time of an epoch goes, per step).
   Each timed run also records, per kind of thread of its JVM (task threads, JIT, GC, the main
   thread's validation, the driver's result getters, ...), the seconds on a core and the seconds
   waiting for one during its epoch 2 (Linux's /proc/self/task/*/schedstat). It then writes the
   examples the runs trained on (the split less the trainer's validation images, by its own rule;
   the Java side fails when their count is not the job's), as the trained model's own batch method
   encodes them (left-padded question ids, decoder inputs and targets, image features), as flat
   little-endian files with a header.json.
2. This script trains the same network in PyTorch (Debian python3-torch) on exactly those rows,
   Adam 1e-4, batch 32, shuffled; with 1 and with 2 threads, REPS timed epochs each after one
   warm-up epoch, and keeps the faster setting as the peer's best on this machine (`--peer-batches
   N` cuts the warm-up and each timed epoch to their first N minibatches: Debian's torch calls
   whatever libblas.so.3 is installed, and with the reference BLAS an epoch of run 3 takes many
   minutes). Only the epochs are timed, not loading the files or building the network.
3. It prints medians with their spread (min-max), the load average (1/5/15 min) before and after,
   the statistics run's breakdown, epoch 2's seconds per kind of thread, and last
   `bench-vae: ours=<samples/s> peer=<samples/s> ratio=<x> speedup=<x>`: ours is the median of
   local[2], peer the median of its best thread count, speedup median local[2] / median local[1].

`--peer-only FOLDER` trains only the peer on an existing export (jobs/target/bench-vae-peer).
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
    from torch import nn
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("bench-vae needs python3-torch (Debian); run with /usr/bin/python3")

from benchstats import (echo_bench_lines, in_fresh_process, load_average, median,  # noqa: E402
                        print_core_scaling, print_epoch_cpu, rounds, spread)  # noqa: E402 (after the torch check)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def local(path):
    """A local path from a path or a file: URI (run provenance records URIs)."""
    return os.path.abspath(path[len("file:"):] if path.startswith("file:") else path)


def java_side(manifest, features, epochs, reps, embedding, hidden):
    out = os.path.join(ROOT, "jobs", "target", "bench-vae.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["mvn", "-B", "-q", "-pl", "jobs", "surefire:test",
           "-Dtest=VaeBenchTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           "-Dmedvqa.bench.vae.out=" + out,
           "-Dmedvqa.bench.vae.manifest=" + local(manifest),
           "-Dmedvqa.bench.vae.features=" + local(features),
           "-Dmedvqa.bench.vae.epochs=%d" % epochs,
           "-Dmedvqa.bench.vae.reps=%d" % reps,
           "-Dmedvqa.bench.vae.embedding=%d" % embedding,
           "-Dmedvqa.bench.vae.hidden=%d" % hidden]
    log = os.path.join(ROOT, "jobs", "target", "bench-vae.log")
    with open(log, "w") as f:
        r = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    echo_bench_lines(log)
    if r.returncode != 0 or not os.path.exists(out):
        sys.exit("the Java benchmark failed; see " + log)
    with open(out) as f:
        return json.load(f)


def load(folder):
    """The header and the arrays VaeBenchTest wrote (little-endian, row-major)."""
    with open(os.path.join(folder, "header.json")) as f:
        h = json.load(f)
    n, files = h["examples"], h["files"]

    def read(key, dtype, width):
        a = np.fromfile(os.path.join(folder, files[key]), dtype=dtype)
        if a.size != n * width:
            sys.exit("%s: %d values, expected %d x %d" % (files[key], a.size, n, width))
        return a.reshape(n, width)

    x = read("image", "<f4", h["image_size"])
    q = read("question", "<i4", h["question_length"])
    a_in = read("answer_in", "<i4", h["output_length"])
    a_out = read("answer_out", "<i4", h["output_length"])
    for name, ids, vocab in (("question", q, h["question_words"]), ("answer-in", a_in, h["answer_words"]),
                             ("answer-out", a_out, h["answer_words"])):
        if ids.min() < 0 or ids.max() >= vocab:
            sys.exit("%s ids outside [0, %d)" % (name, vocab))
    return h, (torch.from_numpy(x.copy()), torch.from_numpy(q.astype(np.int64)),
               torch.from_numpy(a_in.astype(np.int64)), torch.from_numpy(a_out.astype(np.int64)))


class VaeVqa(nn.Module):
    """org.medvqa.models.vae.VaeVqa's training graph, layer for layer (see VaeGraph)."""

    def __init__(self, h):
        super().__init__()
        s = h["spec"]
        f, e, hid, z = s["features"], s["embedding"], s["hidden"], s["z"]
        self.w = (s["lambda-answer"], s["lambda-kl"], s["lambda-image"], s["lambda-question"])
        self.image_encoder = nn.Linear(f, hid)                      # image-encoder, ReLU -> h_v
        self.question_embedding = nn.Embedding(h["question_words"], e)
        self.question_lstm = nn.LSTM(e, hid, batch_first=True)      # -> last step = h_q
        self.fusion = nn.Linear(2 * hid, hid)                       # [h_v, h_q] -> tanh
        self.mu = nn.Linear(hid, z)
        self.logvar = nn.Linear(hid, z)
        nn.init.constant_(self.logvar.bias, -5.0)                   # VaeGraph.LOGVAR_BIAS
        self.decoder_embedding = nn.Embedding(h["answer_words"], e)
        self.word_dropout = nn.Dropout(s.get("word-dropout", 0.0))
        # [embedded word, fused encoding, z] per step (VaeGraph.addCondition)
        self.decoder_lstm = nn.LSTM(e + hid + z, hid, batch_first=True)
        self.answer = nn.Linear(hid, h["answer_words"])             # softmax via cross_entropy

        def mlp():                                                  # z -> dense tanh -> dense
            return nn.Sequential(nn.Linear(z, hid), nn.Tanh(), nn.Linear(hid, hid))

        self.image_reconstruction = mlp() if s["reconstruct-image"] else None
        self.question_reconstruction = mlp() if s["reconstruct-question"] else None

    def forward(self, x, q, a_in, a_out):
        n, steps = a_in.shape
        h_v = torch.relu(self.image_encoder(x))                     # x standardised by the export
        h_q = self.question_lstm(self.question_embedding(q))[0][:, -1]  # left-padded, no mask
        fused = torch.tanh(self.fusion(torch.cat([h_v, h_q], 1)))
        mu, logvar = self.mu(fused), self.logvar(fused)
        eps = torch.randn_like(mu)                                  # fresh per minibatch
        z = mu + torch.exp(logvar / 2) * eps
        cond = torch.cat([fused, z], 1).unsqueeze(1).expand(n, steps, fused.shape[1] + z.shape[1])
        dec_in = torch.cat([self.word_dropout(self.decoder_embedding(a_in)), cond], 2)
        logits = self.answer(self.decoder_lstm(dec_in)[0])
        # TokenXent: the real tokens' cross-entropy (targets <pad> = 0 left out), summed per
        # example, / minibatch.
        ce = nn.functional.cross_entropy(logits.reshape(n * steps, -1), a_out.reshape(-1),
                                         ignore_index=0, reduction="sum") / n
        # GaussianKl: 1/2 sum_z(mu^2 + exp(logvar) - 1 - logvar) per example, mean over the minibatch.
        kl = 0.5 * (mu * mu + torch.exp(logvar) - 1 - logvar).sum(1).mean()
        loss = self.w[0] * ce + self.w[1] * kl
        # DetachedSquaredError: mean over the hidden units of (target - reconstruction)^2, mean
        # over the minibatch, the target detached.
        if self.image_reconstruction is not None:
            loss = loss + self.w[2] * (h_v.detach() - self.image_reconstruction(z)).pow(2).mean()
        if self.question_reconstruction is not None:
            loss = loss + self.w[3] * (h_q.detach() - self.question_reconstruction(z)).pow(2).mean()
        return loss


def peer(data, threads, reps, max_batches=0, batch=32):
    """Samples/s of `reps` timed epochs (after one warm-up epoch) with `threads` torch threads,
    the seconds of a whole epoch (extrapolated when cut to `max_batches`), the final loss."""
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    h, (x, q, a_in, a_out) = data
    n = h["examples"]
    per_epoch = n if max_batches <= 0 else min(n, max_batches * batch)
    net = VaeVqa(h)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def epoch():
        net.train()
        perm = torch.randperm(n)[:per_epoch]
        total = 0.0
        for i in range(0, per_epoch, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = net(x[idx], q[idx], a_in[idx], a_out[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        return total / per_epoch

    epoch()  # warm-up
    rates = []
    loss = float("nan")
    for _ in range(reps):
        t = time.perf_counter()
        loss = epoch()
        rates.append(per_epoch / (time.perf_counter() - t))
    return rates, n / median(rates), loss


def peers(folder, reps, max_batches):
    """The peer with 1 and with 2 threads on the same export: {threads: (rates, epoch s, final
    loss)}, the thread count with the higher median rate, and the export's header."""
    runs = {t: in_fresh_process(peer_on, t, folder, t, reps, max_batches) for t in (1, 2)}
    best = max(runs, key=lambda t: median(runs[t][0]))
    return runs, best, load(folder)[0]


def peer_on(folder, threads, reps, max_batches):
    """peer() on the export in `folder`, for a fresh interpreter (see benchstats.in_fresh_process)."""
    return peer(load(folder), threads, reps, max_batches)


def blas():
    """Which BLAS Debian's torch calls (libblas.so.3 is an alternative: reference BLAS or OpenBLAS)."""
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    return os.path.realpath(link) if os.path.exists(link) else "unknown"


def print_peers(runs, best, n):
    for t in (1, 2):
        rates, seconds, _ = runs[t]
        print("%-62s %10.1f %12s %8.2f %8d"
              % ("peer: PyTorch, %d thread(s), no Spark%s" % (t, " (best)" if t == best else ""),
                 median(rates), spread(rates, 1), seconds, n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", help="an ingest output folder (split train)")
    ap.add_argument("--features", help="its feature table (key image_sha256)")
    ap.add_argument("--epochs", type=int, default=2, help="epochs per Java run (the first is not timed)")
    ap.add_argument("--reps", type=int, default=3,
                    help="repetitions per configuration (>= 3): Java runs, and the peer's timed epochs")
    ap.add_argument("--embedding", type=int, default=128,
                    help="word embedding size (the paper's is 512; 128 is the README's CPU runs')")
    ap.add_argument("--hidden", type=int, default=128, help="hidden size (paper: 512)")
    ap.add_argument("--peer-batches", type=int, default=0,
                    help="cut the peer's warm-up and timed epochs to this many minibatches (0 = whole epochs)")
    ap.add_argument("--peer-only", metavar="FOLDER", help="train only the peer on an existing export")
    a = ap.parse_args()
    if a.epochs < 2:
        ap.error("--epochs must be at least 2 (the first is not timed)")
    if a.reps < 1:
        ap.error("--reps must be at least 1 (3 or more for a median worth reading)")
    if a.peer_only:
        load_before = load_average()
        runs, best, h = peers(a.peer_only, a.reps, a.peer_batches)
        load_after = load_average()
        print("machine: %d cores, load average (1/5/15 min) %s before and %s after"
              % (os.cpu_count(), load_before, load_after))
        print("peer: torch %s, libblas.so.3 -> %s" % (torch.__version__, blas()))
        print("%-62s %10s %12s %8s %8s" % ("what (median of %d, spread)" % a.reps, "samples/s", "spread",
                                           "epoch s", "examples"))
        print_peers(runs, best, h["examples"])
        print("peer: best %d thread(s), final training loss %.3f" % (best, runs[best][2]))
        return
    if not a.manifest or not a.features:
        ap.error("--manifest and --features are required (or --peer-only FOLDER)")
    load_before = load_average()
    j = java_side(a.manifest, a.features, a.epochs, a.reps, a.embedding, a.hidden)
    runs, best, h = peers(j["peer_data"], a.reps, a.peer_batches)
    load_after = load_average()
    p_rates, _, p_loss = runs[best]
    p_n = h["examples"]
    ours_n = j["local2"][0]["examples"]
    if p_n != ours_n:
        sys.exit("the peer's rows (%d) are not ours (%d)" % (p_n, ours_n))
    r1 = [o["samples_per_second"] for o in j["local1"]]
    r2 = [o["samples_per_second"] for o in j["local2"]]
    ours, ours1, p_rate = median(r2), median(r1), median(p_rates)
    s = h["spec"]
    print()
    print("bench-vae: VAE VQA (embedding %d, hidden %d, z %d; question %d tokens, answer %d steps; "
          "%d question words, %d answer words), Adam 1e-4, batch 32, %d examples, averaging every %s "
          "minibatches, same run"
          % (s["embedding"], s["hidden"], s["z"], h["question_length"], h["output_length"],
             h["question_words"], h["answer_words"], ours_n, j.get("averaging_frequency", "?")))
    print("machine: %d cores, load average (1/5/15 min) %s before and %s after"
          % (os.cpu_count(), load_before, load_after))
    print("ours: %d epochs per run, epoch 1 the warm-up, the rate of a run %s (the fit alone: no validation, "
          "checkpoints or start-up); %d uncounted repetition(s) of both layouts first"
          % (a.epochs, "epoch 2's" if a.epochs == 2 else "the mean of epochs 2..%d" % a.epochs,
             j.get("warmup_reps", 0)))
    print("peer: torch %s, libblas.so.3 -> %s; 1 and 2 threads tried, %d timed epochs each after a warm-up "
          "epoch; best: %d thread(s)%s"
          % (torch.__version__, blas(), a.reps, best, "" if a.peer_batches <= 0 else
             "; epochs cut to %d minibatches (epoch s extrapolated to all examples)" % a.peer_batches))
    if h["masked"]:
        print("note: the model's minibatches carry masks (%s); the peer applies none" % ", ".join(h["masked"]))
    print("%-62s %10s %12s %8s %8s" % ("what (median of %d, spread)" % a.reps, "samples/s", "spread",
                                       "epoch s", "examples"))
    for label, rates in (("ours: train on Spark local[1], 1 thread per task", r1),
                         ("ours: train on Spark local[2], 1 thread per task", r2)):
        print("%-62s %10.1f %12s %8.2f %8d" % (label, median(rates), spread(rates, 1), ours_n / median(rates), ours_n))
    print_peers(runs, best, p_n)
    print("%-62s %10.2f" % ("ratio ours(local[2])/peer(best)", ours / p_rate))
    print("%-62s %10.2f" % ("speed-up local[2]/local[1], 1 thread per task (target >= 1.6)", ours / ours1))
    print_core_scaling(j.get("core_scaling"), r1, r2)
    print("after %d epochs: training loss local[1] %s, local[2] %s (the training master's last score); "
          "peer (best) %.3f (mean over its last epoch); validation %s local[1] %s, local[2] %s"
          % (a.epochs, " ".join("%.3f" % o["train_loss"] for o in j["local1"]),
             " ".join("%.3f" % o["train_loss"] for o in j["local2"]), p_loss,
             j["local2"][0]["validation_metric"],
             " ".join("%.4f" % o["validation_score"] for o in j["local1"]),
             " ".join("%.4f" % o["validation_score"] for o in j["local2"])))
    per_epoch = "%s averaging rounds per epoch" % rounds(j["stats"].get("breakdown", []))
    print("where a local[2] epoch goes (dl4j-spark statistics, a run of its own, epoch 1 the warm-up; %s;"
          " steps overlap, worker steps are summed over both workers):" % per_epoch)
    for line in j["stats"].get("breakdown", []):
        print("  " + line)
    print_epoch_cpu(j)
    print("bench-vae: ours=%.1f peer=%.1f ratio=%.3f speedup=%.2f" % (ours, p_rate, ours / p_rate, ours / ours1))


if __name__ == "__main__":
    main()
