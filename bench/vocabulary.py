"""Closed-vocabulary tagging: keyextract's vocabulary mode against its peers, side by side.

    python bench/vocabulary.py                         # the four sets in full, every peer; writes BENCHMARKS.md
    python bench/vocabulary.py --sets kdd_withabstract --limit 50 --no-write
    python bench/vocabulary.py --scale                 # 100,000 labels: start-up, memory, docs/s

For each set the vocabulary is the union of the set's gold keyphrases (every document's), one
term a line: KDD and WWW abstracts (author keywords), Inspec dev (about 14,000 terms), CSL dev
(Chinese). Every system ranks the vocabulary's terms for each document, with the same encoder
(all-MiniLM-L6-v2 for English, multilingual-e5-small for Chinese):

- ``keyextract``: ``KeywordExtractor(vocabulary=...)``: terms found in the text and terms that
  fit it, ranked together (``keyextract.vocabulary``);
- ``lexical``: the terms found in the text (keyextract's matching: case, inflection, Chinese
  script), most occurrences first, then earliest;
- ``keybert``: KeyBERT's ``extract_keywords(candidates=vocabulary)``, which ranks the candidates
  that occur in the document (English: its ``CountVectorizer`` with ``ngram_range`` up to the
  longest term; Chinese, which CountVectorizer cannot cut: the terms found as substrings) by
  cosine to the document;
- ``cosine``: every term by the cosine of its vector to the document vector.

Scores: micro F1@5 and @10 (macro beside), exact match after stemming (``keyextract.evaluation``).
Speed: docs/s of each system's call over the set, label vectors already cached, against the bare
encoder pass over the same documents (``bench/speed.py``'s ``floor_pass``), alternated twice, the
best of each. Also written: per set, every ranked tag's parts and whether it is gold
(``bench/.cache/calibration/vocabulary_<set>.pkl``, for ``bench/calibrate.py``) and the
leave-one-set-out choice of ``vocabulary.ABSENT_PENALTY`` (replayed over each list's top 30).

``--scale``: a vocabulary of 100,000 labels (the dev sets' gold keyphrases, then two-word terms
made of their words, fixed seed) in a fresh process per step: reading it, label vectors cold
(encoded) and cached (memory-mapped), peak memory, and docs/s on 200 Inspec abstracts.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import DATA_DIR, LANG_OF_SET, ROOT, e5_dir, minilm_dir, read_set  # noqa: E402
from speed import floor_pass  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SETS = ("kdd_withabstract", "www_withabstract", "inspec_dev", "csl_zh_dev")
SYSTEMS = ("keyextract", "lexical", "keybert", "cosine")
TOP = (5, 10)
DEPTH = 30  # tags kept per document for the replay and the calibration
PENALTIES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)  # ABSENT_PENALTY
INSIDES = (0.0, 0.1, 0.2, 0.4, 0.6)  # INSIDE_PENALTY
RESULTS = ROOT / "bench" / "results" / "vocabulary.json"
CAL_DIR = ROOT / "bench" / ".cache" / "calibration"
SECTION = "## Vocabulary"
SCALE_LABELS = 100_000


def vocabulary_of(name: str) -> list[str]:
    """The union of a set's gold keyphrases, first occurrence kept, case-insensitive."""
    seen: dict[str, str] = {}
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            for key in json.loads(line)["keyphrases"]:
                key = " ".join(key.split())
                if key:
                    seen.setdefault(key.casefold(), key)
    return list(seen.values())


