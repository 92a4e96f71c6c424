"""Per-candidate features of every dev set, computed once and cached, for replaying the ranking.

    python bench/features.py                       # every set in full (papers: see PAPER_LIMITS)
    python bench/features.py --sets inspec_dev --limit 50 --out /tmp/features

For each document of a set this runs keyextract's own stages (``KeywordExtractor._prepare``: markup,
language, segmentation, candidates) and its encoder's document pass (in-context phrase vectors
and the last-layer attention, ``Encoder.encode(spans=...)``), encodes *every* candidate alone
(``Encoder.embed``, what ``exhaustive=True`` does), and stores per candidate what the ranking
and a learned ranker can use:

- ``sim_context`` / ``sim_isolated``: cosine to the document vector of the in-context and of the
  isolated phrase vector;
- ``first``, ``last``: index of the first word of its first and last occurrence; ``count``;
- ``attention``: last-layer attention its tokens receive, summed over occurrences (SAMRank);
- ``specificity`` (Chinese), ``words`` (length in words; Chinese: jieba words),
  ``groups`` (the English noun-phrase contests it enters), ``spans``;
- English: the Penn Treebank tags of its first occurrence (``tags``);
- ``gold``: whether the phrase matches a gold keyphrase by the evaluation's normalisation.

and per document the number of tokens, the first line's token count, and the gold list. The
ranking is then replayed offline from these arrays (``bench/defaults.py``), without encoding
again. Output: ``<out>/<set>.pkl`` (``--out``, default ``bench/.cache/features/<commit>``, the
commit of ``keyextract/`` and ``data/`` it was computed with): the documents' features and the
commit.
"""

from __future__ import annotations

import argparse
import bisect
import pickle
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from quality import LANG_OF_SET, e5_dir, minilm_dir, read_set

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "features"
# Long papers: the first N of each set (all of them take hours with every candidate encoded
# alone on one core; these are fixed samples, the same in every run).
PAPER_LIMITS = {"semeval2010_train": 60, "nguyen2007": 80}
CHUNK = 16  # documents per document pass


