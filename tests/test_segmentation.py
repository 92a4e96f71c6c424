"""Segmentation: language detection, script routing, spans and POS tags."""

from __future__ import annotations

import pytest

from keyextract import segmentation
from keyextract.segmentation import AveragedPerceptronTagger, english_tagger, script_language, segment, split_scripts


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Support vector machines classify data.", "en"),
        ("我们研究了机器翻译系统的性能。", "zh"),
        ("本文提出基于BERT模型的关键词抽取方法。", "zh"),
        ("We evaluate BERT on 中文 text with many English words here.", "en"),
        ("", "en"),
        ("12345 !!!", "en"),
    ],
)
def test_script_language(text: str, lang: str) -> None:
    assert script_language(text) == lang


def test_split_scripts_keeps_short_latin_inside_chinese() -> None:
    text = "本文提出基于BERT模型的方法, and we evaluate keyphrase extraction systems."
    assert split_scripts(text) == [("zh", 0, 15), ("en", 15, len(text))]


def test_split_scripts_pure_english_is_one_chunk() -> None:
    assert split_scripts("A B.") == [("en", 0, 4)]


def test_english_tokens_spans_and_tags() -> None:
    text = "Support vector machines classify high-dimensional data quickly."
    assert [(t.text, t.start, t.end, t.pos, t.script) for t in segment(text)] == [
        ("Support", 0, 7, "NN", "en"),  # a common noun, capitalised as the first word
        ("vector", 8, 14, "NN", "en"),
        ("machines", 15, 23, "NNS", "en"),
        ("classify", 24, 32, "VBP", "en"),
        ("high-dimensional", 33, 49, "JJ", "en"),
        ("data", 50, 54, "NNS", "en"),
        ("quickly", 55, 62, "RB", "en"),
        (".", 62, 63, ".", "en"),
    ]


def test_chinese_tokens_spans_and_tags() -> None:
    text = "我们研究了机器翻译系统的性能。"
    assert [(t.text, t.start, t.end, t.pos, t.script) for t in segment(text)] == [
        ("我们", 0, 2, "r", "zh"),
        ("研究", 2, 4, "vn", "zh"),
        ("了", 4, 5, "ul", "zh"),
        ("机器翻译", 5, 9, "l", "zh"),
        ("系统", 9, 11, "n", "zh"),
        ("的", 11, 12, "uj", "zh"),
        ("性能", 12, 14, "n", "zh"),
        ("。", 14, 15, "x", "zh"),
    ]


def test_mixed_text_spans_point_into_the_text() -> None:
    text = "本文提出基于BERT模型的关键词抽取方法,\n and we evaluate  keyphrase extraction systems on Chinese abstracts. 😀 ok"
    tokens = segment(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))
    assert {t.script for t in tokens} == {"zh", "en"}
    assert ("BERT", "eng") in {(t.text, t.pos) for t in tokens}
    assert ("extraction", "NN") in {(t.text, t.pos) for t in tokens}


