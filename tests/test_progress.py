"""Feedback on long work: a bar for each stage from segmenting on, notes on lines of their own,
no bars where stderr is not a terminal, and nothing but errors with -q. Tiny encoders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import ROOT, read_dev

from keyextract import KeywordExtractor
from keyextract import encoder as encoder_module
from keyextract import extractor as extractor_module
from keyextract import progress as progress_module

MISSING = "keyextract-tests/no-such-albert"  # a Hub id in no cache: the default is replaced
NOTE = (f"keyextract: note: encoding English with a tiny ALBERT: the default encoder {MISSING} is not in "
        f"the Hugging Face cache and the Hub cannot be reached (get it with: hf download {MISSING})")
STAGES = ("segmenting", "tokenizing", "encoding", "phrases")
# A "long" text here: over this many characters it is segmented in blocks and tokenized in
# pieces (both 100,000 in use), and every stage gets its bar at once (STAGE_DELAY 0; 1 s in
# use), so that a text of 25 abstracts shows every stage in seconds.
LONG = 8_000


@pytest.fixture(scope="module")
def long_doc(tmp_path_factory) -> str:
    """25 abstracts, some 25,000 characters of English: blocks and pieces of ``LONG``."""
    path = tmp_path_factory.mktemp("long") / "long.txt"
    path.write_text("\n\n".join(r["text"] for r in read_dev("inspec_dev", 25)), encoding="utf-8")
    assert len(path.read_text(encoding="utf-8")) > 2 * LONG
    return str(path)


@pytest.fixture
def long_is_short(monkeypatch) -> None:
    monkeypatch.setattr(extractor_module, "BLOCK_CHARS", LONG)
    monkeypatch.setattr(encoder_module, "TOKENIZE_CHARS", LONG)
    monkeypatch.setattr(progress_module, "STAGE_DELAY", 0)


def first_seen(output: str, names) -> list[int]:
    """Where each of ``names`` first shows as a bar's label (``name: NN%|``) in ``output``."""
    return [output.find(f"{name}: ") if re.search(rf"{name}:\s+\d+%\|", output) else -1 for name in names]


def test_a_long_text_shows_a_bar_for_each_stage_in_turn(en_model_dir, long_doc, long_is_short, capsys) -> None:
    text = open(long_doc, encoding="utf-8").read()
    ke = KeywordExtractor(en_model_dir, lang="en", mode="isolated", exhaustive=True)  # exhaustive: many phrases
    ke.extract_batch([text], progress=True)
    err = capsys.readouterr().err
    seen = first_seen(err, STAGES)
    assert -1 not in seen and seen == sorted(seen), err[:3000]  # all four, in the order they run
    assert seen[0] < err.find(f"loading the encoder {en_model_dir}") < seen[1]
    # segmenting counts characters, scaled, and says when it joins the blocks
    assert re.search(rf"segmenting: 100%\|[^|]+\| {len(text) / 1000:.1f}k/{len(text) / 1000:.1f}k \[.*merging blocks\]", err)


def test_a_stage_shows_only_once_it_has_run_the_delay(monkeypatch, capsys) -> None:
    from keyextract.progress import stage_bar, stage_status

    monkeypatch.setattr(progress_module, "STAGE_DELAY", 0.3)
    with stage_bar(10, True, "window", "encoding") as bar, stage_status("loading the encoder x", True):
        bar.update(5)  # short work: never drawn
    assert capsys.readouterr().err == ""
    with stage_bar(10, True, "window", "encoding"):
        time.sleep(0.6)  # no update: the timer draws it
    with stage_status("loading the encoder x", True):
        time.sleep(0.6)
    err = capsys.readouterr().err
    assert "encoding:   0%|" in err and "0/10 [00:00<?, ?window/s]" in err
    assert "\rloading the encoder x" in err and err.endswith("\r")  # drawn, then cleared
    with stage_bar(10, False, "window", "encoding"), stage_status("loading the encoder x", False):
        time.sleep(0.6)  # not asked for
    assert capsys.readouterr().err == ""