def encoder_dir(lang: str) -> Path:
    return minilm_dir() if lang == "en" else e5_dir()


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_set(name: str, limit: int | None, systems: tuple[str, ...]) -> dict:
    from keyextract import KeywordExtractor
    from keyextract.evaluation import score

    lang = LANG_OF_SET[name]
    records = read_set(name, limit)
    texts = [r["text"] for r in records]
    golds = [r["keyphrases"] for r in records]
    terms = vocabulary_of(name)
    folder = encoder_dir(lang)
    extractor = KeywordExtractor(model=str(folder), lang=lang, vocabulary=terms)
    cache = Path(tempfile.mkdtemp(prefix="kx-vocab-"))
    os.environ["XDG_CACHE_HOME"] = str(cache)  # a cold cache for this set
    extractor.extract(texts[0], top_n=1)  # loads the encoder
    encoder = next(iter(extractor.encoders_.values()))
    vocabulary = extractor._vocabulary()
    from keyextract.vocabulary import label_vectors

    _, cold = _timed(lambda: label_vectors(vocabulary, encoder, extractor.batch_size, cache=Path("")))
    print(f"{name}: {len(texts)} documents, {len(terms)} terms; label vectors cold {cold:.1f} s", file=sys.stderr)
    out = {"set": name, "lang": lang, "documents": len(texts), "terms": len(terms), "label_vectors_cold_s": round(cold, 2),
           "systems": {}}
    seconds: dict[str, list[float]] = {"floor": []}
    predictions: dict[str, list[list[str]]] = {}
    for _ in range(2):  # alternated, the best of each
        _, t = _timed(lambda: floor_pass(encoder, texts, extractor.batch_size))
        seconds["floor"].append(t)
        result, t = _timed(lambda: extractor.extract_batch(texts, top_n=DEPTH))
        seconds.setdefault("keyextract", []).append(t)
    predictions["keyextract"] = [[k.phrase for k in found] for found in result]
    depth_lists = result
    if "lexical" in systems:
        predictions["lexical"], t = _timed(lambda: run_lexical(extractor, vocabulary, texts))
        seconds["lexical"] = [t]
    if "cosine" in systems:
        predictions["cosine"], t = _timed(lambda: run_cosine(extractor, encoder, vocabulary, texts))
        seconds["cosine"] = [t]
    if "keybert" in systems:
        predictions["keybert"], t = _timed(lambda: run_keybert(folder, terms, texts, lang))
        seconds["keybert"] = [t]
    floor = min(seconds["floor"])
    out["floor_docs_per_s"] = round(len(texts) / floor, 2)
    for system, preds in predictions.items():
        ev = score(preds, golds, [lang] * len(texts), TOP)
        docs_s = len(texts) / min(seconds[system])
        out["systems"][system] = {
            "micro": {k: round(100 * s.f1, 1) for k, s in zip(TOP, ev.micro)},
            "macro": {k: round(100 * s.f1, 1) for k, s in zip(TOP, ev.macro)},
            "docs_per_s": round(docs_s, 2), "x_floor": round(docs_s * floor / len(texts), 2),
        }
        print(f"  {system:10s} micro F1@5 {out['systems'][system]['micro'][5]:5.1f} @10 "
              f"{out['systems'][system]['micro'][10]:5.1f}  {docs_s:6.1f} docs/s ({out['systems'][system]['x_floor']}x floor)",
              file=sys.stderr)
    out["replay"] = replay(depth_lists, golds, lang)
    CAL_DIR.mkdir(parents=True, exist_ok=True)
    with open(CAL_DIR / f"vocabulary_{name}.pkl", "wb") as fh:
        pickle.dump({"set": name, "lang": lang, "documents": _calibration_rows(depth_lists, golds, lang)}, fh)
    return out


def run_lexical(extractor, vocabulary, texts: list[str]) -> list[list[str]]:
    """Terms found in the text, most occurrences first, then earliest first occurrence."""
    out = []
    for text in texts:
        tags = extractor._prepare(text, vocabulary=vocabulary).tags or {}
        ranked = sorted(tags.items(), key=lambda item: (-len(item[1][0]), item[1][1], item[0]))
        out.append([vocabulary.preferred[t] for t, _ in ranked[:DEPTH]])
    return out


