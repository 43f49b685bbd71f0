"""Summaries shared by the bench_*_torch.py scripts: medians with their spread, load averages."""

import os
import re


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def spread(v, digits=0):
    """min-max of `v`, as the table prints it beside the median."""
    return "%.*f-%.*f" % (digits, min(v), digits, max(v))


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
