"""What the notebooks share: where the outputs are, finding them, and reading them.

The notebooks only read what the jobs wrote; nothing here computes a result. Settings come from
the environment so that the same notebooks run against the demo and against real runs:

  MEDVQA_OUT       the folder to look in (default work/demo; relative paths are taken from the
                   repository root). Ingest outputs, augment outputs and runs are found anywhere
                   below it: a folder with manifest/ is a table output, one with metrics.json a run.
  MEDVQA_INGEST    explore-release: which ingest output to explore (default: the first found).
  MEDVQA_NB_CACHE  where Parquet tables are exported as JSON lines (default work/notebooks/cache).
  MEDVQA_JAVA      the java to run the export with (default: java on PATH).

Parquet: Debian 12 has no Parquet reader for Python (no python3-pyarrow, python3-fastparquet), so
tables are exported once with the jobs' own Spark (ParquetToJson.java on the built jar's classpath)
and read from the cache until their files change.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
JAR = REPO / "jobs" / "target" / "medvqa-jobs.jar"
SPARK_LIB = REPO / "jobs" / "target" / "spark-lib"

# Spark 3.5 on Java 17 needs these opens: the same list as bin/medvqa.
JAVA_OPENS = [
    "--add-opens=java.base/" + p + "=ALL-UNNAMED"
    for p in [
        "java.lang",
        "java.lang.invoke",
        "java.lang.reflect",
        "java.io",
        "java.net",
        "java.nio",
        "java.util",
        "java.util.concurrent",
        "java.util.concurrent.atomic",
        "jdk.internal.ref",
        "sun.nio.ch",
        "sun.nio.cs",
        "sun.security.action",
        "sun.util.calendar",
    ]
] + ["-Djdk.reflect.useDirectMethodHandle=false"]


def _from_repo(p):
    p = Path(p)
    return p if p.is_absolute() else REPO / p


def out_dir():
    """MEDVQA_OUT as a folder that exists; fails (so the notebook fails) when it does not."""
    d = _from_repo(os.environ.get("MEDVQA_OUT", "work/demo"))
    if not d.is_dir():
        raise SystemExit(
            f"MEDVQA_OUT={d} is not a folder: nothing to show "
            "(make demo writes work/demo; set MEDVQA_OUT to a runs folder)"
        )
    return d


def cache_dir():
    return _from_repo(os.environ.get("MEDVQA_NB_CACHE", "work/notebooks/cache"))


def local_path(uri):
    """A path from a manifest or provenance value: file: URIs and paths relative to the repo."""
    if uri is None:
        return None
    u = urlparse(str(uri))
    if u.scheme == "file":
        return Path(unquote(u.path))
    if u.scheme:
        return None  # hdfs:, s3a: cannot be opened from here
    return _from_repo(uri)


def absent(what):
    """Says in the output that something is not there, instead of failing on it."""
    print(f"ABSENT: {what}")


def nothing_to_show(what):
    """Fails the notebook: there is nothing at all for it to show."""
    raise SystemExit(f"nothing to show: {what} under {out_dir()}")


def rel(p):
    """A path as the reader knows it: relative to MEDVQA_OUT."""
    try:
        return str(Path(p).relative_to(out_dir())) or "."
    except ValueError:
        return str(p)


def _walk(root):
    for d, subdirs, files in os.walk(root):
        subdirs.sort()
        yield Path(d), list(subdirs), files
        # Not descended into: hidden and _ folders (.model.work, _rejected), which hold no outputs
        # to list, and tables and image folders, which can hold many thousands of files.
        subdirs[:] = [s for s in subdirs if not s.startswith((".", "_")) and s not in ("manifest", "images")]


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def load_jsonl(path):
    """One dict per line; a line that is not JSON (a run killed mid-write) is skipped."""
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    pass
    return pd.DataFrame(rows)


# The jobs whose outputs are manifest tables.
KINDS = ("ingest", "augment-images", "augment-questions")


def table_outputs(root=None):
    """Every output folder with a manifest/ below root: its path, job and provenance."""
    found = []
    for d, subdirs, _ in _walk(root or out_dir()):
        if "manifest" in subdirs:
            prov = load_json(d / "provenance.json") or {}
            found.append({"path": d, "job": prov.get("job"), "provenance": prov})
    return found


def kind_of(output, columns):
    """ingest, augment-images or augment-questions: the provenance's job, else the columns."""
    job = output.get("job")
    if job in KINDS:
        return job
    if "variant_id" in columns:
        return "augment-images"
    if "replacements" in columns:
        return "augment-questions"
    return "ingest"