def run_cosine(extractor, encoder, vocabulary, texts: list[str]) -> list[list[str]]:
    """Every term by the cosine of its vector to the document's."""
    vectors = extractor._label_vectors(vocabulary, encoder, extractor.batch_size, False)
    docs = np.stack([e.doc_vector for e in encoder.encode(texts, with_tokens=False, batch_size=extractor.batch_size)])
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    sims = docs @ np.asarray(vectors).T
    out = []
    for row in sims:
        top = np.argsort(-row, kind="stable")[: 3 * DEPTH]
        ranked = dict.fromkeys(vocabulary.label_tag[top].tolist())
        out.append([vocabulary.preferred[t] for t in list(ranked)[:DEPTH]])
    return out


def run_keybert(folder: Path, terms: list[str], texts: list[str], lang: str) -> list[list[str]]:
    from keybert import KeyBERT
    from sentence_transformers import SentenceTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    kb = KeyBERT(model=SentenceTransformer(str(folder), device="cpu"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if lang == "zh":  # substrings: CountVectorizer cannot cut Chinese
            lowered = [t.lower() for t in terms]
            found = {text: [t for t in lowered if t in text.lower()] for text in texts}
            vectorizer = CountVectorizer(analyzer=lambda doc: found[doc], lowercase=False)
            docs = [t for t in texts if found[t]]
            res = kb.extract_keywords(docs, vectorizer=vectorizer, top_n=DEPTH) if docs else []
            ranked = dict(zip(docs, [res] if len(docs) == 1 else res))
            return [[p for p, _ in ranked.get(t, [])] for t in texts]
        longest = max(len(t.split()) for t in terms)
        res = kb.extract_keywords(texts, candidates=[t.lower() for t in terms], keyphrase_ngram_range=(1, longest),
                                  stop_words=None, top_n=DEPTH)
        res = [res] if len(texts) == 1 else res
        return [[p for p, _ in r] for r in res]


def _calibration_rows(lists, golds, lang) -> list[dict]:
    from keyextract.evaluation import normalize_phrase

    rows = []
    for found, gold in zip(lists, golds):
        gold_set = {normalize_phrase(g, lang) for g in gold}
        rows.append({
            "parts": [dict(k.parts) for k in found],
            "gold": [normalize_phrase(k.phrase, lang) in gold_set for k in found],
            "n_gold": len(gold_set),
        })
    return rows


def replay(lists, golds, lang) -> dict:
    """Micro F1@5/@10 for each pair of ``ABSENT_PENALTY`` (``PENALTIES``) and ``INSIDE_PENALTY``
    (``INSIDES``), keyed ``"absent/inside"``: each list's top ``DEPTH`` re-sorted with those two
    parts replaced."""
    from keyextract.evaluation import score
    from keyextract.vocabulary import INSIDE_PENALTY

    out = {}
    for penalty in PENALTIES:
        for inside in INSIDES:
            preds = []
            for found in lists:
                rescored = []
                for r, k in enumerate(found):
                    absent, share = k.parts.get("absent", 0.0), -k.parts.get("inside", 0.0) / INSIDE_PENALTY
                    base = k.score - absent - k.parts.get("inside", 0.0)
                    rescored.append((base - (penalty if absent < 0 else 0.0) - inside * share, r, k.phrase))
                preds.append([p for _, _, p in sorted(rescored, key=lambda x: (-x[0], x[1]))])
            ev = score(preds, golds, [lang] * len(lists), TOP)
            out[f"{penalty}/{inside}"] = {k: round(100 * s.f1, 2) for k, s in zip(TOP, ev.micro)}
    return out


def choose_penalty(results: list[dict]) -> dict:
    """Leave one set out: for each set, the pair of penalties (``"absent/inside"``) best on the
    mean micro F1@5 and @10 of the other sets, what it gives on the set left out, and what the
    shipped pair gives there; ``"all sets"``: the pair best on every set."""
    from keyextract.vocabulary import ABSENT_PENALTY, INSIDE_PENALTY

    shipped = f"{ABSENT_PENALTY}/{INSIDE_PENALTY}"
    out = {}
    for held in [*results, None]:
        others = [r for r in results if r is not held]
        if not others or (held is None and len(results) < 2):
            continue
        best = max(results[0]["replay"], key=lambda p: np.mean([r["replay"][p][k] for r in others for k in TOP]))
        if held is None:
            out["all sets"] = {"chosen": best, "f1": {}, "shipped": shipped}
        else:
            out[held["set"]] = {"chosen": best, "f1": held["replay"][best], "shipped_f1": held["replay"].get(shipped, {})}
    return out


# -- scale --------------------------------------------------------------------------------------


def scale_vocabulary(path: Path) -> None:
    """Write 100,000 labels: every dev set's gold keyphrases, then two-word terms of their words."""
    terms: dict[str, str] = {}
    for name in LANG_OF_SET:
        if LANG_OF_SET[name] == "en":
            for t in vocabulary_of(name):
                terms.setdefault(t.casefold(), t)
    words = sorted({w for t in terms.values() for w in t.casefold().split() if w.isalpha() and len(w) > 3})
    rng = random.Random(13)
    while len(terms) < SCALE_LABELS:
        term = f"{rng.choice(words)} {rng.choice(words)}"
        terms.setdefault(term, term)
    path.write_text("\n".join(list(terms.values())[:SCALE_LABELS]) + "\n", encoding="utf-8")


def scale_child(step: str, vocab: str, texts_path: str) -> None:
    """One step of ``--scale`` in this (fresh) process; prints a JSON line."""
    t0 = time.perf_counter()
    from keyextract import KeywordExtractor

    texts = json.loads(Path(texts_path).read_text())
    extractor = KeywordExtractor(model=str(minilm_dir()), lang="en", vocabulary=vocab)
    extractor.extract("Warm up the encoder.", top_n=1) if step == "floor" else None
    result: dict = {"step": step}
    if step == "floor":
        encoder = next(iter(extractor.encoders_.values()))
        _, t = _timed(lambda: floor_pass(encoder, texts, extractor.batch_size))
        result["docs_per_s"] = len(texts) / t
    else:
        _, t = _timed(lambda: extractor.extract(texts[0], top_n=10))
        result["first_document_s"] = round(time.perf_counter() - t0, 2)
        result["first_call_s"] = round(t, 2)
        _, t = _timed(lambda: extractor.extract_batch(texts, top_n=10))
        result["docs_per_s"] = len(texts) / t
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_scale() -> dict:
    work = Path(tempfile.mkdtemp(prefix="kx-scale-"))
    vocab = work / "labels.txt"
    scale_vocabulary(vocab)
    texts = [r["text"] for r in read_set("inspec_dev", 200)]
    (work / "texts.json").write_text(json.dumps(texts))
    env = dict(os.environ, XDG_CACHE_HOME=str(work / "cache"))
    steps = {}
    for step in ("cold", "cached", "floor"):
        proc = subprocess.run([sys.executable, __file__, "--scale-child", step, str(vocab), str(work / "texts.json")],
                              env=env, capture_output=True, text=True, check=True)
        steps[step] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  {step}: {steps[step]}", file=sys.stderr)
    cache_files = list((work / "cache").rglob("*.npy"))
    steps["cache_mb"] = round(sum(f.stat().st_size for f in cache_files) / 2**20, 1)
    steps["labels"] = SCALE_LABELS
    return steps


# -- report -------------------------------------------------------------------------------------


def render(report: dict, command: str) -> str:
    lines = [SECTION, "", f"Command: `{command}` (commit {report['commit']}, {report['threads']} torch threads, "
             f"{report['date']}). Machine shared with other jobs: ratios were measured side by side in one run.", ""]
    lines += ["Closed-vocabulary tagging: the vocabulary is the union of the set's gold keyphrases. Micro F1 (macro in "
              "brackets); docs/s with label vectors cached; x floor = docs/s over the bare encoder pass on the same "
              "documents (the best of two alternated runs).", ""]
    lines += ["| set | docs | terms | system | F1@5 | F1@10 | docs/s | x floor |", "|---|---:|---:|---|---:|---:|---:|---:|"]
    for r in report["sets"]:
        for system, s in r["systems"].items():
            lines.append(f"| {r['set']} | {r['documents']} | {r['terms']} | {system} | {s['micro']['5']} ({s['macro']['5']}) | "
                         f"{s['micro']['10']} ({s['macro']['10']}) | {s['docs_per_s']} | {s['x_floor']} |")
    lines += ["", "F1@5 of keyextract over the best peer:", ""]
    for r in report["sets"]:
        peers = {k: v for k, v in r["systems"].items() if k != "keyextract"}
        if peers:
            best = max(peers, key=lambda k: peers[k]["micro"]["5"])
            ratio = r["systems"]["keyextract"]["micro"]["5"] / max(peers[best]["micro"]["5"], 1e-9)
            lines.append(f"- {r['set']}: {ratio:.2f}x ({best}); label vectors cold: {r['label_vectors_cold_s']} s")
    if report.get("penalty"):
        lines += ["", "`ABSENT_PENALTY`/`INSIDE_PENALTY`, leave one set out: the pair best on the other sets' mean micro "
                  "F1@5 and @10, replayed over each list's top 30, and what it and the shipped pair give on the set "
                  "left out:", "", "| set left out | chosen | F1@5 | F1@10 | shipped: F1@5 | F1@10 |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, c in report["penalty"].items():
            if name == "all sets":
                continue
            lines.append(f"| {name} | {c['chosen']} | {c['f1']['5']} | {c['f1']['10']} | {c['shipped_f1'].get('5', '')} | "
                         f"{c['shipped_f1'].get('10', '')} |")
        if "all sets" in report["penalty"]:
            c = report["penalty"]["all sets"]
            lines += ["", f"Best on all sets: {c['chosen']}; shipped: {c['shipped']}."]
    if report.get("scale"):
        s = report["scale"]
        lines += ["", f"Scale: {s['labels']:,} labels (`--scale`, each step a fresh process, 200 Inspec abstracts):", "",
                  "| step | first document (s, from import) | peak RSS (MB) | docs/s |", "|---|---:|---:|---:|"]
        for step in ("cold", "cached", "floor"):
            row = s[step]
            lines.append(f"| {step} | {row.get('first_document_s', '')} | {row['peak_rss_mb']:.0f} | {row['docs_per_s']:.1f} |")
        lines.append(f"\nLabel-vector cache on disk: {s['cache_mb']} MB.")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Put ``text`` (a section: its first line is its ``## `` title) into BENCHMARKS.md, in
    place of the section of that title, or at the end."""
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8")
    title = text.splitlines()[0]
    if title in doc:
        start = doc.index(title)
        nxt = doc.find("\n## ", start + len(title))
        doc = doc[:start] + text + (doc[nxt + 1 :] if nxt >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    path.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), help="sets to run (none: only --scale)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scale", action="store_true", help="also the 100,000-label run")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--scale-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    if args.scale_child:
        scale_child(*args.scale_child)
        return
    commit = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    report = {"commit": commit, "threads": args.threads, "date": time.strftime("%Y-%m-%d"),
              "sets": [run_set(name, args.limit, tuple(args.systems)) for name in args.sets]}
    report["penalty"] = choose_penalty(report["sets"])
    if args.scale:
        report["scale"] = run_scale()
    for r in report["sets"]:
        r["systems"] = {k: {**v, "micro": {str(a): b for a, b in v["micro"].items()},
                            "macro": {str(a): b for a, b in v["macro"].items()}} for k, v in r["systems"].items()}
        r["replay"] = {p: {str(a): b for a, b in v.items()} for p, v in r["replay"].items()}
    for c in report["penalty"].values():
        c["f1"] = {str(a): b for a, b in c["f1"].items()}
        if "shipped_f1" in c:
            c["shipped_f1"] = {str(a): b for a, b in c["shipped_f1"].items()}
    command = "python bench/vocabulary.py " + " ".join(sys.argv[1:])
    text = render(report, command.strip())
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=1) + "\n")
        write_section(text)


if __name__ == "__main__":
    main()
