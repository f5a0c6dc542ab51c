"""``align report`` in a real browser: Debian's Chromium driven by Selenium.

The pages are loaded from ``file://`` URLs, as a user opening DIR/report/index.html
would; the checks follow the DOM contract of the report (no console errors, the
highlights and their click, the JS-rendered document table and its sort, the
parallel page's least-confident order and heatmaps). Screenshots go to the
tests' tmp_path. The whole module skips when selenium, chromium or chromedriver
is missing or the browser does not start (CI installs Chromium from Debian where
it can: .ci/run).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import re
import shutil
from pathlib import Path

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the test extra was not installed
    pytest.skip("selenium is not installed", allow_module_level=True)

from align.cli.main import main

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not CHROMIUM.exists() and shutil.which("chromium"):
    CHROMIUM = Path(shutil.which("chromium"))
if not CHROMEDRIVER.exists() and shutil.which("chromedriver"):
    CHROMEDRIVER = Path(shutil.which("chromedriver"))
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("chromium or chromedriver not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900"]
WAIT_S = 10


# ---------------------------------------------------------------------------
# the browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium per module. Paths are explicit, so Selenium Manager never downloads a driver."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    except WebDriverException as e:
        pytest.skip(f"chromium did not start: {(e.msg or str(e)).strip().splitlines()[0][:200]}")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def severe(driver) -> list[str]:
    """SEVERE console entries since the last call (errors, uncaught exceptions, failed loads)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def load(driver, path: Path) -> None:
    driver.get_log("browser")  # drop what an earlier (failed) test left
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script("return document.readyState") == "complete")


def assert_local_only(driver) -> None:
    """Scripts, styles and pictures come from the report folder, never the network."""
    urls = driver.execute_script(
        "return [...document.querySelectorAll('script[src], link[href], img[src]')]"
        ".map(e => e.src || e.href)")
    assert urls, "no script or stylesheet referenced"
    remote = [u for u in urls if not u.startswith("file://")]
    assert not remote, remote


def classes(element) -> set[str]:
    return set((element.get_attribute("class") or "").split())


def report(out: Path) -> Path:
    """``align report OUT``: its stdout is the index path."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["-q", "report", str(out)])
    assert code == 0, f"align report exited {code}"
    index = out / "report" / "index.html"
    assert Path(buf.getvalue().strip().splitlines()[-1]).resolve() == index.resolve()
    return index


def read_documents(out: Path) -> dict[str, dict]:
    with gzip.open(out / "documents.jsonl.gz", "rt", encoding="utf-8") as f:
        return {d["doc_id"]: d for d in map(json.loads, f)}


def read_pairs(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]


def doc_pages(driver) -> dict[str, str]:
    """The index's document links, text -> absolute URL (rows rendered by report.js)."""
    links = driver.find_elements(By.CSS_SELECTOR, "table#documents a.doc-link")
    return {a.get_attribute("textContent").strip(): a.get_attribute("href") for a in links}


def open_doc_page(driver, index: Path, doc_id: str) -> None:
    load(driver, index)
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "table#documents tbody tr a.doc-link"))
    pages = doc_pages(driver)
    href = next((u for text, u in pages.items() if doc_id in text or doc_id in u), None)
    assert href, f"no a.doc-link for {doc_id} in {sorted(pages)}"
    assert href.startswith("file://") and "/docs/" in href, href
    driver.get(href)
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script("return document.readyState") == "complete")


# ---------------------------------------------------------------------------
# a) mining: the founding seed, with two smaller articles cut from it


SEED_ID = "000_a6168a8a3db5cb58"