def outputs_of_kind(kind, root=None):
    """(output, manifest DataFrame) for every table output of one kind below root."""
    # Tables whose provenance names their job are not read unless of this kind.
    wanted = [o for o in table_outputs(root) if o["job"] == kind or o["job"] not in KINDS]
    export([o["path"] / t for o in wanted for t in ("manifest", "_rejected")])
    found = []
    for o in wanted:
        m = read_table(o["path"] / "manifest")
        if m is not None and kind_of(o, m.columns) == kind:
            found.append((o, m))
    return found


def runs(root=None):
    """Run folders: those with a metrics.json (the evaluator's output), sorted by name."""
    return [d for d, _, files in _walk(root or out_dir()) if "metrics.json" in files]


def _parquet_files(table_dir):
    return sorted(p for p in Path(table_dir).glob("*.parquet") if not p.name.startswith("."))


def _cache_file(table_dir):
    # The key changes when the table is rewritten (names, sizes and times of its part files).
    sig = [str(Path(table_dir).resolve())]
    for p in _parquet_files(table_dir):
        st = p.stat()
        sig.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    key = hashlib.sha1("\n".join(sig).encode()).hexdigest()[:16]
    return cache_dir() / f"{Path(table_dir).parent.name}-{Path(table_dir).name}-{key}.jsonl"


def export(table_dirs):
    """Exports the tables not yet in the cache, all in one JVM (Spark starts once)."""
    todo = []
    for t in table_dirs:
        if _parquet_files(t) and not _cache_file(t).exists():
            todo += [str(t), str(_cache_file(t))]
    if not todo:
        return
    if not JAR.is_file() or not SPARK_LIB.is_dir():
        raise SystemExit(f"{JAR} is not built: run 'make build' (the notebooks read Parquet with it)")
    cmd = (
        [os.environ.get("MEDVQA_JAVA", "java"), "-Xmx2g"]
        + JAVA_OPENS
        + [
            f"-Dlog4j2.configurationFile={REPO / 'conf' / 'log4j2.properties'}",
            "-cp",
            f"{JAR}:{SPARK_LIB}/*",
            str(REPO / "notebooks" / "ParquetToJson.java"),
        ]
        + todo
    )
    env = dict(os.environ, SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        raise RuntimeError(f"exporting Parquet tables failed (exit {r.returncode}): {todo[::2]}")


def read_table(table_dir):
    """A Parquet table folder (manifest/, _rejected/) as a DataFrame with all its columns.

    None when the folder is absent or holds no Parquet file (say so with absent()).
    """
    table_dir = Path(table_dir)
    if not table_dir.is_dir() or not _parquet_files(table_dir):
        return None
    export([table_dir])
    f = _cache_file(table_dir)
    df = load_jsonl(f)
    schema = load_json(str(f) + ".schema") or {"fields": []}
    for field in schema["fields"]:  # a column null in every row has no key in the JSON
        if field["name"] not in df.columns:
            df[field["name"]] = None
    return df[[field["name"] for field in schema["fields"]]] if schema["fields"] else df


def flatten(d, prefix=""):
    """A nested dict as dotted keys (config trees in provenance.json)."""
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = json.dumps(v) if isinstance(v, list) else v
    return out
