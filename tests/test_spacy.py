"""keyextract.spacy: the ``keyextract`` pipeline component on blank English and Chinese pipelines
and a user's own, its config (validation, every extractor option, to_disk / spacy.load), batches
through extract_batch, token-aligned spans, and the spacy_factories entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from keyextract import InputError, KeywordExtractor
from keyextract.spacy import USER_DATA_KEY, KeyphraseComponent

from conftest import ROOT, abstract_texts

ZH_TEXT = "本文研究机器翻译系统的性能评价方法。我们提出一种基于神经网络的机器翻译模型,并在新闻语料上验证了该模型的有效性。"
PT_TEXT = (
    "O presidente da Câmara de Lisboa anunciou hoje um conjunto de medidas para combater a seca. "
    "As medidas incluem restrições à rega de jardins. O presidente da Câmara pediu à população "
    "que poupe água durante a seca."
)
EN = abstract_texts(6)
# different lengths (an abstract, four abstracts in one text, a sentence) and languages
# (English, Chinese, Portuguese), with an empty text and one without candidates
MIXED = [EN[0], ZH_TEXT, " ".join(EN[1:5]), "", PT_TEXT, EN[5][:80], "the of and"]


def as_tuples(keyphrases) -> list[tuple]:
    return [(kp.phrase, kp.score, kp.offsets, kp.parts) for kp in keyphrases]


def assert_same(keyphrases, keywords) -> None:
    """The component's keyphrases are these ``Keyword``s: phrases, order and offsets exactly;
    scores and parts to 1e-5 (the encoder's batches, which differ with the texts batched
    together, may move a vector by float rounding)."""
    assert [(kp.phrase, kp.offsets, list(kp.parts)) for kp in keyphrases] == [(k.phrase, k.spans, list(k.parts)) for k in keywords]
    assert [kp.score for kp in keyphrases] == pytest.approx([k.score for k in keywords], abs=1e-5)
    for kp, k in zip(keyphrases, keywords):
        assert kp.parts == pytest.approx(k.parts, abs=1e-5)


def test_pipe_goes_through_extract_batch_a_batch_at_a_time(en_model_dir) -> None:
    nlp = spacy.blank("en")
    component = nlp.add_pipe("keyextract", config={"model": en_model_dir, "top_n": 4})
    assert isinstance(component, KeyphraseComponent) and nlp.pipe_names == ["keyextract"]
    batches = []
    extract_batch = component.extractor.extract_batch

    def spy(texts, **kwargs):
        batches.append(list(texts))
        return extract_batch(texts, **kwargs)

    component.extractor.extract_batch = spy
    docs = list(nlp.pipe(MIXED, batch_size=3))
    assert batches == [MIXED[0:3], MIXED[3:6], MIXED[6:7]]
    # every document its own keyphrases: those of one extract_batch call over all the texts
    expected = KeywordExtractor(en_model_dir).extract_batch(MIXED, top_n=4)
    for doc, keywords in zip(docs, expected):
        assert_same(doc._.keyphrases, keywords)
    assert [len(doc._.keyphrases) for doc in docs] == [4, 4, 4, 0, 4, 4, 0]
    assert len({tuple(kp.phrase for kp in doc._.keyphrases) for doc in docs if doc._.keyphrases}) == 5
    # nlp(text) alone: the same
    assert_same(nlp(MIXED[2])._.keyphrases, expected[2])
    assert batches[-1] == [MIXED[2]]


def test_spans_cover_the_tokens_of_each_occurrence(en_model_dir) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("keyextract", config={"model": en_model_dir, "top_n": 10})
    doc = nlp(EN[0])
    assert len(doc._.keyphrases) == 10
    for kp in doc._.keyphrases:
        assert len(kp.spans) == len(kp.offsets) >= 1
        # English on spaCy's English tokenizer: each span is the occurrence exactly
        assert [(s.start_char, s.end_char) for s in kp.spans] == list(kp.offsets)
        assert all(s.doc is doc for s in kp.spans)
    # Chinese in an English pipeline: spaCy's token runs to the comma; the span expands to it
    doc = nlp(ZH_TEXT)
    first_clause = doc[0]
    assert first_clause.text == ZH_TEXT[: ZH_TEXT.index(",")]
    for kp in doc._.keyphrases:
        for span, (start, end) in zip(kp.spans, kp.offsets):
            assert span.start_char <= start < end <= span.end_char and ZH_TEXT[start:end] == kp.phrase
    machine_translation = next(kp for kp in doc._.keyphrases if kp.phrase == "机器翻译")
    assert machine_translation.offsets == ((4, 8), (31, 35))
    assert [s.text for s in machine_translation.spans] == [first_clause.text, first_clause.text]


def test_alignment_expands_to_whole_tokens() -> None:
    """A user's tokenizer that splits on spaces only: the span of "neural networks" (characters
    4-19) is the tokens "neural networks," and its offsets stay exact."""
    nlp = spacy.blank("en")
    nlp.add_pipe("keyextract")  # sets the extension; nothing is loaded
    words = "Deep neural networks, graph-kernels and SVMs.".split(" ")
    doc = Doc(nlp.vocab, words=words)
    doc.user_data[USER_DATA_KEY] = [
        {"phrase": "neural networks", "score": 0.5, "spans": [[5, 20]], "parts": {"similarity": 0.5}},
        {"phrase": "kernels", "score": 0.25, "spans": [[28, 35]], "parts": {"similarity": 0.25}, "confidence": 0.75},
    ]
    networks, kernels = doc._.keyphrases
    assert [s.text for s in networks.spans] == ["neural networks,"] and networks.spans[0].start == 1
    assert networks.offsets == ((5, 20),) and doc.text[5:20] == "neural networks"
    assert (networks.phrase, networks.score, networks.parts, networks.confidence) == ("neural networks", 0.5, {"similarity": 0.5}, None)
    assert [s.text for s in kernels.spans] == ["graph-kernels"] and kernels.confidence == 0.75


def test_blank_chinese_pipeline(zh_model_dir) -> None:
    nlp = spacy.blank("zh")  # one token a character: every occurrence falls on token boundaries
    nlp.add_pipe("keyextract", config={"model": zh_model_dir, "top_n": 5})
    doc = nlp(ZH_TEXT)
    expected = KeywordExtractor(zh_model_dir).extract(ZH_TEXT, top_n=5)
    assert_same(doc._.keyphrases, expected)
    assert len(expected) == 5
    for kp in doc._.keyphrases:
        assert [s.text for s in kp.spans] == [kp.phrase] * len(kp.offsets)
        assert [(s.start, s.end) for s in kp.spans] == list(kp.offsets)  # token i is character i


@Language.component("test_every_token_a_verb")
def every_token_a_verb(doc: Doc) -> Doc:
    for token in doc:
        token.pos_, token.tag_ = "VERB", "VB"
    return doc


def test_the_pipelines_tags_are_not_read(en_model_dir) -> None:
    """A user's pipeline (sentences, entities, its own tags) gives the keyphrases of the blank one:
    keyextract tags the text itself."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "ORG", "pattern": "Lisbon"}])
    nlp.add_pipe("test_every_token_a_verb")
    nlp.add_pipe("keyextract", config={"model": en_model_dir, "top_n": 6})
    assert nlp.pipe_names == ["sentencizer", "entity_ruler", "test_every_token_a_verb", "keyextract"]
    docs = list(nlp.pipe(EN[:3]))
    assert {t.pos_ for t in docs[0]} == {"VERB"}
    expected = KeywordExtractor(en_model_dir).extract_batch(EN[:3], top_n=6)
    for doc, keywords in zip(docs, expected):
        assert_same(doc._.keyphrases, keywords)
    assert all(len(d._.keyphrases) == 6 for d in docs)


