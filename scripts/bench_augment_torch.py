#!/usr/bin/env python3
"""The peer of `make bench-augment`: the same four transforms on the same images with the same
parameters, in PyTorch/torchvision (Debian python3-torch, python3-torchvision) with PIL
(libjpeg-turbo) for decoding and encoding.

Input: a plan written by org.medvqa.jobs.BenchAugmentImages, one variant per line (tab-separated):
  source_path  variant_image  flip_horizontal  flip_vertical  rotation  shift_x  shift_y  blur_sigma
  ours_path
with the parameters augment-images drew (rotation in degrees, counter-clockwise; shifts in whole
pixels, right and down; sigma in pixels, 0 = none). Each source image is decoded once, an RGB
image whose channels are equal is processed as one grey channel (as augment-images does with
collapse-grey), and every variant is flipped, rotated and shifted in one resampling with edge fill
(affine_grid + grid_sample, bilinear, padding_mode="border"; a pure shift is a replicate-padded
crop), blurred and written as JPEG. The blur is the same Gaussian as ours (kernel radius
ceil(3 sigma)): by default torchvision's gaussian_blur (one 2-D kernel, reflected edges; on this
CPU faster than two 1-D depthwise convolutions, which --blur separable uses, with replicated
edges as ours); --blur pil uses PIL's GaussianBlur (three box blurs: fast, approximate).

For each worker count it runs the whole plan once untimed, then --repeats times, and reports the
best time; workers are processes (a multiprocessing pool, as a DataLoader would use), each with one
torch thread. Prints one JSON object on the last line of stdout.
"""
import argparse
import io
import json
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from PIL import Image, ImageFilter


def read_plan(path):
    sources = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        src, name, fh, fv, rot, sx, sy, sigma, ours = line.rstrip("\n").split("\t")
        sources.setdefault(src, []).append(
            (name, fh == "true", fv == "true", float(rot), int(sx), int(sy), float(sigma), ours))
    return list(sources.items())


def decode(path, collapse_grey):
    img = Image.open(path)
    img.load()
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    a = np.asarray(img)
    if a.ndim == 3 and collapse_grey and (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all():
        a = a[..., 0]
    t = torch.from_numpy(np.array(a))  # a writable copy
    return t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1)


def geometry(x, rot, dx, dy):
    """Rotation about the centre then a whole-pixel shift, bilinear, edge fill."""
    c, h, w = x.shape
    if rot == 0:
        xf = x.unsqueeze(0).float()
        p = (max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0))
        padded = F.pad(xf, p, mode="replicate")[0]
        return padded[:, max(-dy, 0):max(-dy, 0) + h, max(-dx, 0):max(-dx, 0) + w]
    # The inverse map of augment-images (source = R^-1 (output - shift - centre) + centre) in
    # the normalised coordinates of affine_grid with align_corners=True.
    r = math.radians(rot)
    cos, sin = math.cos(r), math.sin(r)
    sx, sy = (w - 1) / 2.0, (h - 1) / 2.0
    theta = torch.tensor([[[cos, -sin * sy / sx, (-dx * cos + dy * sin) / sx],
                           [sin * sx / sy, cos, (-dx * sin - dy * cos) / sy]]], dtype=torch.float32)
    grid = F.affine_grid(theta, (1, c, h, w), align_corners=True)
    return F.grid_sample(x.unsqueeze(0).float(), grid, mode="bilinear",
                         padding_mode="border", align_corners=True)[0]


def kernel1d(sigma):
    r = max(1, math.ceil(3 * sigma))
    x = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-(x * x) / (2 * sigma * sigma))
    return (k / k.sum()).float(), r


def blur(y, sigma, how):
    if how == "torchvision":
        k = 2 * math.ceil(3 * sigma) + 1
        return TF.gaussian_blur(y.float(), [k, k], [sigma, sigma])
    k, r = kernel1d(sigma)
    c = y.shape[0]
    x = y.unsqueeze(0).float()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1),
                 groups=c)
    x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1),
                 groups=c)
    return x[0]


def augment_one(job):
    src, variants, out_dir, quality, collapse_grey, how = job
    x = decode(src, collapse_grey)
    for name, fh, fv, rot, dx, dy, sigma, _ in variants:
        y = x
        if fh:
            y = TF.hflip(y)
        if fv:
            y = TF.vflip(y)
        if rot != 0 or dx != 0 or dy != 0:
            y = geometry(y, rot, dx, dy)
        if sigma > 0 and how != "pil":
            y = blur(y, sigma, how)
        a = y.round().clamp(0, 255).to(torch.uint8) if y.dtype != torch.uint8 else y
        a = a[0].numpy() if a.shape[0] == 1 else a.permute(1, 2, 0).contiguous().numpy()
        img = Image.fromarray(a)
        if sigma > 0 and how == "pil":
            img = img.filter(ImageFilter.GaussianBlur(sigma))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=quality)
        with open(os.path.join(out_dir, name + ".jpg"), "wb") as f:
            f.write(buf.getvalue())
    return len(variants)


def init_worker():
    torch.set_num_threads(1)


def run(plan, out_dir, workers, quality, collapse_grey, how):
    jobs = [(src, v, out_dir, quality, collapse_grey, how) for src, v in plan]
    start = time.perf_counter()
    if workers == 1:
        n = sum(augment_one(j) for j in jobs)
    else:
        with mp.get_context("fork").Pool(workers, initializer=init_worker) as pool:
            n = sum(pool.imap_unordered(augment_one, jobs, chunksize=1))
    return time.perf_counter() - start, n


def mean_abs_diff(peer_dir, plan):
    """Mean |peer - ours| over every pixel of every variant (0-255 scale)."""
    diffs = []
    for _, variants in plan:
        for v in variants:
            a = np.asarray(Image.open(os.path.join(peer_dir, v[0] + ".jpg")), dtype=np.int16)
            b = np.asarray(Image.open(v[7]), dtype=np.int16)
            if a.shape != b.shape:
                return float("nan")
            diffs.append(np.abs(a - b).mean())
    return float(np.mean(diffs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--plan", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quality", type=int, default=90)
    ap.add_argument("--no-collapse-grey", action="store_true")
    ap.add_argument("--blur", choices=["torchvision", "separable", "pil"], default="torchvision")
    a = ap.parse_args()
    torch.set_num_threads(1)
    plan = read_plan(a.plan)
    os.makedirs(a.out, exist_ok=True)
    result = {"images": len(plan), "variants": sum(len(v) for _, v in plan), "blur": a.blur,
              "torch": torch.__version__, "pil": Image.__version__, "runs": {}}
    for w in [int(x) for x in a.workers.split(",")]:
        args = (plan, a.out, w, a.quality, not a.no_collapse_grey, a.blur)
        run(*args)  # warm-up: file cache, lazy initialisation
        times = [run(*args)[0] for _ in range(a.repeats)]
        best = min(times)
        result["runs"][str(w)] = {"seconds": times, "best": best, "images_per_s": len(plan) / best}
        print(f"peer: {w} worker(s): {len(plan) / best:.2f} images/s "
              f"(best of {', '.join(f'{t:.2f}' for t in times)} s)", file=sys.stderr)
    result["mean_abs_diff_vs_ours"] = mean_abs_diff(a.out, plan)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
