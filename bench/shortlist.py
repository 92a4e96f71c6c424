"""Shortlist sizes of isolated mode, replayed offline on every dev set: how few phrases can be
encoded alone without losing quality.

    python bench/shortlist.py                          # every set keyextract shortlists, top 10
    python bench/shortlist.py --sets inspec_dev --limit 50 --no-write   # smoke test

keyextract's default (isolated mode) scores every candidate with its vector pooled from the
document pass (the in-context score), then encodes alone only the ``3 x top_n + 5`` best (the
shortlist) and ranks those by the cosine of their own vector to the document (EmbedRank,
Bennani-Smires et al. 2018) plus the priors. The shortlist is what the default pays over the
encoder's floor on abstracts (``bench/speed.py``), so this script asks which smaller shortlist
would keep the quality. For each set it runs the document pass once, encodes *every* candidate
alone once, and then replays the ranking (contests, MMR; ``KeywordExtractor._rank``) for each
policy without encoding again:

- ``all``: every candidate (``exhaustive=True``, the unrestricted version);
- ``top K``: the K best by in-context score (K = ``--sizes``; the default's size is marked);
- ``bound``: adaptive: the ``top_n + 5`` best first; then, while any candidate not yet encoded
  could still reach the top ``top_n``, the next ``top_n`` of those. "Could reach" is an
  estimate, not a guarantee: a line fitted (least squares) to the isolated against the
  in-context similarities of the candidates encoded so far, plus the largest residual, plus
  ``--slack``, plus the candidate's priors, at least the ``top_n``-th best score so far.

Reported per set and policy: micro F1@k (pooled hits over pooled counts) with its difference
from ``all`` and macro F1@k beside it, and the phrases encoded alone a document (distinct
within the document; across documents ``Encoder.embed`` caches repeats). Also the encoder
positions (tokens with the model's special tokens) a document: its own windows, and its
shortlisted phrases at the default size and at ``top_n``, which bounds what any shortlist can
save. The issue's bound: at most 0.3 points of micro F1@10 below ``all`` on every set.

Sets: those whose language keyextract tags (English and Chinese; an untagged language has no
shortlist). Before replaying, the script checks itself: on the first ``--check`` documents of
each set the replay at the default size and at ``all`` must give exactly the keyphrases of
``extract_batch`` with the default and with ``exhaustive=True`` (exit status 1 otherwise).
Encoders and limits as ``bench/variants.py``. Writes the ``## Shortlist sizes`` section of
``BENCHMARKS.md`` and ``bench/results/shortlist.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from benchmarks_md import command_line, emit, parse_per_set, per_set_parser
from quality import DEFAULT_LIMITS, LANG_OF_SET, e5_dir, machine, minilm_dir, read_set, revision

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
RESULTS_JSON = ROOT / "bench" / "results" / "shortlist.json"
SECTION = "## Shortlist sizes"
SETS = {name: lang for name, lang in LANG_OF_SET.items() if lang in ("en", "zh")}
BOUND = 0.3  # points of micro F1@k a shortlist may lose against every candidate encoded alone
CHUNK = 32  # documents per document pass


def replay_data(extractor, records: list[dict]) -> list[dict | None]:
    """Per record: every candidate's in-context relevance, isolated similarity and vector,
    priors, contests and spans (None for a text without candidates), and encoder positions."""
    from keyextract.ranking import cosines

    out: list[dict | None] = []
    for b in range(0, len(records), CHUNK):
        prepared = [extractor._prepare(r["text"]) for r in records[b : b + CHUNK]]
        docs = [p for p in prepared if p.candidates]
        encoder = extractor._encoder(docs[0].model, docs[0].lang) if docs else None
        encoded = iter(
            encoder.encode([d.text for d in docs], False, extractor.batch_size,
                           spans=[[c.spans for c in d.candidates] for d in docs],
                           attention=extractor.attention_weight > 0)
            if docs else []
        )
        for doc in prepared:
            if not doc.candidates:
                out.append(None)
                continue
            enc = next(encoded)
            parts = extractor._score_parts(doc, enc, doc.candidates, enc.pooled, enc.pooled_attention)
            phrases = [c.phrase for c in doc.candidates]
            vectors = encoder.embed(phrases, extractor.batch_size)
            prior = sum(v for name, v in parts.items() if name != "similarity")
            special = len(encoder.prefix) + len(encoder.suffix)
            tokens = encoder.tokenizer(doc.text, add_special_tokens=False, verbose=False)["input_ids"]
            out.append({
                "lang": doc.lang,
                "phrases": phrases,
                "context": parts["similarity"] + prior,
                "isolated": cosines(vectors, enc.doc_vector),
                "prior": prior,
                "vectors": vectors,
                "doc_vector": enc.doc_vector,
                "groups": [c.groups for c in doc.candidates],
                "keys": [c.key for c in doc.candidates],
                "spans": [c.spans for c in doc.candidates],
                "phrase_positions": np.array(
                    [len(ids) + special for ids in encoder.tokenizer(phrases, add_special_tokens=False)["input_ids"]]
                ),
                "doc_positions": sum(e - s + special for s, e in encoder.windows(len(tokens))),
            })
    return out


def ranked(d: dict, encoded: np.ndarray, top: int, diversity: float) -> list[str]:
    """The keyphrases of ``KeywordExtractor._rank`` when the candidates ``encoded`` are encoded alone."""
    from keyextract.languages import handled_language, word_reading
    from keyextract.ranking import contest_winners, mmr, nesting_units

    idx = np.sort(np.asarray(encoded, dtype=np.int64))
    relevance = d["isolated"][idx] + d["prior"][idx]
    winners = contest_winners(relevance, [d["groups"][i] for i in idx])
    idx, relevance = idx[winners], relevance[winners]
    form = word_reading(handled_language(d["lang"]) or "")
    units = [nesting_units(d["keys"][i], form) for i in idx]
    picks = mmr(relevance, d["vectors"][idx], top, diversity, units, False, [d["spans"][i] for i in idx])
    return [d["phrases"][idx[i]] for i, _ in picks]


def by_context(d: dict) -> np.ndarray:
    """Candidate indices, best in-context relevance first (ties: document order, as ``shortlist``)."""
    return np.lexsort((np.arange(len(d["context"])), -d["context"]))


def fixed(size: int | None) -> Callable[[dict, int], np.ndarray]:
    """The ``size`` best by in-context relevance (None: all)."""
    return lambda d, top: by_context(d)[:size]


def bound(slack: float) -> Callable[[dict, int], np.ndarray]:
    """The adaptive policy of the module docstring."""

    def policy(d: dict, top: int) -> np.ndarray:
        order = list(by_context(d))
        encoded, rest = order[: top + 5], order[top + 5 :]
        while rest:
            e = np.array(encoded)
            x, y = d["context"][e] - d["prior"][e], d["isolated"][e]
            slope, intercept = np.polyfit(x, y, 1) if len(e) >= 3 and np.ptp(x) > 0 else (1.0, 0.0)
            slope = max(slope, 0.0)
            residual = float((y - (slope * x + intercept)).max())
            threshold = np.sort(y + d["prior"][e])[::-1][min(top, len(e)) - 1]
            r = np.array(rest)
            reach = slope * (d["context"][r] - d["prior"][r]) + intercept + residual + slack + d["prior"][r]
            more = set(r[reach >= threshold][:top].tolist())
            if not more:
                break
            encoded += [i for i in rest if i in more]
            rest = [i for i in rest if i not in more]
        return np.array(encoded)

    return policy


def policies(sizes: Sequence[int], slacks: Sequence[float], default: int) -> dict[str, Callable]:
    named: dict[str, Callable] = {"all": fixed(None)}
    for size in sorted(set(sizes) | {default}, reverse=True):
        named[f"top {size}" + (" (default)" if size == default else "")] = fixed(size)
    for slack in slacks:
        named[f"bound, slack {slack:g}"] = bound(slack)
    return named


def self_check(extractor, exhaustive, records: list[dict], data: list[dict | None], top: int, default: int) -> list[str]:
    """Differences between the replay and ``extract_batch`` on ``records`` (empty: none)."""
    problems = []
    for name, ex, policy in (("default", extractor, fixed(default)), ("exhaustive", exhaustive, fixed(None))):
        real = [[k.phrase for k in found] for found in ex.extract_batch([r["text"] for r in records], top_n=top, progress=False)]
        for r, d, got in zip(records, data, real):
            replayed = ranked(d, policy(d, top), top, ex.diversity) if d is not None else []
            if replayed != got:
                problems.append(f"{name}, document {r.get('id')}: replay {replayed} != extract_batch {got}")
    return problems


def measure(name: str, lang: str, records: list[dict], top: int, sizes, slacks, check: int) -> dict:
    from keyextract import KeywordExtractor
    from keyextract.evaluation import score
    from keyextract.extractor import SHORTLIST_FACTOR, SHORTLIST_MARGIN

    model = str(minilm_dir() if lang == "en" else e5_dir())
    extractor = KeywordExtractor(model, lang=lang, device="cpu")
    exhaustive = KeywordExtractor(model, lang=lang, device="cpu", exhaustive=True)
    extractor.extract(records[0]["text"][:300], top_n=top)  # loads the encoder and the tagger
    default = SHORTLIST_FACTOR * top + SHORTLIST_MARGIN
    data = replay_data(extractor, records)
    problems = self_check(extractor, exhaustive, records[:check], data[:check], top, default)
    if problems:
        raise SystemExit(f"{name}: the replay does not reproduce extract_batch:\n" + "\n".join(problems[:5]))
    golds, langs = [r["keyphrases"] for r in records], [lang] * len(records)
    rows = {}
    for label, policy in policies(sizes, slacks, default).items():
        predictions, encoded = [], 0
        for d in data:
            if d is None:
                predictions.append([])
                continue
            chosen = policy(d, top)
            encoded += len(chosen)
            predictions.append(ranked(d, chosen, top, extractor.diversity))
        scores = score(predictions, golds, langs, top=(top,))
        rows[label] = {
            "micro": 100 * scores.micro[0].f1,
            "macro": 100 * scores.macro[0].f1,
            "encoded_per_doc": encoded / len(records),
        }
    present = [d for d in data if d is not None]

    def phrase_positions(size: int) -> float:
        return float(np.mean([d["phrase_positions"][fixed(size)(d, top)].sum() for d in present])) if present else 0.0

    return {
        "docs": len(records),
        "lang": lang,
        "candidates_per_doc": float(np.mean([len(d["phrases"]) for d in present])) if present else 0.0,
        "doc_positions": float(np.mean([d["doc_positions"] for d in present])) if present else 0.0,
        "phrase_positions_default": phrase_positions(default),
        "phrase_positions_top": phrase_positions(top),
        "policies": rows,
    }


def render(report: dict) -> str:
    top = report["top"]
    lines = [
        SECTION,
        "",
        f"Isolated mode's shortlist replayed offline (`bench/shortlist.py`): one document pass and every candidate "
        f"encoded alone once per set, then the ranking replayed for each policy; top_n = {top}, F1@{top}. "
        "`all` is `exhaustive=True`; `top K` encodes the K best by in-context score; `bound` adds candidates while a "
        "line fitted to the isolated against the in-context similarities (plus its largest residual and the slack) "
        f"says they could still reach the top {top}. Phrases a doc: encoded alone, distinct within a document. The "
        "replay reproduced `extract_batch` exactly (default and exhaustive) on the first "
        f"{report['check']} documents of every set. See the docstring of `bench/shortlist.py`.",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"- Date: {report['date'][:10]}; keyextract at commit `{report['commit']}`; machine: {report['machine']}; "
        f"total run time {report['total_seconds'] / 60:.1f} min.",
        "- Encoders: all-MiniLM-L6-v2 (English), multilingual-e5-small (Chinese).",
        "",
    ]
    labels = list(next(iter(report["sets"].values()))["policies"]) if report["sets"] else []
    header = "| policy | " + " | ".join(f"{name} ({e['docs']})" for name, e in report["sets"].items()) + " |"
    lines += [
        f"Micro F1@{top}, its difference from `all`, and phrases encoded alone a document:",
        "",
        header,
        "| --- |" + " ---: |" * len(report["sets"]),
    ]
    worst = {}
    for label in labels:
        cells = []
        for entry in report["sets"].values():
            row, base = entry["policies"][label], entry["policies"]["all"]["micro"]
            cells.append(f"{row['micro']:.2f} ({row['micro'] - base:+.2f}), {row['encoded_per_doc']:.1f}")
            worst[label] = min(worst.get(label, 0.0), row["micro"] - base)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Macro F1@{top}: " + "; ".join(
            f"{name} " + ", ".join(f"{label} {e['policies'][label]['macro']:.2f}" for label in labels)
            for name, e in report["sets"].items()
        ) + ".",
        "",
        "Encoder positions a document (tokens with the model's special tokens): its windows / its shortlisted "
        f"phrases at the default size / the best {top} phrases alone: " + "; ".join(
            f"{name} {e['doc_positions']:.0f} / {e['phrase_positions_default']:.0f} / {e['phrase_positions_top']:.0f}"
            for name, e in report["sets"].items()
        ) + ".",
        "",
        f"Largest loss against `all` on any set (the bound: {BOUND} points): " + "; ".join(
            f"{label} {0.0 - w:.2f}" + (" (within)" if -w <= BOUND else "") for label, w in worst.items() if label != "all"
        ) + ".",
    ]
    within = [label for label, w in worst.items() if label.startswith("top ") and -w <= BOUND]
    if within:
        smallest = min(within, key=lambda label: int(label.split()[1]))
        lines += ["", f"Smallest fixed shortlist within the bound on every set: {smallest}."]
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = per_set_parser(__doc__.split("\n")[0], SETS)
    parser.add_argument("--sizes", default="15,20,25", help="fixed shortlist sizes besides the default (default 15,20,25)")
    parser.add_argument("--slacks", default="0,0.05", help="slacks of the adaptive policy (default 0,0.05)")
    parser.add_argument("--check", type=int, default=20, help="documents per set checked against extract_batch (default 20)")
    args = parse_per_set(parser, argv, SETS)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        args.slacks = [float(s) for s in args.slacks.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes integers and --slacks numbers, comma-separated")
    if any(s < 1 for s in args.sizes) or args.check < 0:
        parser.error("--sizes must be >= 1, --check >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        emit(SECTION, render(json.loads(args.render.read_text(encoding="utf-8"))), BENCHMARKS_MD, not args.no_write)
        return 0
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    report = {
        "command": command_line("bench/shortlist.py", argv),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": revision(),
        "machine": machine(),
        "top": args.top,
        "check": args.check,
        "sets": {},
    }
    for name in args.sets:
        print(f"[{time.perf_counter() - started:6.0f}s] {name} ...", file=sys.stderr)
        records = read_set(name, args.limit or DEFAULT_LIMITS[name])
        report["sets"][name] = measure(name, SETS[name], records, args.top, args.sizes, args.slacks, args.check)
    report["total_seconds"] = time.perf_counter() - started
    emit(SECTION, render(report), BENCHMARKS_MD, not args.no_write, report, RESULTS_JSON)
    return 0


if __name__ == "__main__":
    sys.exit(main())
