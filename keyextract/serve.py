"""HTTP service and web page: ``keyextract serve`` (the ``serve`` extra: Starlette, uvicorn, pydantic).

>>> from keyextract import KeywordExtractor
>>> from keyextract.serve import create_app, Limits
>>> app = create_app(KeywordExtractor(model="/models/all-MiniLM-L6-v2"), Limits(max_texts=16))
>>> # any ASGI server runs it; `keyextract serve` runs it on uvicorn

Endpoints: ``POST /v1/extract`` (``{"text": ...}`` or ``{"texts": [...]}`` with per-request
options; the answer is what ``keyextract --format json`` prints for those texts), ``GET /health``
(the process is up), ``GET /ready`` (the preloaded encoders are loaded), ``GET /openapi.json``, and
``GET /`` (a page to try it). Every response carries an ``X-Request-ID`` header (the client's, if
it sent a usable one), which the log lines of that request name.

Texts of concurrent requests with the same options go to ``KeywordExtractor.extract_batch``
together, in a worker thread (``keyextract.batching``): the event loop never waits on the encoder.
Limits (``Limits``): request size (413), texts per request (413), waiting texts (503 with
``Retry-After``), time per request (504). Bad requests get a 4xx whose JSON body names the field.
A text whose extraction fails gets an entry with ``error`` and the others their keyphrases.

Why Starlette and not FastAPI: the body is read and parsed here, to bound its size while it
arrives and to say which field holds bytes that are not UTF-8, so FastAPI's body handling and
dependency injection would go unused; pydantic (which FastAPI builds on) validates the options
and gives the JSON Schema of the OpenAPI document. uvicorn is the ASGI server Starlette documents;
its graceful shutdown (stop accepting, let open requests finish) is what SIGTERM needs.
"""

from __future__ import annotations

try:
    import uvicorn
    from pydantic import BaseModel, ConfigDict, Field, ValidationError
    from pydantic.json_schema import models_json_schema
    from starlette.applications import Starlette
    from starlette.datastructures import MutableHeaders
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route
except ImportError as _exc:  # pragma: no cover - exercised by a test that hides starlette
    raise ImportError(
        f"keyextract serve needs starlette, uvicorn and pydantic ({_exc.name or _exc} is missing): "
        "install keyextract with its serve extra, e.g. pip install \".[serve]\""
    ) from _exc

import asyncio
import contextlib
import json
import logging
import re
import signal
import socket
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from . import __version__
from ._data import data_path
from .batching import Batcher, Closed, QueueFull
from .cli import encoder_names, json_record
from .documents import MARKUP_MODES
from .errors import ModelLoadError
from .extractor import KeywordExtractor
from .languages import LANGS, language_name

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Largest ``top_n`` and ``max_words`` a request may ask for: isolated mode encodes ``3 * top_n + 5``
#: phrases of a document, and longer phrases mean more candidates.
MAX_TOP_N = 100
MAX_WORDS = 10
#: Extractors kept, one per distinct set of per-request options (each is small: the encoders are
#: shared by all, ``encoder.load_encoder``).
_EXTRACTORS_KEPT = 32
#: Options a request may not set: they pick or place the encoder, for the whole process.
SERVER_OPTIONS = {
    "model": "--model", "device": "--device", "batch_size": "--batch-size", "quantize": "--quantize",
    "stopwords": "--stopwords", "user_dict": "--user-dict", "max_length": "--model",
}
# What --preload extracts from, once per language, to load that language's encoder: candidates in
# English, Chinese and, read as any other language, n-grams. The English half alone goes through
# language identification (a text with Chinese in it is told Chinese before the identifier runs).
_WARMUP_ENGLISH = "Keyword extraction ranks candidate phrases by their similarity to the document."
_WARMUP_TEXT = _WARMUP_ENGLISH + " 关键词抽取对候选短语排序。"
# Seconds a graceful stop waits beyond the request timeout before it cancels what is left.
_STOP_MARGIN = 10
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_log = logging.getLogger("keyextract.serve")


