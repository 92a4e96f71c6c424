"""A controlled vocabulary (keyextract.vocabulary): reading it, matching labels, ranking tags,
the label-vector cache, and the options built on the same machinery (candidates=)."""

from __future__ import annotations

import numpy as np
import pytest

from keyextract import InputError, KeywordExtractor
from keyextract.segmentation import segment
from keyextract.vocabulary import ABSENT_PENALTY, LabelIndex, label_units, label_vectors, load_vocabulary

TEXT = (
    "Coral reefs and ocean warming.\n\n"
    "Marine heatwaves cause coral bleaching on shallow reefs. The privacy-preserving sensor networks "
    "record water temperature, and coral bleaching follows each heatwave."
)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Label vectors cached in this test's own folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def write(path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- reading ------------------------------------------------------------------------------------


def test_a_list_of_terms_is_its_own_ids():
    v = load_vocabulary(["coral bleaching", " ocean warming ", ""])
    assert (v.ids, v.preferred, v.labels, v.label_tag.tolist(), v.label_line) == (
        ("coral bleaching", "ocean warming"), ("coral bleaching", "ocean warming"),
        ("coral bleaching", "ocean warming"), [0, 1], (1, 2),
    )


def test_a_tsv_file_has_ids_preferred_and_alternative_labels(tmp_path):
    path = write(tmp_path / "thesaurus.tsv", "C1\tcoral bleaching\tcoral whitening\n\nC2\tocean warming\tmarine heatwave\tsea warming\n")
    v = load_vocabulary(path)
    assert v.ids == ("C1", "C2")
    assert v.preferred == ("coral bleaching", "ocean warming")
    assert v.labels == ("coral bleaching", "ocean warming", "coral whitening", "marine heatwave", "sea warming")
    assert v.label_tag.tolist() == [0, 1, 0, 1, 1]
    assert v.label_line == (1, 3, 1, 3, 3)
    assert v.labels_of(1).tolist() == [1, 3, 4]


def test_a_file_of_terms(tmp_path):
    v = load_vocabulary(write(tmp_path / "terms.txt", "coral bleaching\nocean warming\n"))
    assert v.ids == ("coral bleaching", "ocean warming") and v.source == str(tmp_path / "terms.txt")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("\n \n", "{f}: empty vocabulary (no terms)"),
        ("C1\tcoral\nC2\treef\nC1\tocean\n", "{f}:3: duplicate id 'C1' (first on line 1)"),
        ("C1\tcoral\nreef\n", "{f}:2: malformed TSV line: expected 'id<TAB>preferred label', got no tab"),
        ("C1\tcoral\n\treef\n", "{f}:2: malformed TSV line: empty id"),
        ("C1\tcoral\nC2\t \n", "{f}:2: malformed TSV line: empty preferred label for id 'C2'"),
        ("coral\nreef\ncoral\n", "{f}:3: duplicate term 'coral' (first on line 1)"),
    ],
)
def test_bad_vocabulary_files_name_the_file_and_line(tmp_path, content, message):
    path = write(tmp_path / "v.tsv", content)
    with pytest.raises(InputError) as info:
        load_vocabulary(path)
    assert str(info.value) == message.format(f=path)


def test_unreadable_and_undecodable_vocabularies(tmp_path):
    with pytest.raises(InputError, match=r"^vocabulary .*missing\.txt: no such file$"):
        load_vocabulary(tmp_path / "missing.txt")
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_vocabulary(path)
    assert str(info.value) == f"vocabulary {path}: not UTF-8 text (invalid continuation byte at byte 3)"
    with pytest.raises(InputError, match=r"^vocabulary item 2: a term must be a str, got int$"):
        load_vocabulary(["coral", 7])
    with pytest.raises(InputError, match=r"^vocabulary list: empty vocabulary \(no terms\)$"):
        load_vocabulary([])


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "lang", "units"),
    [
        ("Neural Networks", "en", ("neural", "network")),
        ("privacy-preserving data mining", "en", ("privacy", "-", "preserving", "data", "mining")),
        ("臺灣半導體", "zh", ("台", "湾", "半", "导", "体")),
        ("python调用", "zh", ("python", "调", "用")),
        ("éoliennes offshore", "fr", ("éolien", "offshor")),
    ],
)
def test_label_units(label, lang, units):
    assert label_units(label, lang) == units


def test_labels_match_across_case_inflection_hyphens_and_script():
    v = load_vocabulary(["neural network", "privacy", "Python", "sensor network"])
    text = "The privacy-preserving Neural Networks of Python code."
    found = v.index("en").find(segment(text, "en"))
    assert {v.labels[k]: spans for k, (spans, _) in found.items()} == {
        "privacy": [(4, 11)], "neural network": [(23, 38)], "Python": [(42, 48)],
    }