@pytest.fixture(scope="module")
def mining(browser, seed_path, tmp_path_factory):
    """``align run`` on the seed plus two articles cut from it (so the document table has rows to
    sort: 2, 1 and 0 pairs; the last has an unmatched tweet), then ``align report``. The browser
    fixture comes first so that a missing browser skips before the ~15 s of model loading."""
    root = tmp_path_factory.mktemp("mining")
    inp = root / "articles"
    inp.mkdir()
    text = seed_path.read_text(encoding="utf-8")
    lines = text.splitlines()
    (inp / seed_path.name).write_text(text, encoding="utf-8")
    # title, first paragraph, the English tweet and the paragraph it translates
    (inp / "seed_first_tweet.txt").write_text("\n".join(lines[:7]) + "\n", encoding="utf-8")
    # the seed's first paragraph and a tweet on something else: no pair, one unmatched segment
    tweet = ("Our football season starts next Saturday with a home match against last year's champions "
             "https://t.co/Xq3Lr8PbZk — Cape Town Sports Club (@CTSportsClub) 5 septembre 2017")
    (inp / "seed_lonely_tweet.txt").write_text(f"{lines[0]}\n\n{lines[2]}\n\n{tweet}\n", encoding="utf-8")
    out = root / "out"
    assert main(["-q", "run", "--input", str(inp), "--output", str(out)]) == 0
    return {"out": out, "index": report(out), "pairs": read_pairs(out), "documents": read_documents(out)}


def test_mining_index(mining, browser, tmp_path):
    load(browser, mining["index"])
    rows = WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "table#documents tbody tr"))
    browser.save_screenshot(str(tmp_path / "mining-index.png"))
    assert not severe(browser)
    assert_local_only(browser)
    assert len(rows) == 3
    assert len(doc_pages(browser)) == 3

    summary = json.loads((mining["out"] / "summary.json").read_text(encoding="utf-8"))
    total = browser.find_element(By.CSS_SELECTOR, "#totals [data-total=pairs]").get_attribute("textContent")
    assert int(re.sub(r"\D", "", total)) == summary["pairs"]
    total = browser.find_element(By.CSS_SELECTOR, "#totals [data-total=documents]").get_attribute("textContent")
    assert int(re.sub(r"\D", "", total)) == summary["documents"] == 3
    for lang_pair in summary["language_pairs"]:
        assert browser.find_elements(By.CSS_SELECTOR, f"table#counts tr[data-lang-pair='{lang_pair}'] td.count")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.histogram line.threshold")
    assert browser.find_elements(By.CSS_SELECTOR, "table#methods")

    # sorting: the column under th[data-sort=pairs], clicked twice, is ordered both ways
    by_doc = {d: sum(p["doc_id"] == d for p in mining["pairs"]) for d in mining["documents"]}
    assert sorted(by_doc.values()) == [0, 1, 2]
    for key in ("pairs", "min_score"):
        seen = []
        for _ in range(2):
            header = browser.find_element(By.CSS_SELECTOR, f"table#documents th[data-sort={key}]")
            column = browser.execute_script("return arguments[0].cellIndex", header)
            header.click()
            values = browser.execute_script(
                "return [...document.querySelectorAll('table#documents tbody tr')]"
                ".map(r => r.cells[arguments[0]] ? r.cells[arguments[0]].textContent.trim() : null)", column)
            numbers = [float(v) for v in values if v and re.fullmatch(r"-?\d+(\.\d+)?", v)]
            if key == "pairs":
                assert sorted(numbers) == [0, 1, 2], values
            assert numbers in (sorted(numbers), sorted(numbers, reverse=True)), (key, values)
            seen.append(numbers)
        if len(set(seen[0])) > 1:
            assert seen[0] == seen[1][::-1], (key, seen)
    browser.execute_script("document.getElementById('documents').scrollIntoView()")
    browser.save_screenshot(str(tmp_path / "mining-index-sorted.png"))
    assert not severe(browser)