def test_config_takes_every_extractor_option() -> None:
    """The config's options are top_n and every keyword parameter of KeywordExtractor with its
    default, read from the installed version's signature (an option added there is one here)."""
    import inspect

    meta = Language.get_factory_meta("keyextract")
    params = list(inspect.signature(KeywordExtractor.__init__).parameters.values())[1:]
    assert meta.default_config == {"top_n": 5, **{p.name: p.default for p in params}}
    assert meta.assigns == ["doc._.keyphrases"]
    nlp = spacy.blank("en")
    options = {"mode": "context", "max_words": 2, "stopwords": ["graph"], "diversity": 0.5, "batch_size": 4}
    component = nlp.add_pipe("keyextract", config={"top_n": 3, **options})
    assert component.top_n == 3
    assert {name: getattr(component.extractor, name) for name in options} == options


@pytest.mark.parametrize(
    "config, message",
    [
        ({"mdoe": "context"}, "keyextract -> mdoe\tunexpected argument: 'mdoe'"),
        ({"top_n": "five"}, "keyextract -> top_n\tat root: 'five' is not <class 'int'>"),
        ({"model": 5}, "keyextract -> model\tat root: 5 is not <class 'str'>"),
        ({"keep_nested": "no"}, "keyextract -> keep_nested\tat root: 'no' is not <class 'bool'>"),
        ({"diversity": "0.5"}, "keyextract component: diversity must be a number, got '0.5'"),
        ({"diversity": 2.0}, "keyextract component: diversity must be in [0, 1], got 2.0"),
        ({"mode": "fast"}, "keyextract component: mode must be one of ('mapped', 'context', 'isolated'), got 'fast'"),
        ({"top_n": 0}, "keyextract component: top_n must be an integer >= 1, got 0"),
        ({"lang": "xx"}, "keyextract component: lang must be one of: auto, en, zh, af, ar, bg, bn, br, ca"),
    ],
)
def test_bad_config_names_the_option(config, message) -> None:
    nlp = spacy.blank("en")
    with pytest.raises(ValueError) as caught:
        nlp.add_pipe("keyextract", config=config)
    assert message in str(caught.value)
    assert nlp.pipe_names == []