@dataclass(frozen=True)
class Limits:
    """Bounds of the service.

    ``max_request_bytes``: request body (413 beyond it); ``max_texts``: texts per request (413);
    ``max_queue``: texts waiting for the encoder (503 with ``Retry-After`` for a request that does
    not fit); ``max_batch``: texts per ``extract_batch`` call; ``batch_wait_ms``: how long a batch
    waits to fill after its first text arrived; ``timeout``: seconds from a request's acceptance to
    its answer (504 beyond it); ``max_connections``: open connections and requests (uvicorn's
    ``limit_concurrency``; beyond it uvicorn answers 503 at once), a backstop for memory.
    """

    max_request_bytes: int = 1024 * 1024
    max_texts: int = 64
    max_queue: int = 256
    max_batch: int = 32
    batch_wait_ms: float = 5.0
    timeout: float = 60.0
    max_connections: int = 1024

    def __post_init__(self) -> None:
        for name in ("max_request_bytes", "max_texts", "max_queue", "max_batch", "max_connections"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.max_texts > self.max_queue:
            raise ValueError(f"max_texts ({self.max_texts}) must not exceed max_queue ({self.max_queue}): "
                             "a request with more texts than the queue holds could never be accepted")
        if not 0 <= self.batch_wait_ms <= 1000:
            raise ValueError(f"batch_wait_ms must be in [0, 1000], got {self.batch_wait_ms!r}")
        if not 0 < self.timeout <= 86400:
            raise ValueError(f"timeout must be in (0, 86400] seconds, got {self.timeout!r}")


# -- the request and response bodies ------------------------------------------------------------

_Lang = Literal[LANGS]  # type: ignore[valid-type]
_Markup = Literal[MARKUP_MODES]  # type: ignore[valid-type]


class ExtractRequest(BaseModel):
    """Body of ``POST /v1/extract``: ``text`` or ``texts``, and options. An option left out (or
    ``null``) takes the server's setting (``keyextract serve`` options, else the
    ``KeywordExtractor`` default)."""

    model_config = ConfigDict(extra="forbid", strict=True, title="ExtractRequest")

    text: str | None = Field(None, description="One document (plain text, HTML/XML or Markdown).")
    texts: list[str] | None = Field(None, min_length=1, description="Documents; at most the server's --max-texts.")
    top_n: int | None = Field(None, ge=1, le=MAX_TOP_N, description="Keyphrases per document (server default: 5).")
    lang: _Lang | None = Field(None, description="Document language; auto detects it per document.")
    diversity: float | None = Field(None, ge=0, le=1, description="MMR diversity; 0 ranks by relevance only.")
    keep_nested: bool | None = Field(None, description="Also list phrases nested in a listed one.")
    mode: Literal["mapped", "isolated", "context"] | None = Field(
        None, description="Phrase vectors from the document pass mapped to isolated ones (default), each phrase encoded alone, or pooled in context as they are.")
    exhaustive: bool | None = Field(None, description="Isolated mode: encode every candidate, not only the shortlist.")
    max_words: int | None = Field(None, ge=1, le=MAX_WORDS, description="Longest phrase in words.")
    position_weight: float | None = Field(None, ge=0, le=10, description="Weight of the early-occurrence prior.")
    frequency_weight: float | None = Field(None, ge=0, le=10, description="Weight of the frequency prior.")
    attention_weight: float | None = Field(None, ge=0, le=10, description="Weight of the encoder-attention prior.")
    markup: _Markup | None = Field(None, description="How a text is read: auto, html, markdown or none (plain text).")


#: Per-request options that are ``KeywordExtractor`` parameters (``top_n`` is ``extract_batch``'s).
EXTRACTOR_OPTIONS = tuple(name for name in ExtractRequest.model_fields if name not in ("text", "texts", "top_n"))


class KeywordResult(BaseModel):
    """One keyphrase, as ``keyextract.Keyword.to_dict`` gives it."""

    model_config = ConfigDict(extra="forbid", title="Keyword")

    phrase: str
    score: float
    spans: list[list[int]] = Field(description="[start, end) character offsets of each occurrence in the text.")
    parts: dict[str, float] = Field(description="The terms score is the sum of.")
    confidence: float | None = Field(None, description="Calibrated confidence in [0, 1], where the extractor gives one.")


class DocumentResult(BaseModel):
    """One document's result, as ``keyextract --format json`` prints it; ``error`` instead of
    keyphrases when its extraction failed (the request's other texts are not affected)."""

    model_config = ConfigDict(extra="forbid", title="DocumentResult")

    source: str = Field(description='Where the text was in the request: "text" or "texts[i]".')
    model: str | None = Field(description="The encoder that ranked its phrases; null when none ran.")
    keywords: list[KeywordResult]
    error: ErrorDetail | None = Field(None, description="Present only when this text failed.")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", title="ErrorDetail")

    code: str = Field(description="Machine-readable: invalid_json, invalid_utf8, wrong_type, invalid_value, "
                      "unknown_option, missing_text, request_too_large, too_many_texts, queue_full, timeout, "
                      "shutting_down, model_unavailable, extraction_failed, not_found, method_not_allowed.")
    message: str = Field(description="One line for people.")
    field: str | None = Field(None, description='The field at fault: "body", "top_n", "texts[2]", ...')


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Error")

    error: ErrorDetail
    request_id: str


DocumentResult.model_rebuild()


class _RequestError(Exception):
    """A request answered with an error: HTTP ``status``, ``code``, one-line ``message``, ``field``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers


def _error_response(request_id: str, status: int, code: str, message: str, field: str | None = None,
                    headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}, "request_id": request_id}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: Sequence[str | int]) -> str:
    """``("texts", 2)`` -> ``texts[2]``."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_request(body: bytes, max_texts: int) -> ExtractRequest:
    """The validated request in ``body`` (JSON, UTF-8). Raises ``_RequestError`` (400, or 413 for
    more than ``max_texts`` texts) naming the field at fault."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        field = _utf8_field(body)
        where = f"{field}: " if field != "body" else ""
        raise _RequestError(400, "invalid_utf8", f"{where}byte 0x{body[exc.start]:02x} at offset {exc.start} of the "
                            "body is not UTF-8 (send JSON in UTF-8)", field) from None
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise _RequestError(400, "invalid_json", f"the body is not valid JSON: {exc}", "body") from None
    if not isinstance(data, dict):
        raise _RequestError(400, "wrong_type", f"the body must be a JSON object, got {type(data).__name__}: "
                            f"{_short(data)}", "body")
    for name in data:
        if name in SERVER_OPTIONS:
            raise _RequestError(400, "unknown_option", f"{name} is set when the server starts "
                                f"(keyextract serve {SERVER_OPTIONS[name]}), not per request", name)
    try:
        request = ExtractRequest.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    if (request.text is None) == (request.texts is None):
        both = request.text is not None
        raise _RequestError(400, "missing_text", "give either text or texts, not both" if both else
                            'give text (a string) or texts (a list of strings), e.g. {"text": "..."}',
                            "texts" if both else "text")
    texts = [request.text] if request.texts is None else request.texts
    for i, text in enumerate(texts):
        lone = _LONE_SURROGATE.search(text)
        if lone:
            field = "text" if request.texts is None else f"texts[{i}]"
            raise _RequestError(400, "invalid_utf8", f"{field}: \\u{ord(lone.group()):04x} at character "
                                f"{lone.start()} is a lone surrogate, which has no UTF-8 form", field)
    if len(texts) > max_texts:
        raise _RequestError(413, "too_many_texts", f"texts: at most {max_texts} texts a request (--max-texts), "
                            f"got {len(texts)}; split them over several requests", "texts")
    return request


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _validation_error(exc: ValidationError) -> _RequestError:
    """The first problem pydantic found, as a one-line error naming its field."""
    error = exc.errors(include_url=False)[0]
    field = _field_name(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(ExtractRequest.model_fields)
        return _RequestError(400, "unknown_option", f"unknown option {field!r} (allowed: {allowed})", field)
    if kind == "too_short":
        return _RequestError(400, "invalid_value", f"{field}: the list is empty; give at least one text", field)
    code = "wrong_type" if kind.endswith(("_type", "_parsing")) or kind == "int_from_float" else "invalid_value"
    return _RequestError(400, code, f"{field}: {error['msg']}, got {_short(error.get('input'))}", field)


def _utf8_field(body: bytes) -> str:
    """The field whose string holds the first byte that is not UTF-8 ("body" when it is outside
    any string value or the body is no JSON object)."""
    try:
        data = json.loads(body.decode("utf-8", "surrogateescape"))
    except json.JSONDecodeError:
        return "body"
    if isinstance(data, dict):
        for name, value in data.items():
            if isinstance(value, str) and _LONE_SURROGATE.search(value):
                return name
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str) and _LONE_SURROGATE.search(item):
                        return f"{name}[{i}]"
    return "body"


# -- the service --------------------------------------------------------------------------------


class Service:
    """One running service: the extractor settings, the batcher, the requests in progress.

    ``extractor`` gives the server's settings; a request's options make an extractor of their own
    (kept, ``_EXTRACTORS_KEPT``; the encoders are shared). ``preload``: language codes whose
    encoders load at startup, before ``/ready`` says ready. ``top_n``: a request's default.
    """

    def __init__(self, extractor: KeywordExtractor, limits: Limits, preload: Sequence[str] = (), top_n: int = 5) -> None:
        for code in preload:
            if code not in LANGS or code == "auto":
                raise ValueError(f"preload: unknown language {code!r}; allowed: {', '.join(LANGS[1:])}")
        if not isinstance(top_n, int) or not 1 <= top_n <= MAX_TOP_N:
            raise ValueError(f"top_n must be an integer in [1, {MAX_TOP_N}], got {top_n!r}")
        extractor.extract_batch([], top_n=top_n)  # validates its parameters; loads nothing
        self.limits, self.preload, self.top_n = limits, tuple(preload), top_n
        self.settings = {k: v for k, v in vars(extractor).items() if not k.endswith("_")}
        self._extractors: OrderedDict[tuple, KeywordExtractor] = OrderedDict()
        self._extractors[()] = extractor
        self.models: dict[str, str] = {}  # language -> encoder that ran, replaced whole by the worker
        self.active = 0  # requests being handled
        self.batcher = Batcher(
            self._run_batch, _failure, max_batch=limits.max_batch, max_wait=limits.batch_wait_ms / 1000,
            max_queue=limits.max_queue, warmup=self._warmup,
        )

    # worker thread

    def _extractor(self, options: tuple) -> KeywordExtractor:
        extractor = self._extractors.get(options)
        if extractor is None:
            extractor = KeywordExtractor(**{**self.settings, **dict(options)})
            self._extractors[options] = extractor
            if len(self._extractors) > _EXTRACTORS_KEPT:
                oldest = next(k for k in self._extractors if k != ())
                del self._extractors[oldest]
        self._extractors.move_to_end(options)
        return extractor

    def _warmup(self) -> None:
        self._extractors[()].language(_WARMUP_ENGLISH)  # loads the language identifier, if lang is auto
        for code in self.preload:
            started = time.monotonic()
            extractor = self._extractor((("lang", code),))
            extractor.extract(_WARMUP_TEXT)
            self._note_models(extractor)
            _log.info("encoder for %s loaded in %.1f s: %s", language_name(code), time.monotonic() - started,
                      extractor.models_.get(code))

    def _note_models(self, extractor: KeywordExtractor) -> None:
        found = getattr(extractor, "models_", {})
        if any(self.models.get(lang) != model for lang, model in found.items()):
            self.models = {**self.models, **found}

    def _run_batch(self, key: Hashable, texts: list[str], tags: list[tuple[str, str]]) -> list[dict]:
        """Records of ``texts`` (``tags``: request id and source of each), extracted together; if
        that fails, each alone, so that one failing text does not fail the others."""
        top_n, options = key
        extractor = self._extractor(options)
        try:
            results = extractor.extract_batch(texts, top_n=top_n, progress=False)
            models = encoder_names(extractor, texts, results)
        except Exception as exc:  # noqa: BLE001 - isolated below, reported per text
            if len(texts) > 1:
                return [self._run_batch(key, [text], [tag])[0] for text, tag in zip(texts, tags)]
            request_id, source = tags[0]
            if isinstance(exc, ModelLoadError):
                _log.error("request_id=%s %s: %s", request_id, source, exc)
            else:
                _log.exception("request_id=%s %s: extraction failed", request_id, source)
            return [{**json_record(source, [], None), "error": _failure(exc)}]
        self._note_models(extractor)
        return [json_record(source, keywords, model)
                for (_, source), keywords, model in zip(tags, results, models)]

    # event loop

    def options_key(self, request: ExtractRequest) -> tuple:
        """What a request's texts are batched by: ``top_n`` and the options it sets that differ
        from the server's."""
        options = tuple(
            (name, value) for name in EXTRACTOR_OPTIONS
            if (value := getattr(request, name)) is not None and value != self.settings.get(name)
        )
        return (request.top_n if request.top_n is not None else self.top_n, options)


def _failure(exc: BaseException) -> dict:
    if isinstance(exc, ModelLoadError):
        return {"code": "model_unavailable", "message": str(exc), "field": None}
    return {"code": "extraction_failed", "message": f"{type(exc).__name__}: {exc}", "field": None}


def create_app(
    extractor: KeywordExtractor | None = None,
    limits: Limits | None = None,
    *,
    preload: Sequence[str] = (),
    top_n: int = 5,
) -> Starlette:
    """The ASGI application of the service.

    Arguments:
        extractor: the server's settings (model, language, options); a request's options
            override its own. ``None``: ``KeywordExtractor()``.
        limits: the service's bounds (``Limits()``: its defaults).
        preload: language codes whose encoders load when the application starts; ``/ready``
            answers 503 until they have.
        top_n: keyphrases per document when a request does not say.

    The batcher's worker thread starts and stops with the application's lifespan: run it with
    a server that sends lifespan events (uvicorn does), or enter ``TestClient(app)``.

    Raises:
        ValueError: an invalid extractor parameter, ``preload`` code or ``top_n``.
    """
    limits = limits or Limits()
    service = Service(extractor or KeywordExtractor(), limits, preload, top_n)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        service.batcher.start()
        yield
        await asyncio.get_running_loop().run_in_executor(None, service.batcher.close)

    async def extract(request: Request) -> Response:
        request_id = request.state.request_id
        try:
            body = await _read_body(request, limits.max_request_bytes)
            parsed = parse_request(body, limits.max_texts)
        except _RequestError as exc:
            return _error_response(request_id, exc.status, exc.code, exc.message, exc.field, exc.headers)
        texts, sources = ([parsed.text], ["text"]) if parsed.texts is None else (
            parsed.texts, [f"texts[{i}]" for i in range(len(parsed.texts))])
        request.state.texts = len(texts)
        try:
            ticket = service.batcher.submit(service.options_key(parsed), texts, [(request_id, s) for s in sources])
        except QueueFull as exc:
            return _error_response(request_id, 503, "queue_full", f"{exc}: {service.batcher.load()['queued']} texts "
                                   f"are waiting (--max-queue {limits.max_queue})", None,
                                   {"Retry-After": str(exc.retry_after)})
        except Closed as exc:
            return _error_response(request_id, 503, "shutting_down", str(exc), None, {"Retry-After": "1"})
        try:
            records = await asyncio.wait_for(ticket.future, limits.timeout)
        except TimeoutError:
            service.batcher.cancel(ticket)
            return _error_response(request_id, 504, "timeout", f"no result within {limits.timeout:g} s "
                                   "(--timeout): the service is busy or the texts are long")
        return Response(json.dumps(records, ensure_ascii=False), media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        batcher = service.batcher
        if not batcher.ready.is_set():
            return JSONResponse({"status": "loading", "preload": list(service.preload)}, status_code=503)
        if batcher.warmup_error is not None:
            return JSONResponse({"status": "failed", "error": str(batcher.warmup_error)}, status_code=503)
        return JSONResponse({"status": "ready", "models": service.models, **batcher.load()})

    page = _page(limits, service.top_n)

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers={"Content-Security-Policy": _PAGE_POLICY})

    spec = openapi(limits)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(spec)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return _error_response(request.state.request_id, exc.status_code, code, message, None,
                               dict(exc.headers or {}))

    async def internal_error(request: Request, exc: Exception) -> Response:
        # the traceback goes to the log (Starlette re-raises the exception for the server to log)
        return _error_response(getattr(request.state, "request_id", ""), 500, "internal_error",
                               f"{type(exc).__name__}: {exc}")

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/v1/extract", extract, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ],
        middleware=[Middleware(_RequestIds, service=service)],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.service = service
    return app


class _RequestIds:
    """ASGI middleware: gives each request an id (the client's ``X-Request-ID`` when it is 1-128
    of ``A-Z a-z 0-9 . _ : -``, else a new UUID), returns it in the ``X-Request-ID`` header, logs
    the request's start (DEBUG) and its end (INFO: method, path, status, texts, milliseconds),
    and counts the requests in progress (``Service.active``)."""

    def __init__(self, app, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        self.service.active += 1
        _log.debug("request_id=%s accepted %s %s", request_id, scope["method"], scope["path"])

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.service.active -= 1
            texts = f" texts={state['texts']}" if "texts" in state else ""
            _log.info("request_id=%s %s %s %d%s %.1f ms", request_id, scope["method"], scope["path"], status, texts,
                      1000 * (time.perf_counter() - started))


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body; ``_RequestError`` 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = _RequestError(413, "request_too_large", f"the body exceeds {limit} bytes (--max-request-bytes); "
                              "send fewer or shorter texts a request", "body")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        raise _RequestError(400, "client_disconnected", "the client went away before the body ended", "body") from None
    return b"".join(chunks)


# -- the page and the OpenAPI document ----------------------------------------------------------

# The page loads nothing from elsewhere (it must work offline); the browser enforces that too.
_PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")


def _page(limits: Limits, top_n: int) -> str:
    """The page (``data/serve/index.html``) with its settings filled in."""
    settings = {
        "languages": [[code, "detect" if code == "auto" else language_name(code)] for code in LANGS],
        "maxTopN": MAX_TOP_N, "topN": top_n, "maxBytes": limits.max_request_bytes,
    }
    html = data_path("serve", "index.html").read_text(encoding="utf-8")
    return html.replace("/*SETTINGS*/{}", json.dumps(settings, ensure_ascii=False).replace("</", "<\\/"))


def openapi(limits: Limits) -> dict:
    """The OpenAPI 3.1 description of the service (schemas from the pydantic models)."""
    _, schemas = models_json_schema(
        [(ExtractRequest, "validation"), (DocumentResult, "serialization"), (ErrorBody, "serialization")],
        ref_template="#/components/schemas/{model}",
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    retry = {"Retry-After": {"description": "Seconds after which to try again.", "schema": {"type": "integer"}}}
    request_id = {"X-Request-ID": {"description": "The request's id, as the log names it.", "schema": {"type": "string"}}}
    status = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": "keyextract", "version": __version__,
                 "description": "Keyphrases of documents: POST /v1/extract. The page at / calls it."},
        "paths": {
            "/v1/extract": {"post": {
                "operationId": "extract",
                "summary": "Keyphrases of one text or several",
                "description": "The answer is what `keyextract --format json` prints: one object per text, in "
                f"order. At most {limits.max_texts} texts and {limits.max_request_bytes} bytes a request; "
                f"the answer comes within {limits.timeout:g} s or the request gets 504.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ExtractRequest"}}}},
                "responses": {
                    "200": {"description": "One result per text, in order.", "headers": request_id,
                            "content": {"application/json": {"schema": {
                                "type": "array", "items": {"$ref": "#/components/schemas/DocumentResult"}}}}},
                    "400": {"description": "Invalid JSON, UTF-8, type, value or option; error.field names it.",
                            "content": error},
                    "413": {"description": "Body over the size limit, or too many texts.", "content": error},
                    "503": {"description": "The queue is full, or the service is stopping.", "headers": retry,
                            "content": error},
                    "504": {"description": "No answer within the time limit.", "content": error},
                },
            }},
            "/health": {"get": {"operationId": "health", "summary": "The process is up",
                                "responses": {"200": {"description": "Up.", "content": {
                                    "application/json": {"schema": status}}}}}},
            "/ready": {"get": {"operationId": "ready", "summary": "The preloaded encoders are loaded",
                               "responses": {"200": {"description": "Ready.", "content": {
                                   "application/json": {"schema": status}}},
                                   "503": {"description": "Loading, or loading failed.", "content": {
                                       "application/json": {"schema": status}}}}}},
            "/": {"get": {"operationId": "page", "summary": "A page to try the service",
                          "responses": {"200": {"description": "HTML.", "content": {"text/html": {}}}}}},
        },
        "components": {"schemas": schemas["$defs"]},
    }