def test_missing_tagger_falls_back_and_warns_once(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(segmentation, "data_path", lambda *parts: tmp_path / "missing.npz")
    monkeypatch.setattr(segmentation, "_warned_no_tagger", False)
    segmentation.english_tagger.cache_clear()
    try:
        first = segment("Neural networks learn.")
        segment("Second text.")
    finally:
        segmentation.english_tagger.cache_clear()
    assert [(t.text, t.pos) for t in first] == [("Neural", None), ("networks", None), ("learn", None), (".", None)]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("keyextract: warning: the English POS tagger cannot be loaded")
    assert "missing.npz" in err


def _toy_tagger() -> AveragedPerceptronTagger:
    import numpy as np

    labels = ["JJ", "NN", "VB"]
    weights = {"i word cat": [0, 2, 0], "i word run": [0, 1, 1], "i-1 tag NN": [0, 0, 1.5], "i suffix ish": [3, 0, 0]}
    return AveragedPerceptronTagger(list(weights), labels, np.array(list(weights.values()), np.float32), {"the": "DT"})


@pytest.mark.parametrize(
    ("words", "tags"),
    [
        (["cat"], ["NN"]),  # only "i word cat" is a known feature
        (["run"], ["VB"]),  # NN and VB tie at 1: the alphabetically last wins, as in NLTK
        (["cat", "run"], ["NN", "VB"]),  # after NN, "i-1 tag NN" adds 1.5 to VB
        (["the", "cat"], ["DT", "NN"]),  # "the" is in the tag dictionary: no model, any tag
        (["reddish", "zzz"], ["JJ", "VB"]),  # no known feature: every tag scores 0, the last wins
    ],
)
def test_perceptron_sums_feature_weights_and_breaks_ties_as_nltk(words: list[str], tags: list[str]) -> None:
    assert _toy_tagger().tag(words) == list(zip(words, tags))


def test_perceptron_can_be_given_the_first_tags() -> None:
    # "run" after a given VB: no "i-1 tag NN", NN and VB tie, VB wins; after NN it is VB by 1.5
    assert _toy_tagger().tag(["cat", "run"], given=["VB"]) == [("cat", "VB"), ("run", "VB")]
    assert _toy_tagger().tag(["run", "cat"], given=["NN", "JJ"]) == [("run", "NN"), ("cat", "JJ")]


def test_shipped_tagger_loads_its_weights_and_tag_dictionary() -> None:
    tagger = english_tagger()
    assert {"NN", "VBZ", "-LRB-", "HYPH", "NFP", "ADD"} <= set(tagger.labels)
    assert tagger.tagdict["the"] == "DT"
    assert tagger.tag(["The", "bakery", "sells", "fresh", "bread", "."]) == [
        ("The", "DT"), ("bakery", "NN"), ("sells", "VBZ"), ("fresh", "JJ"), ("bread", "NN"), (".", "."),
    ]


# --- languages without a tagger -----------------------------------------------------------


def _untagged(text: str, lang: str) -> list[tuple]:
    return [(t.text, t.start, t.end, t.norm, t.kind, t.break_before) for t in segment(text, lang)]


def test_untagged_words_keep_accents_hyphens_apostrophes_and_digits() -> None:
    text = "Diz-se que o guarda-chuva d’água custa 12,5 euros (COVID-19)."
    assert _untagged(text, "pt") == [
        ("Diz-se", 0, 6, None, "word", False),
        ("que", 7, 10, None, "word", False),
        ("o", 11, 12, None, "word", False),
        ("guarda-chuva", 13, 25, None, "word", False),
        ("d’água", 26, 32, "d'água", "word", False),  # no elision in Portuguese: one word
        ("custa", 33, 38, None, "word", False),
        ("12", 39, 41, None, "word", False),
        (",", 41, 42, None, "word", False),
        ("5", 42, 43, None, "word", False),
        ("euros", 44, 49, None, "word", False),
        ("(", 50, 51, None, "word", False),
        ("COVID-19", 51, 59, None, "word", False),
        (")", 59, 60, None, "word", False),
        (".", 60, 61, None, "word", False),
    ]
    assert {(t.pos, t.script) for t in segment(text, "pt")} == {(None, "pt")}


def test_untagged_french_elisions_are_split_but_not_aujourdhui() -> None:
    text = "Aujourd'hui l'énergie qu’il faut, jusqu'à presqu'île."
    assert [(t.text, t.norm) for t in segment(text, "fr")] == [
        ("Aujourd'hui", None), ("l'", "l"), ("énergie", None), ("qu’", "qu"), ("il", None),
        ("faut", None), (",", None), ("jusqu'", "jusqu"), ("à", None), ("presqu'", "presqu"),
        ("île", None), (".", None),
    ]


def test_untagged_scripts_with_combining_marks_stay_whole_words() -> None:
    assert [t.text for t in segment("सरकार ने किसानों के लिए", "hi")] == ["सरकार", "ने", "किसानों", "के", "लिए"]


def test_untagged_urls_emails_and_phrase_ending_line_breaks() -> None:
    text = "Relatório anual\nVeja https://exemplo.pt/a?b=1 ou escreva a ana@exemplo.pt sobre a\nreunião."
    tokens = segment(text, "pt")
    assert [(t.text, t.kind) for t in tokens if t.kind == "nonprose"] == [
        ("https://exemplo.pt/a?b=1", "nonprose"), ("ana@exemplo.pt", "nonprose")]
    # "Veja" starts a new line after a title; "reunião" continues a sentence wrapped mid-way
    assert [t.text for t in tokens if t.break_before] == ["Veja"]


# --- Penn Treebank tokens, technical terms, non-prose tokens -------------------------------


def tokens(text: str) -> list[tuple]:
    return [(t.text, t.norm, t.kind) for t in segment(text)]


def test_contractions_split_as_the_treebank_does_and_the_verb_stays_a_verb() -> None:
    text = "The app doesn't track location data."
    assert [(t.text, t.start, t.end, t.pos) for t in segment(text)] == [
        ("The", 0, 3, "DT"), ("app", 4, 7, "NN"), ("does", 8, 12, "VBZ"), ("n't", 12, 15, "RB"),
        ("track", 16, 21, "VB"), ("location", 22, 30, "NN"), ("data", 31, 35, "NNS"), (".", 35, 36, "."),
    ]
    assert [t.text for t in segment("I can't, won't, I'm, they'll, cannot")] == [
        "I", "ca", "n't", ",", "wo", "n't", ",", "I", "'m", ",", "they", "'ll", ",", "can", "not",
    ]


def test_contractions_without_apostrophes_split_as_ewt_does() -> None:
    text = "I dont know, Ive seen it. Thats what they cant say and we wont stop; youre right."
    assert [(t.text, t.norm) for t in segment(text) if t.norm] == [
        ("nt", "n't"), ("ve", "'ve"), ("s", "'s"), ("nt", "n't"), ("nt", "n't"), ("re", "'re"),
    ]
    assert [t.text for t in segment("dont, cant, wont, Ive, Thats")] == [
        "do", "nt", ",", "ca", "nt", ",", "wo", "nt", ",", "I", "ve", ",", "That", "s",
    ]
    # words that only look like one keep whole: "its", "lets", "were", "well", "ill", "shell"
    assert [t.text for t in segment("its lets were well ill shell")] == ["its", "lets", "were", "well", "ill", "shell"]


def test_emoticons_and_runs_of_sentence_marks_stay_whole() -> None:
    got = [(t.text, t.norm) for t in segment("Great :) really?! Sad :-( but ok... ?")]
    assert got == [("Great", None), (":)", None), ("really", None), ("?!", "?"), ("Sad", None), (":-(", None),
                   ("but", None), ("ok", None), ("...", None), ("?", None)]
    # a colon before a bracketed letter is no emoticon
    assert [t.text for t in segment("see note:(b) and x =(y)")] == ["see", "note", ":", "(", "b", ")", "and", "x", "=", "(", "y", ")"]


def test_abbreviations_and_middle_initials_keep_their_period() -> None:
    text = "George W. Bush met Gov. Perry on Sept. 5 at No. 10 in Plan A. The end."
    assert [t.text for t in segment(text)] == [
        "George", "W.", "Bush", "met", "Gov.", "Perry", "on", "Sept.", "5", "at", "No.", "10", "in",
        "Plan", "A", ".", "The", "end", ".",
    ]


def test_curly_apostrophes_and_quotes_are_tagged_in_their_treebank_form() -> None:
    curly = segment("It doesn’t share users’ “private” data.")
    straight = segment("It doesn't share users' ``private'' data.")
    assert [(t.text, t.norm) for t in curly] == [
        ("It", None), ("does", None), ("n’t", "n't"), ("share", None), ("users", None), ("’", "'"),
        ("“", "``"), ("private", None), ("”", "''"), ("data", None), (".", None),
    ]
    assert [t.pos for t in curly] == [t.pos for t in straight]
    assert [t.norm for t in segment('"Hi" -- ok... wow!!')] == ["``", None, "''", None, None, None, None, "!"]


def test_technical_terms_are_single_term_tokens() -> None:
    text = "5G networks, C++, C#, .NET and ASP.NET, Node.js, U.S. law, HTTP/2, TCP/IP, ACM/IFIP/USENIX, GPT-4, x86 and Amazon.com."
    terms = ("5G", "C++", "C#", ".NET", "ASP.NET", "Node.js", "HTTP/2", "TCP/IP", "ACM/IFIP/USENIX", "GPT-4", "x86", "Amazon.com")
    kinds = {t.text: t.kind for t in segment(text)}
    assert {w: kinds[w] for w in terms} == {w: "term" for w in terms}
    assert (kinds["U.S."], kinds["networks"], kinds["and"]) == ("word", "word", "word")
    assert [t.text for t in segment(text)][-2:] == ["Amazon.com", "."]


def test_numbers_ordinals_decades_and_units_are_not_terms() -> None:
    text = "In 2023, 42 % of 10km runs in the 1990s were 2nd, and 5,000 ran on 9/26/2005 at 08:14."
    assert [t.text for t in segment(text) if t.kind != "word"] == []
    assert {"5,000", "9/26/2005", "08:14", "2023"} <= {t.text for t in segment(text)}


def test_versions_after_a_name_are_terms_but_not_after_a_reference_noun() -> None:
    got = {t.text: t.kind for t in segment("We ported it to Python 3.12 as Table 3.1 shows, in 2.5 days.")}
    assert (got["3.12"], got["3.1"], got["2.5"]) == ("term", "word", "word")


@pytest.mark.parametrize(
    "token",
    [
        "https://example.com/cars/honda-civic-2014", "http://localhost:8080/api?id=3&x=y", "www.example-credit.com",
        "example.com/path/page.html", "sam.rivers@example.com", "/usr/local/bin", "~/notes.txt",
        "C:\\Users\\sam\\report.docx", "src/keyextract/cli.py", "docs/index.html", "a3f9c2e", "0x1F",
        "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "user_id", "__init__", "getUserName", "np.array", "os.path.join()",
        "std::vector", "@sam_rivers",
    ],
)
def test_non_prose_tokens_are_kept_whole(token: str) -> None:
    text = f"See {token}, please."
    assert tokens(text) == [("See", None, "word"), (token, None, "nonprose"), (",", None, "word"),
                            ("please", None, "word"), (".", None, "word")]


def test_urls_and_e_mail_addresses_get_the_address_tag_and_lose_trailing_punctuation() -> None:
    got = [(t.text, t.pos) for t in segment("Mail sam@example.org or visit https://example.org/a.")]
    assert got[1] == ("sam@example.org", "ADD") and got[-2:] == [("https://example.org/a", "ADD"), (".", ".")]


@pytest.mark.parametrize("word", ["iPhone", "eBay", "macOS", "JavaScript", "e-mail", "real-time", "O'Brien", "e.g.", "Dr."])
def test_ordinary_words_are_not_taken_for_code(word: str) -> None:
    assert tokens(f"we asked {word} about it")[2] == (word, None, "word")


def test_words_joined_by_slashes_are_not_paths() -> None:
    assert [t.kind for t in segment("the class/part/containment and input/output tables")] == ["word"] * 11


# --- headlines --------------------------------------------------------------------------------


def test_all_caps_lines_are_tagged_in_lowercase_and_title_case_lines_show_their_verbs() -> None:
    text = "COUNCIL APPROVES NEW BUDGET\nRamsey Graphs Beating the Frankl-Wilson Construction\nA Perspective on Emerging Technologies\nThe city voted."
    got = [(t.text, t.norm, t.pos) for t in segment(text)]
    assert got[:10] == [
        ("COUNCIL", "council", "NN"), ("APPROVES", "approves", "VBZ"), ("NEW", "new", "JJ"), ("BUDGET", "budget", "NN"),
        ("Ramsey", None, "NNP"), ("Graphs", None, "NNP"), ("Beating", "beating", "VBG"),
        ("the", None, "DT"), ("Frankl-Wilson", None, "NNP"), ("Construction", None, "NNP"),
    ]
    # a participle before a noun is no verb here: tagged as written, a name's word
    assert got[10:15] == [("A", None, "DT"), ("Perspective", None, "NNP"), ("on", None, "IN"),
                          ("Emerging", None, "NNP"), ("Technologies", None, "NNPS")]
    assert got[15:] == [("The", None, "DT"), ("city", None, "NN"), ("voted", None, "VBD"), (".", None, ".")]


def test_acronyms_in_a_sentence_keep_their_case_but_shouting_is_lowered() -> None:
    norms = [t.norm for t in segment("The NASA JPL team uses IBM hardware. CALL US TODAY now.")]
    assert norms == [None] * 8 + ["call", "us", "today", None, None]


# --- line breaks --------------------------------------------------------------------------------


def test_break_before_marks_the_first_token_after_a_phrase_ending_line_break() -> None:
    text = "Wind farm maintenance\n\nMaintenance crews of the company inspect\nturbines.\n- Data analysis"
    got = [(t.text, t.break_before) for t in segment(text)]
    assert got == [
        ("Wind", False), ("farm", False), ("maintenance", False), ("Maintenance", True), ("crews", False),
        ("of", False), ("the", False), ("company", False), ("inspect", False), ("turbines", False), (".", False),
        ("-", True), ("Data", False), ("analysis", False),
    ]


def test_break_before_in_chinese_text() -> None:
    got = [(t.text, t.break_before) for t in segment("人工智能芯片\n台湾厂商")]
    assert got[0] == ("人工智能", False) and [b for _, b in got].count(True) == 1
    assert [w for w, b in got if b] == ["台湾"]


# --- a verb that is also a plural noun ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ('Kubernetes schedules containers across nodes.',
         'NNP VBZ NNS IN NNS .'),
        ('A relational database stores data in tables.',
         'DT JJ NN VBZ NNS IN NNS .'),
        ('Green plants converts carbon dioxide into sugar.',
         'JJ NNS VBZ NN NN IN NN .'),
        ('The sourdough starter ferments overnight.',
         'DT NN NN VBZ RB .'),
        ('Each node stores a copy of the ledger.',
         'DT NN VBZ DT NN IN DT NN .'),
        ('The city plans new bike lanes for next year.',
         'DT NN VBZ JJ NN NNS IN JJ NN .'),
        ('The agency plans a new survey of farmers.',
         'DT NN VBZ DT JJ NN IN NNS .'),
        ('The tokenizer splits text into words.',
         'DT NN VBZ NN IN NNS .'),
        ('The algorithm sorts records by timestamp.',
         'DT NN VBZ NNS IN NN .'),
        ('The service logs errors to a central server.',
         'DT NN VBZ NNS IN DT JJ NN .'),
        ('The teacher grades essays on weekends.',
         'DT NN VBZ NNS IN NNS .'),
        ('The firewall blocks incoming traffic on port 22.',
         'DT NN VBZ JJ NN IN NN CD .'),
        ('The database index speeds queries on large tables.',
         'DT NN NN VBZ NNS IN JJ NNS .'),
        ('The sports club hosts events every summer.',
         'DT NNS NN VBZ NNS DT NN .'),
        ('The website lists prices for all products.',
         'DT NN VBZ NNS IN DT NNS .'),
        ('The sensor measures air quality every minute.',
         'DT NN VBZ NN NN DT NN .'),
        ('The thermostat controls room temperature automatically.',
         'DT NN VBZ NN NN RB .'),
        ('The editor highlights keywords in source files.',
         'DT NN VBZ NNS IN NN NNS .'),
        ('The compiler emits warnings for unused variables.',
         'DT NN VBZ NNS IN JJ NNS .'),
        ('The garbage collector frees unused objects.',
         'DT NN NN VBZ JJ NNS .'),
        ('The system works well under heavy load.',
         'DT NN VBZ RB IN JJ NN .'),
        ('The printer needs new toner cartridges.',
         'DT NN VBZ JJ NN NNS .'),
        ('The package supports older Python versions.',
         'DT NN VBZ JJR NNP NNS .'),
        ('The team builds mobile apps for banks.',
         'DT NN VBZ JJ NNS IN NNS .'),
        ('The compiler uses static analysis to find bugs.',
         'DT NN VBZ JJ NN TO VB NNS .'),
        ('Users need faster search results.',
         'NNS VBP JJR NN NNS .'),
    ],
)
def test_third_person_verbs_between_subject_and_object_are_verbs(text: str, tags: str) -> None:
    """Verbs that are also plural nouns ("stores", "plans", "logs") after a noun: the tagger
    alone takes several for nouns; a sentence without a finite verb gets one
    (``segmentation._give_finite_verb``)."""
    assert " ".join(t.pos for t in segment(text)) == tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        # the main clause after a fronted subordinate clause that has its own verb
        ("Once the network is up, the scheduler places pods on the nodes.",
         "IN DT NN VBZ RB , DT NN VBZ NNS IN DT NNS ."),
        # a second clause after "but" with a new subject
        ("A database stores data in tables, but a leaf stores energy in starch.",
         "DT NN VBZ NNS IN NNS , CC DT NN VBZ NN IN NN ."),
        # coordinated clauses: the second has its verb, the first gets one
        ("The scheduler places pods on nodes and the kubelet starts their containers.",
         "DT NN VBZ NNS IN NNS CC DT NN VBZ PRP$ NNS ."),
        # an object relative clause ends in its verb
        ("Open the ports that the control plane needs.", "VB DT NNS IN DT NN NN VBZ ."),
        # "a" cannot open a phrase whose head is plural: "ferments" is the verb, not "flour"
        ("A sourdough starter ferments flour and water.", "DT NN NN VBZ NN CC NN ."),
        ("A few grocery stores sell flour in bulk.", "DT JJ NN NNS VBP NN IN NN ."),
        # the later imperatives of a comma series
        ("Install a runtime on every node, disable swap, and open the ports.",
         "VB DT NN IN DT NN , VB NN , CC VB DT NNS ."),
        ("Buy apples, milk and bread.", "VB NNS , NN CC NN ."),
        # a clause after "how" (and when, whether ...), coordinated verbs, a series of predicates
        ("We investigate how meltwater drainage controls seasonal ice velocity.",
         "PRP VBP WRB JJ NN VBZ JJ NN NN ."),
        ("Whether surface melt accelerates or decelerates ice flow depends on the drainage system.",
         "IN NN NN VBZ CC VBZ NN NN VBZ IN DT NN NN ."),
        ("It fits harmonic models to tide levels, predicts water times, and flags storm surge events.",
         "PRP VBZ JJ NNS TO NN NNS , VBZ NN NNS , CC VBZ NN NN NNS ."),
        # nouns in a list, and a noun before "and" whose sentence has its verb, stay nouns
        ("The kit contains cables, plugs, and stores for spare parts.",
         "DT NN VBZ NNS , NNS , CC NNS IN JJ NNS ."),
        ("Mr. Wolf owns 75,000 UAL shares and has options.", "NNP NNP VBZ CD NNP NNS CC VBZ NNS ."),
        # an imperative after a semicolon, its verb one form for base and participle
        ("The command prints a token; run the join command with it.",
         "DT NN VBZ DT NN , VB DT NN NN IN PRP ."),
    ],
)
def test_every_clause_gets_its_verb(text: str, tags: str) -> None:
    """The finite-verb rule clause by clause (``segmentation._clauses``), the singular
    determiner rule and imperatives: everyday sentences whose verbs the tagger took for nouns."""
    assert " ".join(t.pos for t in segment(text)) == tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Improved cache stores.", "VBN NN NNS ."),  # a list item: fewer than 5 tokens
        ("Release notes and known issues.", "NNP NNS CC VBN NNS ."),  # no verb reading fits before "and"
        ("Search results for data stores in tables", "NN NNS IN NN NNS IN NNS"),  # a heading: no final period
        ("Neural networks again.", "JJ NNS RB ."),
    ],
)
def test_verbless_headings_and_list_items_keep_their_nouns(text: str, tags: str) -> None:
    assert " ".join(t.pos for t in segment(text)) == tags
