"""Reading documents from files or stdin: decoding, and refusing what is not usable text."""

from __future__ import annotations

import codecs
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Control characters other than tab, newline, carriage return and form feed.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HAN_OR_CJK_PUNCT_RE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_ASCII_LETTER_RE = re.compile("[A-Za-z]")


def decode_document(data: bytes, name: str) -> tuple[str, str]:
    """Decode ``data`` as text; return ``(text, encoding)`` or raise :class:`InputError`.

    UTF-8 (with or without BOM) and BOM-marked UTF-16 are accepted; bytes that are not UTF-8
    are accepted as GB18030 (which covers GBK and GB2312) only when they decode to Chinese.
    """
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif b"\x00" in data:
        raise InputError(f"{name}: binary file (contains NUL bytes), not text")
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and not _looks_chinese(text):
            continue
        if len(_CONTROL_RE.findall(text)) > max(8, len(text) // 100):
            raise InputError(f"{name}: binary file (too many control characters), not text")
        return text, encoding
    raise InputError(
        f"{name}: not UTF-8 text (nor GB18030/GBK Chinese); convert it to UTF-8, "
        "e.g. iconv -f LATIN1 -t UTF-8"
    )


def _looks_chinese(text: str) -> bool:
    """True when a GB18030 reading makes sense: mostly Chinese, not Latin with stray ideographs.

    Latin-1 text often decodes as GB18030 too ("Müller" becomes "M黮ler"), but then a few
    ideographs sit among many Latin letters; real Chinese text has ideographs as a large share.
    """
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    chinese = len(_HAN_OR_CJK_PUNCT_RE.findall(text))
    latin = len(_ASCII_LETTER_RE.findall(text))
    return non_ascii > 0 and chinese >= 0.8 * non_ascii and chinese >= 0.5 * latin


@contextmanager
def input_errors(name: str) -> Iterator[None]:
    """Turn the OS and decoding errors met while reading ``name`` into one-line InputErrors."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _size(n_bytes: int) -> str:
    """``52428800`` -> ``"50 MiB"``; sizes under a MiB in bytes."""
    return f"{n_bytes / 2**20:g} MiB" if n_bytes >= 2**20 else f"{n_bytes} bytes"


def read_document(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, str]:
    """Read and decode the document at ``path`` (``"-"`` is stdin); return ``(text, encoding)``."""
    name = "<stdin>" if path == "-" else path
    with input_errors(name):
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            if Path(path).is_dir():
                raise InputError(f"{name}: is a directory, not a file")
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{name}: larger than the {_size(max_bytes)} limit; split it or raise --max-mb")
    text, encoding = decode_document(data, name)
    if not text.strip():
        raise InputError(f"{name}: empty document (nothing but whitespace)")
    return text, encoding
