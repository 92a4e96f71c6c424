"""keyextract serve (keyextract/serve.py): each endpoint, limit and error through an in-process
client, dynamic batching with concurrent requests, and one real server process stopped by SIGTERM
under load. Encoders: the tiny English ALBERT of conftest.py."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("starlette", reason="keyextract serve needs the serve extra (starlette, uvicorn, pydantic)")
httpx = pytest.importorskip("httpx", reason="the tests of keyextract serve need httpx (the test extra)")
from starlette.testclient import TestClient  # noqa: E402

from conftest import ROOT, abstract_texts  # noqa: E402
from keyextract import KeywordExtractor, ModelLoadError  # noqa: E402
from keyextract.serve import DocumentResult, Limits, create_app  # noqa: E402

EN, EN_2, EN_3 = abstract_texts(3)
ZH = "关键词提取是自然语言处理中的一项重要任务。本文提出一种基于预训练语言模型的无监督关键词提取方法。"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def assert_same(answer: list[dict], expected: list[dict]) -> None:
    """The same documents, models and phrases, and scores to 1e-5: texts batched otherwise pass
    through the encoder in other shapes, which moves a score's last digits."""
    assert [(r["source"], r["model"], [k["phrase"] for k in r["keywords"]]) for r in answer] == [
        (r["source"], r["model"], [k["phrase"] for k in r["keywords"]]) for r in expected]
    for got, want in zip(answer, expected):
        assert [k["score"] for k in got["keywords"]] == pytest.approx([k["score"] for k in want["keywords"]], abs=1e-5)


def records(keywords_lists, extractor, texts, sources):
    """What the service must answer: the CLI's JSON objects of extract_batch's results."""
    from keyextract.cli import encoder_names, json_record

    models = encoder_names(extractor, texts, keywords_lists)
    return [json_record(s, k, m) for s, k, m in zip(sources, keywords_lists, models)]


@pytest.fixture(scope="module")
def client(en_model_dir):
    app = create_app(KeywordExtractor(model=en_model_dir),
                     Limits(max_texts=4, max_queue=8, max_request_bytes=20_000), preload=["en"])
    with TestClient(app) as client:
        deadline = time.monotonic() + 120
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield client


# -- answers -----------------------------------------------------------------------------------