# -- running it ---------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, saying at SIGTERM how many accepted requests it will finish."""

    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service

    def handle_exit(self, sig: int, frame) -> None:
        if not self.should_exit:
            _log.info("%s: accepting no more requests; finishing the %d accepted", signal.Signals(sig).name,
                      self.service.active)
        super().handle_exit(sig, frame)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port). Raises ``OSError``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def run_server(app: Starlette, sock: socket.socket, limits: Limits) -> int:
    """Serve ``app`` (from ``create_app``) on ``sock`` until SIGTERM or SIGINT; return 0.

    At SIGTERM the server stops accepting connections, finishes every request it accepted, stops
    the batcher, and returns. (uvicorn re-raises the signal it stopped on once it has stopped, to
    end the process as the signal would; the handler installed here for that moment does nothing,
    so the process exits 0.) Every accepted request is answered within ``limits.timeout`` (504 at
    the latest); what is still open ``limits.timeout + 10`` seconds after the signal (a body still
    arriving from a slow client) is cancelled, so that a stop always ends.
    """
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                            limit_concurrency=limits.max_connections, timeout_keep_alive=5,
                            timeout_graceful_shutdown=limits.timeout + _STOP_MARGIN)
    server = _Server(config, app.state.service)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    _log.info("keyextract %s serving on http://%s:%d/ (page /, API POST /v1/extract, OpenAPI /openapi.json)",
              __version__, shown, port)
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
    _log.info("stopped")
    return 0


def _stopped(sig: int, frame) -> None:
    """SIGTERM after the graceful stop: nothing left to do."""


def run_serve_command(args, extractor: KeywordExtractor) -> int:
    """``keyextract serve``: build the app from parsed arguments (``cli._run_serve``) and run it."""
    from .errors import EXIT_USAGE

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("keyextract").setLevel(args.log_level.upper())
    limits = Limits(
        max_request_bytes=args.max_request_bytes, max_texts=args.max_texts, max_queue=args.max_queue,
        max_batch=args.max_batch, batch_wait_ms=args.batch_wait_ms, timeout=args.timeout,
        max_connections=args.max_connections,
    )
    preload = args.preload if args.preload is not None else ([args.lang] if args.lang != "auto" else ["en"])
    app = create_app(extractor, limits, preload=preload, top_n=args.top)
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(f"keyextract: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_server(app, sock, limits)