def test_an_acronym_label_matches_capitals_only():
    v = load_vocabulary(["IT", "IT governance", "fcc"])
    text = "IT governance matters; it is what the FCC wants from IT."
    found = v.index("en").find(segment(text, "en"))
    assert {v.labels[k]: spans for k, (spans, _) in found.items()} == {
        "IT": [(0, 2), (53, 55)], "IT governance": [(0, 13)], "fcc": [(38, 41)],
    }


def test_chinese_labels_match_whole_words_in_simplified_form():
    v = load_vocabulary(["国家", "家庭", "半导体"])
    text = "美国家庭的收入。臺灣半導體產業很強。"
    found = v.index("zh").find(segment(text, "zh"))
    # 国家 lies across 美国|家庭: not found; 半導體 is found as 半导体
    assert {v.labels[k]: (spans, first) for k, (spans, first) in found.items()} == {
        "家庭": ([(2, 4)], 1), "半导体": ([(10, 13)], 6),
    }


# --- ranking tags -------------------------------------------------------------------------------


def test_tags_present_and_absent_are_ranked_together(en_model_dir, tmp_path):
    path = write(tmp_path / "thesaurus.tsv", (
        "C1\tcoral bleaching\n"
        "C2\tocean warming\tmarine heatwave\n"
        "C3\tsensor network\n"
        "C4\tbread baking\n"
        "C5\tvolcanic ash\n"
    ))
    extractor = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=path)
    tags = extractor.extract(TEXT, top_n=5)
    assert sorted(t.id for t in tags) == ["C1", "C2", "C3", "C4", "C5"]
    by_id = {t.id: t for t in tags}
    assert by_id["C1"].phrase == "coral bleaching" and by_id["C1"].spans == ((55, 70), (158, 173))
    # found through its preferred label and its alternative one ("heatwaves" is a plural of "heatwave")
    assert by_id["C2"].phrase == "ocean warming" and by_id["C2"].spans == ((16, 29), (32, 48))
    assert by_id["C3"].spans == ((112, 127),)
    for absent in ("C4", "C5"):
        assert by_id[absent].spans == () and by_id[absent].parts["absent"] == -ABSENT_PENALTY
        assert by_id[absent].parts["position"] == by_id[absent].parts["frequency"] == 0.0
    for present in ("C1", "C2", "C3"):
        assert by_id[present].parts["absent"] == 0.0 and by_id[present].parts["position"] > 0
    assert list(tags[0].parts) == ["similarity", "position", "frequency", "attention", "absent", "inside"]
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)
    for t in tags:
        assert abs(sum(t.parts.values()) - t.score) < 1e-5 and 0.0 <= t.confidence <= 1.0
        assert t.to_dict()["id"] == t.id


def test_label_vectors_are_cached_on_disk_and_memory_mapped(en_model_dir, tmp_path):
    terms = ["coral bleaching", "ocean warming", "sensor network"]
    extractor = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=terms)
    first = extractor.extract(TEXT, top_n=3)
    files = list((tmp_path / "xdg" / "keyextract" / "vocabulary").glob("*.npy"))
    assert len(files) == 1
    encoder = next(iter(extractor.encoders_.values()))
    cached = label_vectors(load_vocabulary(terms), encoder)
    assert isinstance(cached, np.memmap) and cached.shape == (3, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(cached, axis=1), 1.0, rtol=1e-5)
    again = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=terms).extract(TEXT, top_n=3)
    assert [(k.id, k.score) for k in again] == [(k.id, k.score) for k in first]
    # other labels, another file
    KeywordExtractor(model=en_model_dir, lang="en", vocabulary=terms + ["reef"]).extract(TEXT, top_n=3)
    assert len(list(files[0].parent.glob("*.npy"))) == 2
    # the match index is kept beside them, and read back as it was built
    (index_file,) = files[0].parent.glob(f"index-en-{load_vocabulary(terms).digest()[:24]}.json")
    read = LabelIndex.read(index_file, "en")
    built = LabelIndex(terms, "en")
    assert (read.table, read.prefixes, read.acronyms) == (built.table, built.prefixes, built.acronyms)
    # candidates= lists leave nothing on disk
    before = sorted(files[0].parent.iterdir())
    KeywordExtractor(model=en_model_dir, lang="en").extract(TEXT, candidates=["ocean", "marine heatwaves"])
    assert sorted(files[0].parent.iterdir()) == before


def test_a_label_longer_than_the_window_names_its_line(en_model_dir, tmp_path):
    path = write(tmp_path / "long.txt", "coral bleaching\n" + " ".join(["reef"] * 80) + "\n")
    extractor = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=path)
    with pytest.raises(InputError) as info:
        extractor.extract(TEXT)
    assert str(info.value) == f"{path}:2: label 'reef reef reef reef reef reef reef reef reef reef reef reef ' is 160 tokens, longer than the encoder's window (62 tokens)"


