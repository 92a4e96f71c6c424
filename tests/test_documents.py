"""Unit tests of keyextract.documents: decoding bytes and reading files or stdin."""

from __future__ import annotations

import codecs
import io
import os
import sys

import pytest

from keyextract.documents import DEFAULT_MAX_BYTES, decode_document, read_document
from keyextract.errors import InputError, KeyextractError

ENGLISH = "Keyphrase extraction finds the phrases that best describe a document.\n"
CHINESE = "关键词提取是自然语言处理中的一项重要任务。本文提出一种基于BERT模型的无监督方法，“效果”很好！\n"
FRENCH = "Le café est très bon, déjà vu à la maison.\n"


# --- decode_document -------------------------------------------------------------------------


def test_utf8_is_decoded_as_is():
    assert decode_document(ENGLISH.encode("utf-8"), "doc.txt") == (ENGLISH, "utf-8")


def test_utf8_non_ascii_is_decoded_as_utf8_not_gb18030():
    text = "Crème brûlée — naïve café, 中文 and emoji 🙂.\r\n"
    assert decode_document(text.encode("utf-8"), "doc.txt") == (text, "utf-8")


def test_utf8_chinese_is_decoded_as_utf8():
    assert decode_document(CHINESE.encode("utf-8"), "doc.txt") == (CHINESE, "utf-8")


def test_utf8_bom_is_stripped():
    text, encoding = decode_document(codecs.BOM_UTF8 + CHINESE.encode("utf-8"), "doc.txt")
    assert text == CHINESE
    assert not text.startswith("\ufeff")
    assert encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
    data = bom + (ENGLISH + CHINESE).encode(codec)
    assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert b"\x00" in data  # the BOM check must come before the NUL-byte check
    assert decode_document(data, "doc.txt") == (ENGLISH + CHINESE, "utf-16")


def test_utf16_without_bom_is_refused_as_binary():
    with pytest.raises(InputError, match="binary"):
        decode_document(ENGLISH.encode("utf-16-le"), "doc.txt")


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_gb_encoded_chinese_round_trips(codec):
    data = CHINESE.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test is meaningful only if the bytes are not UTF-8
    assert decode_document(data, "doc.txt") == (CHINESE, "gb18030")


def test_latin1_with_accents_is_refused():
    with pytest.raises(InputError) as info:
        decode_document(FRENCH.encode("latin-1"), "doc.txt")
    message = str(info.value)
    assert message.startswith("doc.txt: ")
    assert "not UTF-8" in message
    assert "\n" not in message


def test_cp1252_smart_quotes_are_refused():
    data = "\u201cQuoted\u201d text \u2013 with dashes.".encode("cp1252")
    with pytest.raises(InputError, match="not UTF-8"):
        decode_document(data, "doc.txt")


@pytest.mark.parametrize(
    "text",
    ["Die Gr\u00f6\u00dfe der Br\u00fccke \u00fcber dem Fluss ist beachtlich.", "M\u00fcller"],
)
def test_latin1_that_also_decodes_as_gb18030_is_refused(text):
    # b"Br\xfccke" is valid GB18030 ("Br\u9ede" + "ke"): only the share of ideographs tells
    with pytest.raises(InputError, match="not UTF-8"):
        decode_document(text.encode("latin-1"), "doc.txt")