# The command line with the offline fallback, fast: a tiny ALBERT stands in for all-MiniLM-L6-v2
# and the thresholds are those of ``long_is_short``.
CLI = f"""
import sys
from keyextract import encoder, extractor, offline, progress
from keyextract.cli import main
extractor.DEFAULT_MODELS["en"] = sys.argv[1]
offline.minilm = lambda: (sys.argv[2], "a tiny ALBERT")
extractor.BLOCK_CHARS = encoder.TOKENIZE_CHARS = {LONG}
progress.STAGE_DELAY = 0
main(sys.argv[3:])
"""

PTY = """
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
seen = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # the child closed the terminal
        break
    if not chunk:
        break
    seen += chunk
proc.wait()
sys.stdout.write(repr((proc.returncode, proc.stdout.read().decode(), seen.decode(errors="replace"))))
"""


def cli_env(tmp_path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": str(ROOT),
            "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1"}


def test_stderr_to_a_file_gets_the_note_once_and_no_bars(en_model_dir, long_doc, tmp_path) -> None:
    (tmp_path / "short.txt").write_text(read_dev("inspec_dev", 1)[0]["text"], encoding="utf-8")
    log = tmp_path / "stderr.log"
    with open(log, "wb") as err:
        proc = subprocess.run(
            [sys.executable, "-c", CLI, MISSING, en_model_dir, long_doc, "short.txt", "--format", "tsv", "--exhaustive"],
            stdout=subprocess.PIPE, stderr=err, env=cli_env(tmp_path), cwd=tmp_path, timeout=300,
        )
    assert proc.returncode == 0
    assert log.read_bytes() == NOTE.encode() + b"\n"  # no carriage return, no bar
    rows = proc.stdout.decode().splitlines()
    assert rows[0] == "source\trank\tphrase\tscore\tconfidence\tid" and len(rows) == 11


def test_quiet_prints_nothing_but_errors(en_model_dir, long_doc, tmp_path) -> None:
    args = [sys.executable, "-c", CLI, MISSING, en_model_dir, long_doc, "missing.txt", "--format", "jsonl", "-q"]
    proc = subprocess.run(args, capture_output=True, env=cli_env(tmp_path), cwd=tmp_path, timeout=300)
    assert proc.returncode == 1  # the offline encoder's note is not printed, the error is
    assert proc.stderr.decode() == "keyextract: error: missing.txt: no such file\n"
    assert [json.loads(line)["source"] for line in proc.stdout.decode().splitlines()] == [long_doc]


def on_a_terminal(command: list[str], tmp_path) -> tuple[int, str, str]:
    """Exit status, stdout and what the terminal showed of ``command`` with stderr on a terminal."""
    proc = subprocess.run([sys.executable, "-c", PTY, *command], capture_output=True, text=True,
                          env=cli_env(tmp_path), cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout)  # noqa: S307 - the repr PTY wrote


def test_a_terminal_sees_each_stage_and_the_note_on_a_line_of_its_own(en_model_dir, long_doc, tmp_path) -> None:
    (tmp_path / "short.txt").write_text(read_dev("inspec_dev", 1)[0]["text"], encoding="utf-8")
    command = [sys.executable, "-c", CLI, MISSING, en_model_dir, long_doc, "short.txt", "--exhaustive"]
    code, stdout, terminal = on_a_terminal(command, tmp_path)
    assert code == 0 and stdout.count("==> ") == 2
    seen = first_seen(terminal, STAGES)
    assert -1 not in seen and seen == sorted(seen), terminal[:3000]
    assert re.search(r"\d/2 \[[^\]]*file/s\]", terminal)  # the bar over the files
    # tqdm cleared the bars before the note (carriage returns, cursor moves) and drew them again after it
    lines = re.split("[\r\n]", re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", terminal))
    assert [line for line in lines if "keyextract: note" in line] == [NOTE]
    assert on_a_terminal([*command, "-q"], tmp_path) == (0, stdout, "")  # -q: the terminal shows nothing
