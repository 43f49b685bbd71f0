"""Summaries shared by the bench_*_torch.py scripts: medians with their spread, load averages."""

import multiprocessing
import os
import re

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def spread(v, digits=0):
    """min-max of `v`, as the table prints it beside the median."""
    return "%.*f-%.*f" % (digits, min(v), digits, max(v))


def echo_bench_lines(log):
    """The Java side's `bench:` lines from its log, as they come (Maven's quiet mode can put colour
    codes before the first one)."""
    with open(log) as f:
        for line in f:
            if "bench:" in line:
                print(line[line.index("bench:"):].rstrip())


def load_average():
    """The 1, 5 and 15 minute load averages, printed before and after each benchmark."""
    return "%.1f/%.1f/%.1f" % os.getloadavg()


def rounds(breakdown):
    """Averaging rounds per epoch, as dl4j-spark counted them: the parameter broadcasts of the last
    "time by step" line (one per round), or None without statistics."""
    for line in reversed(breakdown):
        m = re.search(r"CreateBroadcast [0-9.]+ s \((\d+)\)", line)
        if m:
            return int(m.group(1))
    return None


def in_fresh_process(fn, threads, *args):
    """fn(*args) in a new interpreter whose OpenMP and BLAS thread pools were sized to `threads`
    when the libraries loaded: torch.set_num_threads(1) alone leaves Debian's OpenBLAS with its own
    pool of threads spinning beside the one doing the work, so the peer's best setting needs this."""
    saved = {k: os.environ.get(k) for k in THREAD_VARS}
    os.environ.update({k: str(threads) for k in THREAD_VARS})
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            return pool.apply(fn, args)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def print_epoch_cpu(j):
    """Where the cores went in epoch 2 of the timed runs (with its validation), per kind of thread:
    seconds on a core and seconds runnable but waiting for one, medians over the repetitions."""
    layouts = [("local[1]", j["local1"]), ("local[2]", j["local2"])]
    if not all(o.get("epoch2_cpu") for _, runs in layouts for o in runs):
        print("epoch 2 per kind of thread: not measured (it needs Linux's /proc/self/task and runs of at"
              " least 2 epochs)")
        return
    print("epoch 2 per kind of thread (with its validation; /proc/self/task/*/schedstat; medians over "
          "the repetitions): seconds on a core / seconds waiting for one")
    kinds = []
    for _, runs in layouts:
        for o in runs:
            for k in o["epoch2_cpu"]:
                if k not in kinds:
                    kinds.append(k)
    for name, runs in layouts:
        cells = []
        for k in kinds[:8]:
            ran = median(o["epoch2_cpu"].get(k, [0, 0])[0] for o in runs)
            waited = median(o["epoch2_cpu"].get(k, [0, 0])[1] for o in runs)
            cells.append("%s %.2f/%.2f" % (k, ran, waited))
        print("  %s: %s" % (name, ", ".join(cells)))


def print_core_scaling(probes, local1, local2):
    """What a second core gave beside the timed runs (`probes`, CoreScaling.java: a vector loop in a
    core's first-level cache, one thread, then two with the same work each, the slower ending it,
    medians of three; before each repetition and after the last), and each repetition's own
    speed-up (rates of local[2] over local[1], in repetition order), so that a low speed-up can be
    read against what the machine gave at the time."""
    if not probes:
        print("machine speed-up: not measured")
        return
    m = [p["speedup"] for p in probes]
    print("machine speed-up (the same loop on one core and on two, equal work each, medians of three;"
          " before each repetition and after the last): %s, median %.2f"
          % (" ".join("%.2f" % x for x in m), median(m)))
    print("speed-up local[2]/local[1] per repetition: %s"
          % " ".join("%.2f" % (b / a) for a, b in zip(local1, local2)))
