"""Build keyextract's shipped English POS tagger weights from NLTK's data, and check them.

    python bench/tagger_weights.py              # writes data/tagger/en_perceptron.npz
    python bench/tagger_weights.py --check      # tags of every English dev text == NLTK's

The source is NLTK's ``averaged_perceptron_tagger_eng`` (``weights.json``, ``classes.json``,
``tagdict.json``; by default from ``../shared/nltk_data/taggers/``, or ``--source DIR``): the
averaged perceptron of Matthew Honnibal's textblob-aptagger (MIT License, see
``data/tagger/LICENSE``), trained on the Wall Street Journal part of the Penn Treebank.

NLTK stores every weight rounded to 3 decimals (``AveragedPerceptron.average_weights``), so
the weights are kept exactly as integers x1000 (``int32``), sparse: per feature (sorted by name)
the number of classes with a non-zero weight, their class indices and values. Feature names,
classes and the tag dictionary are newline-joined UTF-8 string tables. ``numpy.savez_compressed``
brings 5.7 MB of JSON to under 1 MB. ``keyextract.segmentation`` divides by 1000 in float64,
which gives back NLTK's own floats bit for bit, and sums them in NLTK's order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEFAULT_SOURCE = SHARED / "nltk_data" / "taggers" / "averaged_perceptron_tagger_eng"
TARGET = ROOT / "data" / "tagger" / "en_perceptron.npz"
ENGLISH_SETS = ("inspec_dev", "kdd_withabstract", "www_withabstract", "500n_kpcrowd", "semeval2010_train", "nguyen2007")


def _table(strings: list[str]) -> np.ndarray:
    text = "\n".join(strings)
    if any("\n" in s for s in strings):
        raise ValueError("a string of the table contains a newline")
    return np.frombuffer(text.encode("utf-8"), np.uint8)


def build(source: Path, target: Path) -> None:
    prefix = source / "averaged_perceptron_tagger_eng."
    weights = json.loads((Path(f"{prefix}weights.json")).read_text(encoding="utf-8"))
    classes = sorted(json.loads(Path(f"{prefix}classes.json").read_text(encoding="utf-8")))
    tagdict = json.loads(Path(f"{prefix}tagdict.json").read_text(encoding="utf-8"))
    column = {label: j for j, label in enumerate(classes)}
    features = sorted(weights)
    counts, columns, values = [], [], []
    for feat in features:
        row = sorted((column[label], w) for label, w in weights[feat].items() if w != 0)
        counts.append(len(row))
        for j, w in row:
            scaled = round(w * 1000)
            if scaled / 1000 != w:
                raise ValueError(f"weight {w!r} of {feat!r} has more than 3 decimals")
            columns.append(j)
            values.append(scaled)
    words = sorted(tagdict)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        target,
        features=_table(features),
        counts=np.array(counts, np.uint8),
        columns=np.array(columns, np.uint8),
        weights=np.array(values, np.int32),
        classes=_table(classes),
        tagdict_words=_table(words),
        tagdict_tags=np.array([column[tagdict[w]] for w in words], np.uint8),
    )
    print(f"{target}: {len(features)} features, {len(values)} weights, {len(classes)} classes, "
          f"{len(words)} tag dictionary words, {target.stat().st_size:,} bytes")


def check(source: Path) -> int:
    """Tag every English dev text (keyextract's tokens and sentences) with NLTK and with ours."""
    from nltk.tag.perceptron import PerceptronTagger

    sys.path.insert(0, str(ROOT))
    from keyextract import segmentation

    nltk_tagger = PerceptronTagger(load=False)
    nltk_tagger.load_from_json(loc=str(source))
    ours = segmentation.english_tagger()
    tokens = differ = 0
    started = time.perf_counter()
    for name in ENGLISH_SETS:
        with open(SHARED / "data" / "dev" / f"{name}.jsonl", encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for line in fh]
        for text in texts:
            sentences = segmentation.tagging_sentences(text)
            expected = nltk_tagger.tag_sents(sentences)
            got = ours.tag_sents(sentences)
            for a, b in zip(expected, got):
                tokens += len(a)
                differ += sum(x != y for x, y in zip(a, b))
        print(f"{name}: {len(texts)} texts, {tokens:,} tokens so far, {differ} tags differ", flush=True)
    print(f"all English dev texts: {tokens:,} tokens, {differ} tags differ ({time.perf_counter() - started:.0f} s)")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="NLTK's averaged_perceptron_tagger_eng folder")
    parser.add_argument("--check", action="store_true", help="compare with NLTK's tags on every English dev text")
    args = parser.parse_args()
    if args.check:
        return check(args.source)
    build(args.source, TARGET)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
    sys.exit(main())
