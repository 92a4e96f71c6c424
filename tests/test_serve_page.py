"""The page of keyextract serve (GET /) in a real headless browser: Debian's chromium driven through
chromium-driver by Selenium, against a uvicorn server in this process (all-MiniLM-L6-v2). An English
text pasted and a Chinese file dropped: the phrases highlighted in the DOM, the list with scores and
the encoder must be those the API answers; a screenshot of each is saved (its path is printed and
recorded as a property of the test; $KEYEXTRACT_ARTIFACTS names a folder to keep them in)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from conftest import same_phrase

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="needs Debian's chromium and chromium-driver on the PATH "
                       "(apt-get install chromium chromium-driver; .ci/run installs them)"),
]
pytest.importorskip("selenium", reason="needs selenium (the test extra)")
pytest.importorskip("starlette", reason="keyextract serve needs the serve extra (starlette, uvicorn, pydantic)")
httpx = pytest.importorskip("httpx", reason="needs httpx (the test extra)")

EN = (
    "Coral reefs are increasingly threatened by marine heatwaves, which trigger mass coral bleaching when the "
    "symbiosis between corals and their photosynthetic dinoflagellate algae breaks down. We combine "
    "satellite-derived sea surface temperature records with underwater transect surveys from 42 reef sites to "
    "quantify how thermal stress accumulates. Turbid inshore reefs bleached less than clear offshore reefs under "
    "the same thermal anomaly, and reef management should include water clarity."
)
ZH = (
    "关键词提取是自然语言处理中的一项重要任务。本文提出一种基于预训练语言模型的无监督关键词提取方法，"
    "利用候选短语与文档之间的语义相似度进行排序。实验表明，该方法在中文新闻数据集上优于传统的统计方法。"
)


@pytest.fixture(scope="module")
def base_url(minilm_dir):
    """A uvicorn server in a thread of this process, on a free port of 127.0.0.1, ready."""
    import uvicorn

    from keyextract import KeywordExtractor
    from keyextract.serve import create_app, listen

    app = create_app(KeywordExtractor(model=minilm_dir), preload=["en"])
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not get ready"
        time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: $KEYEXTRACT_ARTIFACTS if set (to keep them), else a pytest temporary folder."""
    kept = os.environ.get("KEYEXTRACT_ARTIFACTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return tmp_path_factory.mktemp("serve_page_screenshots")


def extract_on_page(browser, lang: str, top_n: int, diversity: float) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    top = browser.find_element(By.ID, "top-n")
    top.clear()
    top.send_keys(str(top_n))
    Select(browser.find_element(By.ID, "lang")).select_by_value(lang)
    browser.execute_script("const r = document.getElementById('diversity'); r.value = arguments[0];"
                           "r.dispatchEvent(new Event('input'));", str(diversity))
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 120).until(
        lambda b: " keyphrases in " in b.find_element(By.ID, "status").text or b.find_element(By.ID, "error").text)
    assert browser.find_element(By.ID, "error").text == ""


def expected_marks(text: str, keywords: list[dict]) -> list[tuple[str, str]]:
    """(rank, text) of each highlight, in text order: every span of every keyphrase, a span that
    overlaps one before it left out (code point offsets, as Python counts)."""
    spans = sorted(((s, e, rank) for rank, k in enumerate(keywords, 1) for s, e in k["spans"]),
                   key=lambda span: (span[0], -span[1]))
    marks, at = [], 0
    for start, end, rank in spans:
        if start >= at:
            marks.append((str(rank), text[start:end]))
            at = end
    return marks


def check_page(browser, text: str, record: dict, lang: str) -> None:
    from selenium.webdriver.common.by import By

    keywords = record["keywords"]
    assert keywords, "the API found no keyphrases: nothing to check"
    shown = browser.find_element(By.ID, "highlighted")
    assert shown.get_property("textContent") == text  # highlighting keeps the text as it was
    marks = [(m.get_attribute("data-rank"), m.get_property("textContent"))
             for m in shown.find_elements(By.TAG_NAME, "mark")]
    assert marks == expected_marks(text, keywords)
    assert {rank for rank, _ in marks} == {str(r) for r in range(1, len(keywords) + 1)}
    for rank, marked in marks:
        phrase = keywords[int(rank) - 1]["phrase"]
        assert marked == phrase if lang == "zh" else same_phrase(marked, phrase)
    items = browser.find_elements(By.CSS_SELECTOR, "#keyphrases li")
    assert [(i.find_element(By.CLASS_NAME, "phrase").text, i.find_element(By.CLASS_NAME, "score").text)
            for i in items] == [(f"{r}. {k['phrase']}", f"{k['score']:.4f}") for r, k in enumerate(keywords, 1)]
    assert browser.find_element(By.ID, "encoder").text == f"Encoder: {record['model']}"


def save(browser, screenshots, name: str, record_property) -> None:
    path = screenshots / name
    assert browser.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record_property(name, str(path))
    print(f"screenshot: {path}")


def test_an_english_text_pasted(browser, base_url, minilm_dir, screenshots, record_property) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base_url + "/")
    assert browser.title == "keyextract"
    box = browser.find_element(By.ID, "text")
    box.send_keys(EN)  # typed, as a paste arrives
    assert box.get_property("value") == EN
    extract_on_page(browser, "en", 4, 0.3)
    record = httpx.post(base_url + "/v1/extract",
                        json={"text": EN, "top_n": 4, "lang": "en", "diversity": 0.3}).json()[0]
    assert len(record["keywords"]) == 4
    assert record["model"] == minilm_dir
    check_page(browser, EN, record, "en")
    save(browser, screenshots, "serve_page_en.png", record_property)


def test_a_chinese_file_dropped(browser, base_url, screenshots, record_property) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(base_url + "/")
    browser.execute_script(
        "const file = new File([arguments[0]], 'doc.txt', {type: 'text/plain'});"
        "const data = new DataTransfer(); data.items.add(file);"
        "document.getElementById('drop').dispatchEvent("
        "  new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));", ZH)
    WebDriverWait(browser, 30).until(lambda b: b.find_element(By.ID, "text").get_property("value") == ZH)
    assert browser.find_element(By.ID, "status").text == f"doc.txt loaded ({len(ZH.encode())} bytes)"
    extract_on_page(browser, "zh", 5, 0.0)
    record = httpx.post(base_url + "/v1/extract", json={"text": ZH, "top_n": 5, "lang": "zh", "diversity": 0.0}).json()[0]
    check_page(browser, ZH, record, "zh")
    save(browser, screenshots, "serve_page_zh.png", record_property)