def test_extract_answers_what_format_json_prints(client, cli, en_model_dir, tmp_path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(EN, encoding="utf-8")
    printed = json.loads(cli(path, "--model", en_model_dir, "--format", "json", "--top", "3", "-q").stdout)
    response = client.post("/v1/extract", json={"text": EN, "top_n": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [{**printed[0], "source": "text"}]
    assert len(printed[0]["keywords"]) == 3


def test_texts_come_back_in_order_as_extract_batch_gives_them(client, en_model_dir) -> None:
    texts = [EN_2, EN_3, ""]
    response = client.post("/v1/extract", json={"texts": texts, "top_n": 2})
    extractor = KeywordExtractor(model=en_model_dir)
    expected = records(extractor.extract_batch(texts, top_n=2), extractor, texts, ["texts[0]", "texts[1]", "texts[2]"])
    assert response.json() == expected
    assert expected[2] == {"source": "texts[2]", "model": None, "keywords": []}
    assert [len(r["keywords"]) for r in expected[:2]] == [2, 2]
    for record in response.json():
        DocumentResult.model_validate(record)  # the OpenAPI document's schema holds


@pytest.mark.parametrize("options", [
    {"top_n": 4, "diversity": 0.7, "keep_nested": True},
    {"mode": "context", "max_words": 2, "position_weight": 0.0},
    {"exhaustive": True, "frequency_weight": 1.5, "attention_weight": 0, "markup": "none"},
])
def test_per_request_options_are_the_extractors(client, en_model_dir, options) -> None:
    top_n = options.get("top_n", 5)
    settings = {k: v for k, v in options.items() if k != "top_n"}
    extractor = KeywordExtractor(model=en_model_dir, **settings)
    expected = records([extractor.extract(EN, top_n=top_n)], extractor, [EN], ["text"])
    assert client.post("/v1/extract", json={"text": EN, **options}).json() == expected


def test_lang_per_request(client, en_model_dir) -> None:
    extractor = KeywordExtractor(model=en_model_dir, lang="zh")
    expected = records([extractor.extract(ZH, top_n=3)], extractor, [ZH], ["text"])
    answer = client.post("/v1/extract", json={"text": ZH, "lang": "zh", "top_n": 3}).json()
    assert answer == expected
    assert all(re.fullmatch("[\u4e00-\u9fff]+", k["phrase"]) for k in answer[0]["keywords"])


# -- the other endpoints -----------------------------------------------------------------------


def test_health_ready_and_openapi(client, en_model_dir) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["models"]["en"] == en_model_dir
    assert {k: ready.json()[k] for k in ("queued", "running", "max_queue")} == {"queued": 0, "running": 0, "max_queue": 8}
    spec = client.get("/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/v1/extract", "/health", "/ready", "/"}
    request = spec["components"]["schemas"]["ExtractRequest"]
    assert request["additionalProperties"] is False
    assert set(request["properties"]) == {
        "text", "texts", "top_n", "lang", "diversity", "keep_nested", "mode", "exhaustive", "max_words",
        "position_weight", "frequency_weight", "attention_weight", "markup",
    }
    assert set(spec["paths"]["/v1/extract"]["post"]["responses"]) == {"200", "400", "413", "503", "504"}
    assert "At most 4 texts and 20000 bytes a request" in spec["paths"]["/v1/extract"]["post"]["description"]


def test_page_loads_nothing_from_elsewhere(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none';")
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", page.text)
    assert "/*SETTINGS*/" not in page.text
    settings = json.loads(re.search(r"const SETTINGS = (\{.*?\});\n", page.text).group(1))
    assert settings["languages"][:3] == [["auto", "detect"], ["en", "English"], ["zh", "Chinese"]]
    assert (settings["topN"], settings["maxTopN"], settings["maxBytes"]) == (5, 100, 20_000)


def test_unknown_path_and_method_get_json_errors(client) -> None:
    missing = client.get("/v2/extract")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "GET /v2/extract: Not Found", "field": None},
                              "request_id": missing.headers["x-request-id"]}
    wrong = client.get("/v1/extract")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_request_ids_in_responses_and_log(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="keyextract.serve"):
        given = client.post("/v1/extract", json={"text": EN_2}, headers={"X-Request-ID": "job-7.a:1"})
        made = client.post("/v1/extract", json={"text": 1}, headers={"X-Request-ID": "has a space"})
    assert given.headers["x-request-id"] == "job-7.a:1"
    new_id = made.headers["x-request-id"]
    assert HEX_ID.fullmatch(new_id)
    assert made.json()["request_id"] == new_id
    lines = [r.getMessage() for r in caplog.records if r.name == "keyextract.serve"]
    assert "request_id=job-7.a:1 accepted POST /v1/extract" in lines
    assert any(re.fullmatch(r"request_id=job-7\.a:1 POST /v1/extract 200 texts=1 \d+\.\d ms", line) for line in lines)
    assert any(re.fullmatch(rf"request_id={new_id} POST /v1/extract 400 \d+\.\d ms", line) for line in lines)


# -- bad requests ------------------------------------------------------------------------------

BAD = [
    (b'{"text": ', "invalid_json", "body",
     "the body is not valid JSON: Expecting value: line 1 column 10 (char 9)"),
    (b"[]", "wrong_type", "body", "the body must be a JSON object, got list: []"),
    (b'{"text": 5}', "wrong_type", "text", "text: Input should be a valid string, got 5"),
    (b'{"texts": "abc"}', "wrong_type", "texts", 'texts: Input should be a valid list, got "abc"'),
    (b'{"texts": ["a", 3]}', "wrong_type", "texts[1]", "texts[1]: Input should be a valid string, got 3"),
    (b'{"text": "a", "top_n": "3"}', "wrong_type", "top_n", 'top_n: Input should be a valid integer, got "3"'),
    (b'{"text": "a", "keep_nested": "yes"}', "wrong_type", "keep_nested",
     'keep_nested: Input should be a valid boolean, got "yes"'),
    (b'{"text": "a", "topn": 3}', "unknown_option", "topn",
     "unknown option 'topn' (allowed: text, texts, top_n, lang, diversity, keep_nested, mode, exhaustive, "
     "max_words, position_weight, frequency_weight, attention_weight, markup)"),
    (b'{"text": "a", "model": "x"}', "unknown_option", "model",
     "model is set when the server starts (keyextract serve --model), not per request"),
    (b'{"text": "a", "top_n": 0}', "invalid_value", "top_n", "top_n: Input should be greater than or equal to 1, got 0"),
    (b'{"text": "a", "top_n": 101}', "invalid_value", "top_n",
     "top_n: Input should be less than or equal to 100, got 101"),
    (b'{"text": "a", "diversity": -0.1}', "invalid_value", "diversity",
     "diversity: Input should be greater than or equal to 0, got -0.1"),
    (b'{"text": "a", "mode": "fast"}', "invalid_value", "mode",
     "mode: Input should be 'mapped', 'isolated' or 'context', got \"fast\""),
    (b'{"text": "a", "lang": "xx"}', "invalid_value", "lang", None),
    (b'{"texts": []}', "invalid_value", "texts", "texts: the list is empty; give at least one text"),
    (b"{}", "missing_text", "text", 'give text (a string) or texts (a list of strings), e.g. {"text": "..."}'),
    (b'{"text": "a", "texts": ["b"]}', "missing_text", "texts", "give either text or texts, not both"),
    ('{"texts": ["ok", "café"]}'.encode("latin-1"), "invalid_utf8", "texts[1]",
     "texts[1]: byte 0xe9 at offset 21 of the body is not UTF-8 (send JSON in UTF-8)"),
    (b'{"text": "\\ud83d oops"}', "invalid_utf8", "text",
     "text: \\ud83d at character 0 is a lone surrogate, which has no UTF-8 form"),
    (b'\xff{"text": "a"}', "invalid_utf8", "body", "byte 0xff at offset 0 of the body is not UTF-8 (send JSON in UTF-8)"),
]


@pytest.mark.parametrize("body, code, field, message", BAD, ids=[f"{c}-{f}-{i}" for i, (_, c, f, _) in enumerate(BAD)])
def test_bad_requests_get_400_naming_the_field(client, body, code, field, message) -> None:
    response = client.post("/v1/extract", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    if message is not None:
        assert error["message"] == message
    else:
        assert error["message"].startswith("lang: Input should be 'auto', 'en', 'zh', ")
        assert error["message"].endswith(' got "xx"')
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_a_body_over_the_limit_gets_413(client) -> None:
    big = json.dumps({"text": "word " * 5000}).encode()
    declared = client.post("/v1/extract", content=big)
    assert declared.status_code == 413
    assert declared.json()["error"] == {
        "code": "request_too_large", "field": "body",
        "message": "the body exceeds 20000 bytes (--max-request-bytes); send fewer or shorter texts a request",
    }

    def chunks():  # no Content-Length: the body is counted as it arrives
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = client.post("/v1/extract", content=chunks())
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "request_too_large"
    at_limit = b'{"text": "a", "pad": "' + b"x" * (20_000 - 24) + b'"}'
    assert len(at_limit) == 20_000
    assert client.post("/v1/extract", content=at_limit).json()["error"]["code"] == "unknown_option"


def test_more_texts_than_allowed_get_413(client) -> None:
    response = client.post("/v1/extract", json={"texts": ["a"] * 5})
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_many_texts", "field": "texts",
        "message": "texts: at most 4 texts a request (--max-texts), got 5; split them over several requests",
    }


# -- batching, the queue, timeouts and failures: concurrent requests on one event loop -----------


@pytest.fixture
def held(monkeypatch):
    """``KeywordExtractor.extract_batch`` that records each call's texts, top_n and diversity, waits
    while a text holds HOLD until ``release`` is set, and fails on POISON and NOMODEL."""
    original = KeywordExtractor.extract_batch
    state = SimpleNamespace(calls=[], release=threading.Event(), holding=threading.Event())

    def extract_batch(self, texts, top_n=5, batch_size=None, progress=None, **guides):
        if texts:
            state.calls.append((list(texts), top_n, self.diversity))
        if any("HOLD" in t for t in texts):
            state.holding.set()
            state.release.wait(30)
        if any("POISON" in t for t in texts):
            raise RuntimeError("poisoned text")
        if any("NOMODEL" in t for t in texts):
            raise ModelLoadError("model 'x' cannot be loaded here")
        return original(self, texts, top_n, batch_size, progress, **guides)

    monkeypatch.setattr(KeywordExtractor, "extract_batch", extract_batch)
    return state


def run_app(app, scenario):
    """Run ``scenario(client)`` against ``app`` (lifespan included) with an httpx client on this
    event loop: requests in concurrent tasks are concurrent."""

    async def main():
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://serve") as client:
                return await scenario(client)

    return asyncio.run(main())


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_concurrent_requests_share_extract_batch_calls_by_options(held, en_model_dir) -> None:
    app = create_app(KeywordExtractor(model=en_model_dir), Limits(batch_wait_ms=1))
    batcher = app.state.service.batcher
    bodies = [{"text": f"{EN} HOLD"}] + [{"text": t, "top_n": 2} for t in (EN, EN_2, EN_3)] + [
        {"text": EN_2, "top_n": 3}, {"texts": [EN, EN_3], "top_n": 2}, {"text": EN, "top_n": 2, "diversity": 0.5},
        {"text": EN_3, "top_n": 3}]

    async def scenario(client):
        tasks = [asyncio.ensure_future(client.post("/v1/extract", json=bodies[0]))]
        await until(held.holding.is_set)
        for n, body in enumerate(bodies[1:], 1):  # one at a time, so that the queue's order is known
            tasks.append(asyncio.ensure_future(client.post("/v1/extract", json=body)))
            await until(lambda: batcher.load()["queued"] == sum(len(b.get("texts", [1])) for b in bodies[1 : n + 1]))
        health = await client.get("/health")  # the event loop answers while the encoder is busy
        held.release.set()
        return health, [r.json() for r in await asyncio.gather(*tasks)]

    health, answers = run_app(app, scenario)
    assert health.json() == {"status": "ok"}
    assert [(len(texts), top_n, diversity) for texts, top_n, diversity in held.calls] == [
        (1, 5, 0.0), (5, 2, 0.0), (2, 3, 0.0), (1, 2, 0.5)]
    assert held.calls[1][0] == [EN, EN_2, EN_3, EN, EN_3]
    extractor = KeywordExtractor(model=en_model_dir)
    assert_same(answers[5], records(extractor.extract_batch([EN, EN_3], top_n=2), extractor, [EN, EN_3],
                                    ["texts[0]", "texts[1]"]))
    assert_same(answers[4], records([extractor.extract(EN_2, top_n=3)], extractor, [EN_2], ["text"]))


def test_a_full_queue_gets_503_with_retry_after(held, en_model_dir) -> None:
    app = create_app(KeywordExtractor(model=en_model_dir), Limits(max_queue=2, max_texts=2))
    batcher = app.state.service.batcher

    async def scenario(client):
        first = asyncio.ensure_future(client.post("/v1/extract", json={"text": "HOLD " + EN}))
        await until(held.holding.is_set)
        second = asyncio.ensure_future(client.post("/v1/extract", json={"texts": [EN_2, EN_3]}))
        await until(lambda: batcher.load()["queued"] == 2)
        refused = await client.post("/v1/extract", json={"text": EN})
        held.release.set()
        return refused, await first, await second

    refused, first, second = run_app(app, scenario)
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"] == {
        "code": "queue_full", "field": None,
        "message": f"the queue is full; retry after {refused.headers['retry-after']} s: 2 texts are waiting "
                   "(--max-queue 2)",
    }
    assert (first.status_code, second.status_code) == (200, 200)
    assert [r["source"] for r in second.json()] == ["texts[0]", "texts[1]"]


def test_a_request_not_answered_in_time_gets_504_and_leaves_the_queue(held, en_model_dir) -> None:
    app = create_app(KeywordExtractor(model=en_model_dir), Limits(timeout=0.5))
    batcher = app.state.service.batcher

    async def scenario(client):
        first = asyncio.ensure_future(client.post("/v1/extract", json={"text": "HOLD " + EN}))
        await until(held.holding.is_set)
        waiting = await client.post("/v1/extract", json={"text": EN_2})
        load = batcher.load()
        held.release.set()
        return await first, waiting, load, await client.post("/v1/extract", json={"text": EN_3})

    first, waiting, load, later = run_app(app, scenario)
    for response in (first, waiting):
        assert response.status_code == 504
        assert response.json()["error"] == {
            "code": "timeout", "field": None,
            "message": "no result within 0.5 s (--timeout): the service is busy or the texts are long",
        }
    assert load["queued"] == 0  # the timed-out text left the queue unrun
    assert [texts for texts, _, _ in held.calls] == [["HOLD " + EN], [EN_3]]
    assert later.status_code == 200


def test_one_failing_text_gets_an_error_entry_and_the_others_their_keyphrases(held, en_model_dir) -> None:
    app = create_app(KeywordExtractor(model=en_model_dir))
    texts = [EN, "POISON " + EN_2, EN_3, "NOMODEL"]

    async def scenario(client):
        return await client.post("/v1/extract", json={"texts": texts, "top_n": 3})

    response = run_app(app, scenario)
    extractor = KeywordExtractor(model=en_model_dir)  # the batch failed: each text ran alone
    good = [records([extractor.extract(text, top_n=3)], extractor, [text], [source])[0]
            for text, source in ((EN, "texts[0]"), (EN_3, "texts[2]"))]
    assert response.status_code == 200
    assert response.json() == [
        good[0],
        {"source": "texts[1]", "model": None, "keywords": [],
         "error": {"code": "extraction_failed", "message": "RuntimeError: poisoned text", "field": None}},
        good[1],
        {"source": "texts[3]", "model": None, "keywords": [],
         "error": {"code": "model_unavailable", "message": "model 'x' cannot be loaded here", "field": None}},
    ]
    for record in response.json():
        DocumentResult.model_validate(record)


def test_ready_says_loading_until_the_preload_is_done(held, en_model_dir, monkeypatch) -> None:
    from keyextract import serve

    monkeypatch.setattr(serve, "_WARMUP_TEXT", "HOLD Keyword extraction ranks candidate phrases.")

    async def scenario(client):
        loading = await client.get("/ready")
        held.release.set()
        await until(app.state.service.batcher.ready.is_set)
        return loading, await client.get("/ready")

    app = create_app(KeywordExtractor(model=en_model_dir), preload=["en"])
    loading, ready = run_app(app, scenario)
    assert (loading.status_code, loading.json()) == (503, {"status": "loading", "preload": ["en"]})
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


def test_create_app_names_bad_settings(en_model_dir) -> None:
    with pytest.raises(ValueError, match=r"^preload: unknown language 'xx'; allowed: en, zh, "):
        create_app(KeywordExtractor(model=en_model_dir), preload=["xx"])
    with pytest.raises(ValueError, match=r"^diversity must be in \[0, 1\], got 2$"):
        create_app(KeywordExtractor(model=en_model_dir, diversity=2))
    with pytest.raises(ValueError, match=r"^max_texts \(10\) must not exceed max_queue \(5\)"):
        Limits(max_texts=10, max_queue=5)


# -- the command -------------------------------------------------------------------------------


def test_serve_command_errors_are_one_line(cli, en_model_dir, tmp_path) -> None:
    port = cli("serve", "--port", "70000")
    assert (port.returncode, port.stderr) == (
        2, "keyextract: error: argument --port: must be in [0, 65535] (0: any free port), got 70000 "
           "(see keyextract --help)\n")
    limits = cli("serve", "--max-texts", "10", "--max-queue", "5")
    assert (limits.returncode, limits.stderr) == (
        2, "keyextract: error: --max-texts (10) must not exceed --max-queue (5) (see keyextract --help)\n")
    model = cli("serve", "--model", str(tmp_path / "missing"))
    assert model.returncode == 2
    assert model.stderr.startswith("keyextract: error: ") and model.stderr.count("\n") == 1
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        run = cli("serve", "--port", busy, "--model", en_model_dir)
    assert run.returncode == 2
    assert run.stderr.endswith(f"keyextract: error: cannot listen on 127.0.0.1:{busy}: Address already in use\n")


# -- a real server process ---------------------------------------------------------------------


class ServerProcess:
    """``python -m keyextract serve ARGS --port 0`` with its stderr read into ``lines``."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "keyextract", "serve", "--port", "0", *args],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True)
        self.reader.start()
        self.url = self.wait_for(r"serving on (http://127\.0\.0\.1:\d+)/", 120).group(1)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            assert self.proc.poll() is None or found, "".join(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the server's log:\n{''.join(self.lines)}")


@pytest.mark.slow
def test_a_real_server_finishes_every_accepted_request_on_sigterm(en_model_dir) -> None:
    server = ServerProcess("--model", en_model_dir, "--log-level", "debug", "--max-batch", "4")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            deadline = time.monotonic() + 120
            while client.get("/ready").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert client.get("/health").json() == {"status": "ok"}
            one = client.post("/v1/extract", json={"text": EN, "top_n": 3}, headers={"X-Request-ID": "first-1"})
            extractor = KeywordExtractor(model=en_model_dir)
            assert one.json() == records([extractor.extract(EN, top_n=3)], extractor, [EN], ["text"])
            assert one.headers["x-request-id"] == "first-1"
            server.wait_for(r"request_id=first-1 POST /v1/extract 200 texts=1 ", 10)

        # load: 8 clients, each sending 3 abstracts a request until the server goes away
        answered: dict[str, httpx.Response] = {}
        refused: list[str] = []
        texts = abstract_texts(40)

        def client_loop(number: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                for sent in range(1000):
                    request_id = f"load-{number}-{sent}"
                    body = {"texts": [texts[(number * 7 + sent * 3 + k) % len(texts)] for k in range(3)]}
                    try:
                        answered[request_id] = http.post("/v1/extract", json=body, headers={"X-Request-ID": request_id})
                    except httpx.TransportError:
                        refused.append(request_id)
                        return

        clients = [threading.Thread(target=client_loop, args=(n,)) for n in range(8)]
        for thread in clients:
            thread.start()
        server.wait_for(r"request_id=load-\S+ POST /v1/extract 200", 60)  # under load
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(60) == 0
        for thread in clients:
            thread.join(60)
        server.reader.join(10)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    log = "".join(server.lines)
    in_progress = int(re.search(r"SIGTERM: accepting no more requests; finishing the (\d+) accepted", log).group(1))
    accepted = set(re.findall(r"request_id=(load-\S+) accepted POST /v1/extract", log))
    assert in_progress >= 1  # the stop came while requests were being worked on
    assert accepted == set(answered)  # every accepted request answered, none answered unaccepted
    assert not accepted & set(refused)
    assert len(refused) == 8
    assert all(r.status_code == 200 and len(r.json()) == 3 for r in answered.values())
    assert "stopped" in server.lines[-1]