def test_unreadable_user_dictionary_fails_when_added(tmp_path) -> None:
    with pytest.raises(InputError, match="missing.txt"):
        spacy.blank("zh").add_pipe("keyextract", config={"user_dict": str(tmp_path / "missing.txt")})


def test_to_disk_and_load_round_trip_the_config(en_model_dir, tmp_path) -> None:
    nlp = spacy.blank("en")
    config = {"model": en_model_dir, "top_n": 3, "mode": "context", "stopwords": ["graph"], "max_words": 2}
    nlp.add_pipe("keyextract", config=config)
    before = nlp(EN[1])._.keyphrases
    nlp.to_disk(tmp_path / "pipeline")
    # the config only: no folder of the component's, no weights
    assert sorted(os.listdir(tmp_path / "pipeline")) == ["config.cfg", "meta.json", "tokenizer", "vocab"]
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names == ["keyextract"]
    assert loaded.config["components"]["keyextract"] == nlp.config["components"]["keyextract"]
    component = loaded.get_pipe("keyextract")
    assert component.top_n == 3
    assert {name: getattr(component.extractor, name) for name in config if name != "top_n"} == {
        name: value for name, value in config.items() if name != "top_n"
    }
    assert as_tuples(loaded(EN[1])._.keyphrases) == as_tuples(before) and len(before) == 3


def test_keyphrases_travel_with_the_doc(en_model_dir) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("keyextract", config={"model": en_model_dir, "top_n": 4})
    doc = nlp(EN[2])
    copy = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert as_tuples(copy._.keyphrases) == as_tuples(doc._.keyphrases) and len(doc._.keyphrases) == 4
    assert [[s.text for s in kp.spans] for kp in copy._.keyphrases] == [[s.text for s in kp.spans] for kp in doc._.keyphrases]
    (from_bin,) = DocBin(docs=[doc], store_user_data=True).from_bytes(DocBin(docs=[doc], store_user_data=True).to_bytes()).get_docs(nlp.vocab)
    assert as_tuples(from_bin._.keyphrases) == as_tuples(doc._.keyphrases)
    # a document the component has not processed
    assert spacy.blank("en")("Some text.")._.keyphrases is None


def test_the_entry_point_registers_the_factory(tmp_path) -> None:
    """A new process sees keyextract only as an installed distribution whose entry points are
    pyproject.toml's (a .dist-info written here, first on the path): spacy.blank and spacy.load
    find the component without an import of keyextract."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    factories = project["entry-points"]["spacy_factories"]
    assert factories == {"keyextract": "keyextract.spacy:make_keyextract"}
    info = tmp_path / "site" / f"keyextract-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: keyextract\nVersion: {project['version']}\n")
    (info / "entry_points.txt").write_text(
        "[spacy_factories]\n" + "".join(f"{name} = {target}\n" for name, target in factories.items())
    )
    nlp = spacy.blank("en")
    nlp.add_pipe("keyextract", config={"top_n": 7, "mode": "context"})
    nlp.to_disk(tmp_path / "pipeline")
    script = (
        "import json, sys, spacy\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] == 'keyextract')\n"
        "nlp = spacy.blank('en')\n"
        "component = nlp.add_pipe('keyextract', config={'top_n': 2})\n"
        f"loaded = spacy.load({str(tmp_path / 'pipeline')!r}).get_pipe('keyextract')\n"
        "print(json.dumps([before, type(component).__module__, component.top_n, loaded.top_n, loaded.extractor.mode]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [[], "keyextract.spacy", 2, 7, "context"]
