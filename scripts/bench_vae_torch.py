#!/usr/bin/python3
"""Benchmark the VAE VQA model's training (paper run 3's settings) against the same network in PyTorch.

Run through `make bench-vae` (after `make runs-2019-vae`, whose first run's ingest and feature
cache it trains on), or by hand after `mvn -pl jobs -am install -DskipTests`:

    /usr/bin/python3 scripts/bench_vae_torch.py --manifest RUN/ingest-train --features CACHE

1. The Java side (org.medvqa.jobs.VaeBenchTest, run by Maven Surefire) runs the `train` job (kind
   vae-vqa: embedding and hidden 128 by default (--embedding, --hidden; the paper's 512 makes an
   epoch several minutes on 2 cores), z 100, both reconstructions, questions of 16 tokens, answers
   of 4 words; Adam 1e-4, batch 32, parameter averaging every 5 minibatches) under local[1] and
   local[2], and takes the samples/s and epoch time of epochs 2.. from the model's metrics.jsonl.
   An epoch's time is its fit on Spark: reading the minibatch files (with fresh noise), scheduling,
   the workers' steps and the averaging; not the validation that follows it.
   It then writes the job's training examples, as the trained model's own batch method encodes them
   (left-padded question ids, decoder inputs and targets, image features), as flat little-endian
   files with a header.json.
2. This script trains the same network in PyTorch (Debian python3-torch) on those files, Adam 1e-4,
   batch 32, shuffled, 2 threads, one warm-up epoch then as many timed epochs as the Java side timed
   (`--peer-batches N` cuts each to its first N minibatches: Debian's torch calls whatever
   libblas.so.3 is installed, and with the reference BLAS an epoch of run 3 takes many minutes).
3. It prints the table and `bench-vae: ours=<samples/s> peer=<samples/s> ratio=<x> speedup=<x>`.

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def local(path):
    """A local path from a path or a file: URI (run provenance records URIs)."""
    return os.path.abspath(path[len("file:"):] if path.startswith("file:") else path)


def java_side(manifest, features, epochs, embedding, hidden):
    out = os.path.join(ROOT, "jobs", "target", "bench-vae.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["mvn", "-B", "-q", "-pl", "jobs", "surefire:test",
           "-Dtest=VaeBenchTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           "-Dmedvqa.bench.vae.out=" + out,
           "-Dmedvqa.bench.vae.manifest=" + local(manifest),
           "-Dmedvqa.bench.vae.features=" + local(features),
           "-Dmedvqa.bench.vae.epochs=%d" % epochs,
           "-Dmedvqa.bench.vae.embedding=%d" % embedding,
           "-Dmedvqa.bench.vae.hidden=%d" % hidden]
    log = os.path.join(ROOT, "jobs", "target", "bench-vae.log")
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


def peer(folder, epochs, max_batches=0, batch=32):
    torch.set_num_threads(2)
    torch.manual_seed(42)
    h, (x, q, a_in, a_out) = load(folder)
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
    t = time.perf_counter()
    for _ in range(epochs):
        loss = epoch()
    seconds = (time.perf_counter() - t) / epochs
    return per_epoch / seconds, seconds * n / per_epoch, n, loss, h


def blas():
    """Which BLAS Debian's torch calls (libblas.so.3 is an alternative: reference BLAS or OpenBLAS)."""
    link = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    return os.path.realpath(link) if os.path.exists(link) else "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", help="an ingest output folder (split train)")
    ap.add_argument("--features", help="its feature table (key image_sha256)")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per Java run (the first is not timed)")
    ap.add_argument("--embedding", type=int, default=128,
                    help="word embedding size (the paper's is 512; 128 is the README's CPU runs')")
    ap.add_argument("--hidden", type=int, default=128, help="hidden size (paper: 512)")
    ap.add_argument("--peer-batches", type=int, default=0,
                    help="cut the peer's warm-up and timed epochs to this many minibatches (0 = whole epochs)")
    ap.add_argument("--peer-only", metavar="FOLDER", help="train only the peer on an existing export")
    a = ap.parse_args()
    if a.epochs < 2:
        ap.error("--epochs must be at least 2 (the first is not timed)")
    if a.peer_only:
        p_rate, p_seconds, p_n, p_loss, h = peer(a.peer_only, a.epochs - 1, a.peer_batches)
        print("peer: %.1f samples/s, %.2f s/epoch, %d examples, final training loss %.3f; libblas.so.3 -> %s"
              % (p_rate, p_seconds, p_n, p_loss, blas()))
        return
    if not a.manifest or not a.features:
        ap.error("--manifest and --features are required (or --peer-only FOLDER)")
    load_before = os.getloadavg()[0]
    j = java_side(a.manifest, a.features, a.epochs, a.embedding, a.hidden)
    p_rate, p_seconds, p_n, p_loss, h = peer(j["peer_data"], a.epochs - 1, a.peer_batches)
    load_after = os.getloadavg()[0]
    ours, ours1 = j["local2"]["samples_per_second"], j["local1"]["samples_per_second"]
    s = h["spec"]
    print()
    print("bench-vae: VAE VQA (embedding %d, hidden %d, z %d; question %d tokens, answer %d steps; "
          "%d question words, %d answer words), Adam 1e-4, batch 32, same run"
          % (s["embedding"], s["hidden"], s["z"], h["question_length"], h["output_length"],
             h["question_words"], h["answer_words"]))
    print("machine: %d cores, load average %.1f before and %.1f after" % (os.cpu_count(), load_before, load_after))
    print("peer: torch %s, libblas.so.3 -> %s%s" % (torch.__version__, blas(), "" if a.peer_batches <= 0 else
          ", epochs cut to %d minibatches (epoch s extrapolated to all examples)" % a.peer_batches))
    if h["masked"]:
        print("note: the model's minibatches carry masks (%s); the peer applies none" % ", ".join(h["masked"]))
    print("%-60s %12s %12s %10s %10s" % ("what", "samples/s", "epoch s", "examples", "ratio"))
    for k, label in (("local1", "ours: train on Spark local[1], parameter averaging"),
                     ("local2", "ours: train on Spark local[2], parameter averaging")):
        r = j[k]
        print("%-60s %12.1f %12.2f %10d %10.3f"
              % (label, r["samples_per_second"], r["epoch_seconds"], r["examples"], r["samples_per_second"] / p_rate))
    print("%-60s %12.1f %12.2f %10d %10.3f" % ("peer: PyTorch, 2 threads, no Spark", p_rate, p_seconds, p_n, 1.0))
    print("%-60s %12.2f" % ("ratio ours(local[2])/peer", ours / p_rate))
    print("%-60s %12.2f" % ("speed-up local[2]/local[1] (target >= 1.6)", ours / ours1))
    print("after %d epochs: training loss local[1] %.3f, local[2] %.3f, peer %.3f (peer: mean over its last "
          "epoch; ours: the training master's last score); validation %s local[1] %.4f, local[2] %.4f"
          % (a.epochs, j["local1"]["train_loss"], j["local2"]["train_loss"], p_loss,
             j["local2"]["validation_metric"], j["local1"]["validation_score"], j["local2"]["validation_score"]))
    print("bench-vae: ours=%.1f peer=%.1f ratio=%.3f speedup=%.2f" % (ours, p_rate, ours / p_rate, ours / ours1))


if __name__ == "__main__":
    main()
