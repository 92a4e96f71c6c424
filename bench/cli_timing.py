"""How long ``keyextract FILE`` takes, as a user on a terminal sees it: the whole command (start-up,
model loading, extraction), when the first progress bar shows, each stage's share, and the
longest stretch without any update on the terminal.

    python bench/cli_timing.py                          # 10 KiB, 1 MiB, 10 MiB; both modes; writes BENCHMARKS.md
    python bench/cli_timing.py --sizes 10k,1M --no-write
    python bench/cli_timing.py --modes context --device cuda

Each size is English text, Nguyen2007 papers concatenated (``speed.long_document``: from
``../shared/data/dev``; repeated beyond about 7 MiB), written to a temporary file. Each run is a
fresh ``python -m keyextract FILE --model all-MiniLM-L6-v2 [--mode context]`` of this checkout, its
stderr on a pseudo-terminal (so that it draws its bars, as for a user) and read as it comes; the
runs go one after another, each with the torch threads keyextract picks. Since the CPU may be
shared, each run's CPU time (user + system, from the kernel's accounting of the child) is
reported beside its wall time, and the machine's load average before and after it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import os
import platform
import pty
import re
import select
import subprocess
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from benchmarks_md import command_line, emit
from speed import long_document, minilm_dir

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "## Command line timing"
STAGES = ("segmenting", "tokenizing", "encoding", "phrases")
_LABEL = re.compile(rb"(segmenting|tokenizing|encoding|phrases):\s+\d+%\|")


def parse_size(value: str) -> int:
    """``10k`` (KiB), ``1M`` (MiB) or a number of characters."""
    units = {"k": 2**10, "m": 2**20}
    value = value.strip().lower()
    return int(float(value[:-1]) * units[value[-1]]) if value[-1:] in units else int(value)


def size_name(chars: int) -> str:
    return f"{chars / 2**20:g} MiB" if chars >= 2**20 else f"{chars / 2**10:g} KiB"


def run_on_terminal(command: list[str], env: dict[str, str], out: Path) -> dict:
    """Run ``command`` with stderr on a pseudo-terminal and stdout to ``out``; when each stage's
    bar first showed, the first and the longest stretch without terminal output (seconds)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal's size
    start = time.perf_counter()
    with open(out, "wb") as stdout:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave, env=env, cwd=ROOT)
    os.close(slave)
    last, first_output, longest, seen, tail, reaped = start, None, 0.0, {}, b"", None
    while reaped is None:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:  # the child may have ended without closing the terminal yet
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            reaped = (status, usage) if pid else None
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        now = time.perf_counter()
        first_output = now - start if first_output is None else first_output
        longest, last = max(longest, now - last), now
        tail = (tail + chunk)[-4096:]
        for match in _LABEL.finditer(tail):
            seen.setdefault(match.group(1).decode(), now - start)
    status, usage = reaped or os.wait4(proc.pid, 0)[1:]  # its CPU time: the kernel's account of it
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    end = time.perf_counter()
    os.close(master)
    return {"seconds": end - start, "cpu_seconds": usage.ru_utime + usage.ru_stime, "code": code, "first_output_s": first_output,
            "longest_silence_s": max(longest, end - last), "stage_start_s": seen}


def measure(chars: int, mode: str, device: str, folder: Path) -> dict:
    path = folder / f"english-{chars}.txt"
    if not path.exists():
        path.write_text(long_document(chars / 2**20), encoding="utf-8")
    command = [sys.executable, "-m", "keyextract", str(path), "--model", str(minilm_dir()), "--top", "10",
               "--mode", mode, "--device", device]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": os.environ.get("TERM", "xterm")}
    load_before = os.getloadavg()[0]
    result = run_on_terminal(command, env, folder / "stdout.txt")
    phrases = (folder / "stdout.txt").read_text(encoding="utf-8").splitlines()
    if result["code"] != 0 or len(phrases) != 10:
        raise SystemExit(f"error: {' '.join(command)} exited {result['code']} with {len(phrases)} lines")
    return {"chars": chars, "bytes": path.stat().st_size, "mode": mode, **result,
            "load_before": load_before, "load_after": os.getloadavg()[0]}


def stage_seconds(row: dict) -> str:
    """Seconds from each stage's first bar to the next stage's (the last: to the end)."""
    starts = sorted(row["stage_start_s"].items(), key=lambda item: item[1])
    parts = []
    for (name, began), after in zip(starts, [s for _, s in starts[1:]] + [row["seconds"]]):
        parts.append(f"{name} {after - began:.0f}")
    return ", ".join(parts) or "no bar"


def report(rows: list[dict], device: str, command: str) -> str:
    lines = [
        SECTION, "",
        f"`keyextract FILE --model all-MiniLM-L6-v2 --top 10 [--mode context] --device {device}`, stderr on a "
        "pseudo-terminal, one run at a time; English text (Nguyen2007 papers concatenated). Seconds: the "
        "whole command (start-up and model loading included), wall clock and CPU (user + system, all "
        "threads). First bar: when the terminal first showed "
        "progress. Stages: seconds from each stage's first bar to the next one's (the last: to the end), "
        "so that a stage's time includes the work without a bar that follows it (loading the encoder "
        "after segmenting); a stage shorter than a second shows no bar. Load: the machine's 1-minute load average "
        f"before / after the run ({os.cpu_count()} cores; the CPU is shared with other jobs).",
        "",
        f"{dt.date.today().isoformat()}, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}:",
        "",
        "```bash", command, "```", "",
        "| size | bytes | mode | seconds | CPU s | first bar s | longest silence s | stages (s) | load |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        first = f"{r['first_output_s']:.1f}" if r["first_output_s"] is not None else "none"
        lines.append(
            f"| {size_name(r['chars'])} | {r['bytes']:,} | {r['mode']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {first} | "
            f"{r['longest_silence_s']:.1f} | {stage_seconds(r)} | {r['load_before']:.1f} / {r['load_after']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,1M,10M", help="sizes in KiB (k) or MiB (M) of characters (default 10k,1M,10M)")
    parser.add_argument("--modes", default="isolated,context", help="keyextract --mode values (default isolated,context)")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="keyextract --device (default cpu)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="keyextract-cli-timing-") as folder:
        for chars in map(parse_size, args.sizes.split(",")):
            for mode in args.modes.split(","):
                rows.append(measure(chars, mode, args.device, Path(folder)))
                print(rows[-1], file=sys.stderr)
    emit(SECTION, report(rows, args.device, command_line("bench/cli_timing.py", argv)), BENCHMARKS_MD, not args.no_write)


if __name__ == "__main__":
    main()