def test_small_size_limits_are_stated_in_bytes(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_text("x" * 200, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_document(str(path), max_bytes=100)
    assert str(info.value) == f"{path}: larger than the 100 bytes limit; split it or raise --max-mb"


def test_nul_bytes_are_refused_as_binary():
    with pytest.raises(InputError) as info:
        decode_document(b"hello\x00world, this looks like text", "blob.bin")
    assert str(info.value) == "blob.bin: binary file (contains NUL bytes), not text"


def test_many_control_characters_are_refused_as_binary():
    data = ("abc\x01\x02\x1b" * 10).encode("ascii")  # 30 control characters in 60
    with pytest.raises(InputError) as info:
        decode_document(data, "blob.bin")
    assert str(info.value) == "blob.bin: binary file (too many control characters), not text"


def test_a_few_control_characters_are_tolerated():
    text = "Terminal \x1b[1mbold\x1b[0m output\x07.\n" + ENGLISH * 20
    assert decode_document(text.encode("utf-8"), "doc.txt") == (text, "utf-8")


def test_tab_newline_cr_formfeed_are_not_control_characters():
    text = "a\tb\r\nc\fd\n" * 50
    assert decode_document(text.encode("utf-8"), "doc.txt") == (text, "utf-8")


def test_undecodable_bytes_are_refused():
    with pytest.raises(InputError, match="not UTF-8"):
        decode_document(b"\xff\xfe\xfd\xfc garbage \x80\x81", "doc.txt")


# --- read_document -----------------------------------------------------------------------------


def text_and_encoding(document) -> tuple[str, str | None]:
    return document.text, document.encoding


def write(tmp_path, data: bytes, name: str = "doc.txt") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_read_utf8_file(tmp_path):
    path = write(tmp_path, ENGLISH.encode("utf-8"))
    assert text_and_encoding(read_document(path)) == (ENGLISH, "utf-8")


def test_read_keeps_crlf(tmp_path):
    text = "First line.\r\nSecond line.\r\n"
    assert text_and_encoding(read_document(write(tmp_path, text.encode("utf-8")))) == (text, "utf-8")


def test_read_utf8_bom_file(tmp_path):
    path = write(tmp_path, codecs.BOM_UTF8 + ENGLISH.encode("utf-8"))
    assert text_and_encoding(read_document(path)) == (ENGLISH, "utf-8-sig")


def test_read_utf16_file(tmp_path):
    path = write(tmp_path, CHINESE.encode("utf-16"))
    assert text_and_encoding(read_document(path)) == (CHINESE, "utf-16")


def test_read_gbk_file(tmp_path):
    path = write(tmp_path, CHINESE.encode("gbk"))
    assert text_and_encoding(read_document(path)) == (CHINESE, "gb18030")


def test_read_latin1_file_is_refused(tmp_path):
    path = write(tmp_path, FRENCH.encode("latin-1"))
    with pytest.raises(InputError) as info:
        read_document(path)
    assert str(info.value).startswith(f"{path}: not UTF-8")


def test_read_binary_file_is_refused(tmp_path):
    path = write(tmp_path, bytes(range(256)) * 4, "blob.bin")
    with pytest.raises(InputError, match="binary"):
        read_document(path)


@pytest.mark.parametrize("data", [b"   \n\t\r\n  ", codecs.BOM_UTF8, "\u3000\n".encode("utf-8")])
def test_empty_or_whitespace_file_is_refused(tmp_path, data):
    path = write(tmp_path, data)
    with pytest.raises(InputError) as info:
        read_document(path)
    assert str(info.value) == f"{path}: empty document (nothing but whitespace)"


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.md"])
def test_a_file_of_0_bytes_is_empty_whatever_its_name(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert str(info.value) == f"{path}: empty file (0 bytes)"


def test_directory_is_refused(tmp_path):
    with pytest.raises(InputError) as info:
        read_document(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: is a directory, not a file"


def test_missing_file_is_refused(tmp_path):
    path = str(tmp_path / "nope.txt")
    with pytest.raises(InputError) as info:
        read_document(path)
    assert str(info.value) == f"{path}: no such file"


def test_missing_parent_directory_is_refused(tmp_path):
    path = str(tmp_path / "no" / "such" / "dir" / "doc.txt")
    with pytest.raises(InputError, match="no such file"):
        read_document(path)


def make_unreadable(path) -> None:
    """chmod 000 ``path``; skip the test where that does not stop reads (root, CAP_DAC_OVERRIDE)."""
    path.chmod(0)
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        return
    path.chmod(0o644)
    pytest.skip("this user reads files whatever their permissions (root?)")


def test_unreadable_file_is_refused(tmp_path):
    path = write(tmp_path, ENGLISH.encode("utf-8"))
    make_unreadable(tmp_path / "doc.txt")
    try:
        with pytest.raises(InputError) as info:
            read_document(path)
    finally:
        (tmp_path / "doc.txt").chmod(0o644)
    assert str(info.value) == f"{path}: permission denied"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/mem is Linux-only")
def test_os_error_on_read_is_an_input_error():
    # Opening /proc/self/mem works, reading at offset 0 (unmapped) fails with EIO.
    with pytest.raises(InputError) as info:
        read_document("/proc/self/mem")
    assert str(info.value) == "/proc/self/mem: cannot read (Input/output error)"


def test_over_the_size_limit_is_refused(tmp_path):
    path = write(tmp_path, b"word " * 100)  # 500 bytes
    with pytest.raises(InputError) as info:
        read_document(path, max_bytes=100)
    message = str(info.value)
    assert message.startswith(f"{path}: larger than")
    assert "limit" in message
    assert "--max-mb" in message


def test_over_the_size_limit_in_mib(tmp_path):
    path = write(tmp_path, b"a" * (1024 * 1024 + 1))
    with pytest.raises(InputError) as info:
        read_document(path, max_bytes=1024 * 1024)
    assert str(info.value) == f"{path}: larger than the 1 MiB limit; split it or raise --max-mb"


def test_exactly_at_the_size_limit_is_accepted(tmp_path):
    path = write(tmp_path, b"x" * 100)
    assert text_and_encoding(read_document(path, max_bytes=100)) == ("x" * 100, "utf-8")


def test_default_limit_is_50_mib():
    assert DEFAULT_MAX_BYTES == 50 * 1024 * 1024


class _Stdin:
    """A stand-in for sys.stdin with a binary buffer."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_read_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Stdin(CHINESE.encode("gbk")))
    assert text_and_encoding(read_document("-")) == (CHINESE, "gb18030")


def test_stdin_errors_name_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Stdin(b"  \n"))
    with pytest.raises(InputError) as info:
        read_document("-")
    assert str(info.value) == "<stdin>: empty document (nothing but whitespace)"


def test_stdin_over_the_limit(monkeypatch):
    monkeypatch.setattr(sys, "stdin", _Stdin(b"y" * 101))
    with pytest.raises(InputError, match=r"^<stdin>: .*limit"):
        read_document("-", max_bytes=100)


def test_input_error_is_a_keyextract_error():
    assert issubclass(InputError, KeyextractError)


# --- character references in plain text ---------------------------------------------------------

WEB_COPY = "Movie review\n\n&lsquo;Miral&rsquo;: the caf&eacute; scenes &amp; Anton&#8217;s parents at AT&T and R&D; &foo;"


def test_character_references_in_plain_text_are_read_decoded():
    from keyextract.documents import text_document

    doc = text_document(WEB_COPY)
    assert doc.format == "text" and not doc.lines_are_blocks
    assert doc.text == "Movie review\n\n‘Miral’: the café scenes & Anton’s parents at AT&T and R&D; &foo;"
    # spans point at the references as written
    i = doc.text.index("café scenes")
    assert WEB_COPY[slice(*doc.span(i, i + len("café scenes")))] == "caf&eacute; scenes"
    i = doc.text.index("Movie")
    assert doc.span(i, i + 5) == (0, 5)
    # as given: --markup none, and text without references
    assert text_document(WEB_COPY, "none").text == WEB_COPY
    assert text_document("AT&T and R&D; &foo;").source_map is None


def test_character_references_are_no_keyphrases(en_model_dir):
    from keyextract import KeywordExtractor

    found = KeywordExtractor(en_model_dir, lang="en").extract(WEB_COPY, top_n=20)
    phrases = {k.phrase for k in found}
    assert not {p for p in phrases if any(w in p.lower() for w in ("lsquo", "rsquo", "amp", "8217", "eacute"))}
    assert "café scenes" in phrases
    (k,) = [k for k in found if k.phrase == "café scenes"]
    assert [WEB_COPY[s:e] for s, e in k.spans] == ["caf&eacute; scenes"]