def test_a_document_without_text_gets_no_tags(en_model_dir):
    extractor = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=["coral"])
    assert extractor.extract_batch(["", "  \n"]) == [[], []]


# --- candidates= ----------------------------------------------------------------------------------


def test_candidates_rank_the_callers_phrases_only(en_model_dir):
    extractor = KeywordExtractor(model=en_model_dir, lang="en")
    docs = [TEXT, "Bread baking needs flour, water and an oven."]
    lists = [["coral bleaching", "volcanic ash"], ["oven", "coral bleaching"]]
    first, second = extractor.extract_batch(docs, top_n=5, candidates=lists)
    assert sorted(k.phrase for k in first) == ["coral bleaching", "volcanic ash"]
    assert {k.phrase: k.spans for k in first}["coral bleaching"] == ((55, 70), (158, 173))
    assert {k.phrase: k.spans for k in second} == {"oven": ((39, 43),), "coral bleaching": ()}
    assert extractor.extract(TEXT, candidates=[]) == []
    # the extractor's own candidates when none are given
    assert "coral bleaching" not in [k.phrase for k in extractor.extract(docs[1], top_n=10)]


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ("coral", "candidates must be a list of str, or one list of str per text, got str"),
        ([["coral"]], "candidates must be a list of str, or one list of str per text (2 texts), got 1 lists"),
        ([["coral"], "reef"], "candidates[1] must be a list of str, got str"),
    ],
)
def test_candidates_of_the_wrong_shape(en_model_dir, candidates, message):
    extractor = KeywordExtractor(model=en_model_dir, lang="en")
    with pytest.raises(ValueError) as info:
        extractor.extract_batch([TEXT, TEXT], candidates=candidates)
    assert str(info.value) == message


def test_candidates_with_a_vocabulary_is_an_error(en_model_dir):
    extractor = KeywordExtractor(model=en_model_dir, lang="en", vocabulary=["coral"])
    with pytest.raises(ValueError, match="^candidates cannot be given to an extractor with a vocabulary$"):
        extractor.extract(TEXT, candidates=["reef"])


# --- the command line ---------------------------------------------------------------------------


def test_cli_vocabulary(en_model_dir, tmp_path, cli):
    doc = write(tmp_path / "doc.txt", TEXT)
    vocab = write(tmp_path / "v.tsv", "C1\tcoral bleaching\nC2\tocean warming\tmarine heatwave\n")
    proc = cli(doc, "--model", en_model_dir, "--vocabulary", vocab, "--format", "tsv")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    assert sorted((r[2], r[5]) for r in rows) == [("coral bleaching", "C1"), ("ocean warming", "C2")]
    text = cli(doc, "--model", en_model_dir, "--vocabulary", vocab)
    assert sorted(line.split("  ", 1)[1] for line in text.stdout.splitlines()) == [
        "coral bleaching  [C1]", "ocean warming  [C2]",
    ]


def test_cli_bad_vocabulary_is_one_line_and_exit_2(en_model_dir, tmp_path, cli):
    doc = write(tmp_path / "doc.txt", TEXT)
    vocab = write(tmp_path / "v.tsv", "C1\tcoral\nC1\treef\n")
    proc = cli(doc, "--model", en_model_dir, "--vocabulary", vocab)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"keyextract: error: {vocab}:2: duplicate id 'C1' (first on line 1)\n"


def test_cli_candidates_file(en_model_dir, tmp_path, cli):
    doc = write(tmp_path / "doc.txt", TEXT)
    phrases = write(tmp_path / "phrases.txt", "coral bleaching\n\nsensor networks\n")
    proc = cli(doc, "--model", en_model_dir, "--candidates", phrases)
    assert proc.returncode == 0, proc.stderr
    assert sorted(line.split("  ", 1)[1] for line in proc.stdout.splitlines()) == ["coral bleaching", "sensor networks"]
    empty = write(tmp_path / "empty.txt", "\n")
    proc = cli(doc, "--model", en_model_dir, "--candidates", empty)
    assert (proc.returncode, proc.stderr) == (2, f"keyextract: error: candidates {empty}: no phrases\n")
    missing = tmp_path / "missing.txt"
    proc = cli(doc, "--model", en_model_dir, "--candidates", missing)
    assert (proc.returncode, proc.stderr) == (2, f"keyextract: error: candidates {missing}: no such file\n")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9\n".encode("latin-1"))
    proc = cli(doc, "--model", en_model_dir, "--candidates", latin1)
    assert (proc.returncode, proc.stderr) == (
        2, f"keyextract: error: candidates {latin1}: not UTF-8 text (invalid continuation byte at byte 3)\n")