def test_mining_seed_page_click(mining, browser, tmp_path):
    open_doc_page(browser, mining["index"], SEED_ID)
    assert not severe(browser)
    assert_local_only(browser)
    article = browser.find_element(By.CSS_SELECTOR, "div#article.article")
    spans = article.find_elements(By.CSS_SELECTOR, "span.hl")
    assert spans, "no span.hl after the scripts ran"
    text = mining["documents"][SEED_ID]["text"]
    for span in spans:  # each stretch shows the text its offsets name
        start, end = int(span.get_attribute("data-start")), int(span.get_attribute("data-end"))
        assert span.get_attribute("textContent") == text[start:end]

    pairs = [p for p in mining["pairs"] if p["doc_id"] == SEED_ID]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".pair[data-pair]")) == len(pairs)
    # a tweet side of pair k: clicking it lights up the other side
    k, side, other = next((k, s, o) for k, p in enumerate(pairs) for s, o in (("src", "tgt"), ("tgt", "src"))
                          if p[f"{s}_kind"] == "tweet")

    def has(element, attr: str) -> bool:
        return str(k) in (element.get_attribute(f"data-{attr}") or "").split()

    clicked = next(s for s in spans if has(s, side))
    lo, hi = int(clicked.get_attribute("data-start")), int(clicked.get_attribute("data-end"))
    assert any(s <= lo and hi <= e for s, e in pairs[k][f"{side}_spans"])
    targets = [s for s in spans if has(s, other)]
    assert targets, f"no span.hl with data-{other} holding pair {k}"
    clicked.click()
    WebDriverWait(browser, WAIT_S).until(lambda d: all("active" in classes(s) for s in targets))
    assert "active" in classes(clicked)
    # ... and scrolls the first of them into view
    WebDriverWait(browser, WAIT_S).until(lambda d: d.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight",
        targets[0]))
    browser.save_screenshot(str(tmp_path / "mining-seed-clicked.png"))
    assert not severe(browser)


def test_mining_unmatched_segment(mining, browser, tmp_path):
    """Segments of no pair show as span.miss with their best candidate (span.cand) and a card."""
    doc_id = "seed_lonely_tweet"
    doc = mining["documents"][doc_id]
    ids = {i for p in mining["pairs"] if p["doc_id"] == doc_id for i in (*p["src_ids"], *p["tgt_ids"])}
    unmatched = [i for i, seg in enumerate(doc["segments"]) if seg["id"] not in ids]
    assert unmatched, "the lonely tweet found a partner: pick another cut of the seed"
    open_doc_page(browser, mining["index"], doc_id)
    browser.save_screenshot(str(tmp_path / "mining-unmatched.png"))
    assert not severe(browser)
    for i in unmatched:
        assert browser.find_elements(By.CSS_SELECTOR, f"span.miss[data-seg='{i}']")
        assert browser.find_elements(By.CSS_SELECTOR, f".unmatched[data-seg='{i}']")
        if doc["segments"][i].get("best"):
            assert browser.find_elements(By.CSS_SELECTOR, f"span.cand[data-seg='{i}']")


# ---------------------------------------------------------------------------
# b) docalign: a small fr/en pair; the aligner makes merges (2-2, 2-1) and a deletion
# (the last English sentence has no French side), the least confident bead by far


FR = ["Le chat dort sur le canapé. Il fait très chaud aujourd'hui. Les fenêtres sont ouvertes.", "",
      "Nous irons à la plage demain matin. La mer sera calme. Les enfants apporteront un ballon et des "
      "sandwichs pour le déjeuner.", "",
      "Le bureau de poste ferme à dix-sept heures le samedi.", "",
      "Mon frère habite à Lyon depuis dix ans. Il travaille dans une grande banque. Il aime beaucoup son travail."]
EN = ["The cat is sleeping on the sofa. It is very hot today. The windows are open.", "",
      "We will go to the beach tomorrow morning. The sea will be calm. The children will bring a ball. "
      "They will also bring sandwiches for lunch.", "",
      "My brother has lived in Lyon for ten years. He works in a big bank. The dog barked at the postman all night."]