def source_revision() -> str:
    """The commit of keyextract/ and data/, with ``+dirty`` when they have uncommitted changes."""
    rev = subprocess.run(["git", "log", "-1", "--format=%h", "--", "keyextract", "data"], cwd=ROOT,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "keyextract", "data"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return rev + ("+dirty" if dirty else "")


def _tags_of(tokens, spans) -> list[list[str]]:
    """Penn Treebank tags of the tokens inside each span's first occurrence."""
    starts = [t.start for t in tokens]
    out = []
    for s, e in spans:
        i = bisect.bisect_left(starts, s)
        tags = []
        while i < len(tokens) and tokens[i].end <= e:
            tags.append(tokens[i].pos or "")
            i += 1
        out.append(tags)
    return out


def _static_vectors(encoder, phrases: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean input (word-piece) embedding of each phrase's tokens, and its token count: a phrase
    vector that no context touches, for fitting ``keyextract.phrasemap`` variants."""
    table = encoder.model.get_input_embeddings().weight.detach().cpu().numpy()
    ids = encoder.tokenizer(list(phrases), add_special_tokens=False)["input_ids"]
    return (np.stack([table[i].mean(axis=0) if i else np.zeros(table.shape[1], np.float32) for i in ids]),
            np.array([len(i) for i in ids], np.int64))


def document_features(extractor, encoder, docs, records, vectors: bool = False) -> list[dict]:
    """Features of each prepared document of one chunk (see the module docstring); with
    ``vectors``, also each candidate's in-context (``ctx``), isolated (``iso``) and static
    (``static``, ``_static_vectors``) vectors and its token count, and the document vector."""
    from keyextract.evaluation import normalize_phrase
    from keyextract.ranking import cosines
    from keyextract.segmentation import segment

    encoded = encoder.encode([d.text for d in docs], False, extractor.batch_size,
                             spans=[[c.spans for c in d.candidates] for d in docs], attention=True)
    out = []
    for doc, enc, record in zip(docs, encoded, records):
        cands = doc.candidates
        phrases = [c.phrase for c in cands]
        isolated = encoder.embed(phrases, extractor.batch_size)
        tokens = segment(doc.text, doc.lang if doc.lang in ("en", "zh") else doc.lang)
        starts = [t.start for t in tokens]
        first_line_end = doc.text.find("\n")
        title_tokens = bisect.bisect_left(starts, first_line_end) if first_line_end >= 0 else 0
        gold = {normalize_phrase(g, doc.lang) for g in record["keyphrases"]}
        gold.discard("")
        first_spans = [c.spans[0] for c in cands]
        last_spans = [c.spans[len(c.spans) - 1] for c in cands]
        tags = _tags_of(tokens, first_spans) if doc.lang in ("en", "zh") else [[] for _ in cands]
        if doc.lang == "zh":
            words = np.array([max(len(t), 1) for t in tags])
        else:
            words = np.array([len(c.key.split()) for c in cands])
        pooled = enc.pooled if enc.found.all() else np.where(enc.found[:, None], enc.pooled, 0)
        out.append({
            "id": record.get("id"),
            "lang": doc.lang,
            "n_tokens": len(tokens),
            "title_tokens": title_tokens,
            "gold": list(record["keyphrases"]),
            "phrases": phrases,
            "keys": [c.key for c in cands],
            "sim_context": cosines(pooled, enc.doc_vector).astype(np.float32),
            "sim_isolated": cosines(isolated, enc.doc_vector).astype(np.float32),
            "found": np.asarray(enc.found, bool),
            "first": np.array([c.first_token for c in cands], np.int64),
            "last": np.array([bisect.bisect_left(starts, s) for s, _ in last_spans], np.int64),
            "count": np.array([len(c.spans) for c in cands], np.int64),
            "attention": np.asarray(enc.pooled_attention if enc.pooled_attention is not None
                                    else np.zeros(len(cands)), np.float64),
            "specificity": np.array([c.specificity for c in cands], np.float64),
            "words": words,
            "groups": [c.groups.array.copy() for c in cands],
            "spans": [c.spans.array.copy() for c in cands],
            "tags": tags,
            "is_gold": np.array([normalize_phrase(p, doc.lang) in gold for p in phrases], bool),
            "free": np.array([getattr(c, "free", False) for c in cands], bool),
        })
        if vectors:
            static, n_pieces = _static_vectors(encoder, phrases)
            out[-1].update(ctx=pooled.astype(np.float16), iso=isolated.astype(np.float16),
                           static=static.astype(np.float16), pieces=n_pieces,
                           doc=np.asarray(enc.doc_vector, np.float32))
    return out


def _with_word_subspans(free: bool) -> None:
    """Experiment: English noun phrases also propose each of their nouns alone, contending in
    the phrase (``free=False``) or as candidates of their own, outside contests (``free=True``;
    marked by ``Candidate.free`` for the replay)."""
    from keyextract import candidates as module

    original = module._phrases_in_run

    def phrases(run, roles, max_words):
        found = list(original(run, roles, max_words))
        if roles and roles[0] not in ("word",) and run[0].script != "zh" and not free:
            singles = {(i, i + 1) for i, role in enumerate(roles) if role == "noun"}
            found += sorted(singles - set(found))
        return found

    module._phrases_in_run = phrases
    if not free:
        return
    extract = module.extract_candidates

    def extract_candidates(text, tokens, stopwords, max_words=3):
        from dataclasses import replace

        from keyextract.types import Spans

        found = extract(text, tokens, stopwords, max_words)
        by_key = {c.key: k for k, c in enumerate(found)}
        extra: dict[str, list] = {}
        for run_start, run, roles in module._runs(tokens, stopwords):
            if roles[0] == "word" or run[0].script == "zh" or len(run) == 1:
                continue
            for i, role in enumerate(roles):
                if role == "noun":
                    key = module._phrase_key(text, run[i : i + 1])
                    extra.setdefault(key, []).append((run[i].start, run[i].end, run_start + i, run[i].text))
        out = list(found)
        for key, occ in extra.items():
            if key in by_key:
                c = out[by_key[key]]
                spans = sorted(set(map(tuple, c.spans.array.tolist())) | {(s, e) for s, e, _, _ in occ})
                out[by_key[key]] = replace(c, spans=Spans(spans), first_token=min(c.first_token, min(o[2] for o in occ)))
                out[by_key[key]].free = True
            else:
                c = module.Candidate(occ[0][3], key, Spans(sorted({(s, e) for s, e, _, _ in occ})), occ[0][2])
                c.free = True
                out.append(c)
        out.sort(key=lambda c: c.spans[0])
        return out

    module.extract_candidates = extract_candidates
    import keyextract.extractor as ex

    ex.extract_candidates = extract_candidates


def compute(name: str, limit: int | None, threads: int, vectors: bool = False, encoder_name: str | None = None) -> list[dict | None]:
    """Features of the first ``limit`` documents of set ``name`` (None for a document without candidates)."""
    import torch
    from keyextract import KeywordExtractor

    torch.set_num_threads(threads)
    lang = LANG_OF_SET[name]
    model = str(minilm_dir() if (encoder_name or ("minilm" if lang == "en" else "e5")) == "minilm" else e5_dir())
    extractor = KeywordExtractor(model, lang=lang, device="cpu")
    records = read_set(name, limit)
    extractor.extract(records[0]["text"][:300])  # loads the encoder
    features: list[dict | None] = []
    started = time.perf_counter()
    for b in range(0, len(records), CHUNK):
        chunk = records[b : b + CHUNK]
        prepared = [extractor._prepare(r["text"]) for r in chunk]
        with_cands = [(p, r) for p, r in zip(prepared, chunk) if p.candidates]
        encoder = extractor._encoder(model, lang)
        done = iter(document_features(extractor, encoder, [p for p, _ in with_cands], [r for _, r in with_cands], vectors)
                    if with_cands else [])
        features.extend(next(done) if p.candidates else None for p in prepared)
        print(f"  {name}: {b + len(chunk)}/{len(records)} documents, {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    return features


def cache_path(folder: Path, name: str, variant: str | None = None) -> Path:
    return folder / (f"{name}.pkl" if not variant else f"{name}.{variant}.pkl")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(LANG_OF_SET), help="comma-separated dev sets (default all)")
    parser.add_argument("--limit", type=int, help="first N documents of every set (default: all; papers PAPER_LIMITS)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--variant", choices=("words-contend", "words-free"), help="experimental candidates")
    parser.add_argument("--vectors", action="store_true",
                        help="also store the phrase and document vectors (for bench/phrase_map.py); file <set>.vectors.pkl")
    parser.add_argument("--encoder", choices=("minilm", "e5"),
                        help="encoder of every set (default: all-MiniLM-L6-v2 for English, multilingual-e5-small otherwise)")
    parser.add_argument("--out", type=Path, help="folder to write (default bench/.cache/features/<commit>)")
    args = parser.parse_args(argv)
    revision = source_revision()
    out = args.out or CACHE / revision
    out.mkdir(parents=True, exist_ok=True)
    if args.variant:
        _with_word_subspans(args.variant == "words-free")
        revision += "+" + args.variant
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        limit = args.limit or PAPER_LIMITS.get(name)
        started = time.perf_counter()
        docs = compute(name, limit, args.threads, args.vectors, args.encoder)
        variant = "+".join(v for v in (args.variant, "vectors" if args.vectors else None) if v) or None
        with open(cache_path(out, name, variant), "wb") as fh:
            encoder = args.encoder or ("minilm" if LANG_OF_SET[name] == "en" else "e5")
            pickle.dump({"revision": revision, "limit": limit, "docs": docs, "encoder": encoder}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        print(f"{name}: {len(docs)} documents in {time.perf_counter() - started:.0f} s (keyextract {revision})",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
