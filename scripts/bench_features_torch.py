#!/usr/bin/python3
"""Benchmark extract-features against Debian's PyTorch/torchvision ResNet50 on the same images.

Run through `make bench-features` (which builds the project, imports the weights and installs
python3-torch/python3-torchvision), or by hand after `mvn -pl jobs -am install -DskipTests`:

    /usr/bin/python3 scripts/bench_features_torch.py --data DIR --model models/resnet50-keras-imagenet.zip

1. The Java side (org.medvqa.jobs.ExtractFeaturesBenchTest, run by Maven Surefire) measures ND4J's
   SGEMM rate (2048x2048, 2 threads), extract-features on the first N images of DIR under local[1]
   and local[2] (after a warm-up run; the job's own rate over its extraction phase, which includes
   reading, decoding and resizing), and the levers without Spark.
2. This script then runs torchvision's ResNet50 to the same 2048-d pooled feature on the same
   images: PIL decode, stretch to 224x224 (bilinear), caffe preprocessing, batch 16, 2 threads,
   channels_last (and the default layout for reference), random weights (torchvision cannot
   download weights here; the speed does not depend on their values). Best of 2 timed rounds after
   a warm-up batch, decoding included as on our side; measured before and after the Java side,
   the best kept.
3. It prints the table and the summary line
   `bench-features: ours=<img/s> peer=<img/s> ratio=<x> peak=<%> speedup=<x>`.
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
    import torchvision
    from PIL import Image
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("bench-features needs python3-torch, python3-torchvision (Debian), run with /usr/bin/python3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GFLOP_PER_IMAGE = 8.2  # ResNet50 forward at 224x224: ~4.1 G multiply-adds
MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def java_side(data, count, model, levers, extra):
    out = os.path.join(ROOT, "jobs", "target", "bench-features.json")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["mvn", "-B", "-q", "-pl", "jobs", "surefire:test",
           "-Dtest=ExtractFeaturesBenchTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           "-Dmedvqa.bench.out=" + out, "-Dmedvqa.bench.images=" + os.path.abspath(data),
           "-Dmedvqa.bench.count=%d" % count, "-Dmedvqa.bench.model=" + os.path.abspath(model),
           "-Dmedvqa.bench.levers=" + ("true" if levers else "false")] + ["-D" + e for e in extra]
    log = os.path.join(ROOT, "jobs", "target", "bench-features.log")
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


def load(path):
    img = Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR)
    a = np.asarray(img, dtype=np.float32)[:, :, ::-1] - MEAN_BGR  # RGB -> BGR, caffe means
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def peer(files, channels_last, batch=16, rounds=2):
    torch.set_num_threads(2)
    net = torchvision.models.resnet50()
    net.fc = torch.nn.Identity()  # the pooled 2048-d feature, like ours
    net.eval()
    if channels_last:
        net = net.to(memory_format=torch.channels_last)

    def run(paths):
        for i in range(0, len(paths), batch):
            x = torch.stack([load(p) for p in paths[i:i + batch]])
            if channels_last:
                x = x.to(memory_format=torch.channels_last)
            with torch.no_grad():
                y = net(x)
            assert y.shape[1] == 2048

    run(files[:batch])  # warm-up
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        run(files)
        best = max(best, len(files) / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder of JPEG images (the first N, sorted)")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--model", required=True, help="the DL4J model file of make weights")
    ap.add_argument("--no-levers", action="store_true", help="skip the lever measurements")
    ap.add_argument("--set", action="append", default=[], metavar="medvqa.features.KEY=VALUE",
                    help="extract-features setting for the Java runs (repeatable)")
    a = ap.parse_args()
    files = sorted(os.path.join(a.data, f) for f in os.listdir(a.data) if f.endswith(".jpg"))[:a.images]
    if len(files) < a.images:
        sys.exit("only %d images in %s" % (len(files), a.data))

    # The peer runs before and after the Java side and keeps its best, so that load from other
    # work on the machine during one phase does not favour us.
    load_before = os.getloadavg()[0]
    print("bench: torchvision ResNet50 (torch %s, torchvision %s), 2 threads ..." % (torch.__version__, torchvision.__version__))
    peer_cl = peer(files, channels_last=True)
    peer_default = peer(files, channels_last=False)
    print("bench: peer before: channels_last %.2f, default layout %.2f images/s" % (peer_cl, peer_default))
    j = java_side(a.data, a.images, a.model, not a.no_levers, a.set)
    cl2, default2 = peer(files, channels_last=True), peer(files, channels_last=False)
    print("bench: peer after: channels_last %.2f, default layout %.2f images/s" % (cl2, default2))
    peer_cl, peer_default = max(peer_cl, cl2), max(peer_default, default2)

    load_after = os.getloadavg()[0]
    sgemm = j["sgemm_gflops"]
    limit = sgemm / GFLOP_PER_IMAGE
    ours, ours1 = j["local2"], j["local1"]
    ratio = ours / peer_cl
    peak = 100.0 * ours / limit
    speedup = ours / ours1
    print()
    print("bench-features: %d images of %s, ResNet50 224x224 -> 2048-d pooled feature, same run" % (len(files), a.data))
    print("machine: %d cores, load average %.1f before and %.1f after (other work on the machine slows both sides)"
          % (os.cpu_count(), load_before, load_after))
    print("%-64s %12s %10s" % ("what", "images/s", "note"))
    print("%-64s %12.1f %10s" % ("ND4J SGEMM 2048^2, 2 threads (GFLOP/s)", sgemm, ""))
    print("%-64s %12.2f %10s" % ("limit at %.1f GFLOP/image" % GFLOP_PER_IMAGE, limit, ""))
    print("%-64s %12.2f %10s" % ("ours: extract-features local[1]", ours1, ""))
    print("%-64s %12.2f %10s" % ("ours: extract-features local[2]", ours, "ours"))
    print("%-64s %12.2f %10s" % ("peer: torchvision channels_last, 2 threads", peer_cl, "peer"))
    print("%-64s %12.2f %10s" % ("peer: torchvision default layout, 2 threads", peer_default, ""))
    for lever in j.get("levers", []):
        print("%-64s %12.2f %10s" % ("lever (no Spark): " + lever["name"], lever["images_per_s"], ""))
    print("%-64s %12.2f %10s" % ("ratio ours/peer (target >= 2)", ratio, ""))
    print("%-64s %12.2f %10s" % ("ratio ours/best peer layout", ours / max(peer_cl, peer_default), ""))
    print("%-64s %11.1f%% %10s" % ("percent of SGEMM peak (target >= 50%)", peak, ""))
    print("%-64s %12.2f %10s" % ("speed-up local[2]/local[1] (target >= 1.8)", speedup, ""))
    print("bench-features: ours=%.2f peer=%.2f ratio=%.2f peak=%.1f%% speedup=%.2f" % (ours, peer_cl, ratio, peak, speedup))


if __name__ == "__main__":
    main()