@pytest.fixture(scope="module")
def parallel(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("docalign")
    (root / "story.fr").write_text("\n".join(FR) + "\n", encoding="utf-8")
    (root / "story.en").write_text("\n".join(EN) + "\n", encoding="utf-8")
    cfg = root / "cfg.yaml"
    cfg.write_text("similarity:\n  cache_dir: ''\ndocalign:\n  evidence: [embeddings, length]\n"
                   "  exports: [moses]\n  src_lang: fr\n  tgt_lang: en\n", encoding="utf-8")
    out = root / "out"
    assert main(["-q", "docalign", "--config", str(cfg), "--src", str(root / "story.fr"),
                 "--tgt", str(root / "story.en"), "--output", str(out)]) == 0
    return {"out": out, "index": report(out), "documents": read_documents(out)}


def test_docalign_page(parallel, browser, tmp_path):
    load(browser, parallel["index"])
    browser.save_screenshot(str(tmp_path / "docalign-index.png"))
    assert not severe(browser)
    (doc_id, doc), = parallel["documents"].items()
    assert doc["kind"] == "parallel"
    open_doc_page(browser, parallel["index"], doc_id)
    assert not severe(browser)
    assert_local_only(browser)

    def rows():
        return browser.find_elements(By.CSS_SELECTOR, "table#beads tr.bead")

    before = rows()
    # in document order, one row per bead, kinds as "<source sentences>-<target sentences>"
    assert [r.get_attribute("data-kind") for r in before] == [f"{len(s)}-{len(t)}" for s, t, _ in doc["beads"]]
    for row, (src, tgt, cost) in zip(before, doc["beads"]):
        assert math.isclose(float(row.get_attribute("data-conf")), 1 / (1 + math.exp(cost)), abs_tol=1e-6)
        assert ("merge" in classes(row)) == (max(len(src), len(tgt)) > 1), row.get_attribute("data-kind")
        assert ("deletion" in classes(row)) == (not src or not tgt), row.get_attribute("data-kind")
    assert any(not s or not t for s, t, _ in doc["beads"]), "no deletion bead: change FR/EN"

    def key(row):
        return row.get_attribute("data-conf"), row.get_attribute("data-kind"), row.get_attribute("textContent")

    keys = sorted(map(key, before))

    # least confident first: confidence = 1 / (1 + exp(cost)), so the highest cost leads
    browser.find_element(By.CSS_SELECTOR, "#least-confident").click()
    after = rows()
    confs = [float(r.get_attribute("data-conf")) for r in after]
    assert confs == sorted(confs), confs
    # by cost, not by the rounded confidence: most beads' confidence shows as 1.000000
    costs = [float(r.get_attribute("data-cost")) for r in after]
    assert costs == sorted((c for _, _, c in doc["beads"]), reverse=True), costs
    assert sorted(map(key, after)) == keys  # the same rows, reordered
    worst = max(doc["beads"], key=lambda b: b[2])
    assert after[0].get_attribute("data-kind") == f"{len(worst[0])}-{len(worst[1])}"
    assert math.isclose(confs[0], 1 / (1 + math.exp(worst[2])), abs_tol=1e-6)
    if worst is not doc["beads"][0]:
        assert key(after[0]) != key(before[0]), "the rows did not move"
    browser.save_screenshot(str(tmp_path / "docalign-least-confident.png"))

    heatmaps = browser.find_elements(By.CSS_SELECTOR, "img.heatmap")
    assert heatmaps, "no img.heatmap (the band is null?)" if doc.get("band") else "no band in documents.jsonl.gz"
    for img in heatmaps:
        browser.execute_script("arguments[0].scrollIntoView()", img)  # lazy pictures load when seen
        WebDriverWait(browser, WAIT_S).until(lambda d: d.execute_script("return arguments[0].complete", img))
        assert browser.execute_script("return arguments[0].naturalWidth", img) > 0, img.get_attribute("src")
    assert not severe(browser)
