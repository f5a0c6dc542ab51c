"""Open every document page of a mining report in headless Chromium and check it against the run's files.

    python eval/check_report.py OUT      # OUT: an `align run` output with OUT/report/ (align report OUT)

Per page: SEVERE console entries; for each pair and side, the highlighted
stretches (``span.hl`` with the pair's index in ``data-src``/``data-tgt``),
merged, must equal the pair's ``src_spans``/``tgt_spans`` and their texts the
document's text at those offsets; a click on the first stretch must activate
elements. Needs Debian's chromium and chromium-driver and selenium (test extra).
Used on news_dev's 42 real pages (README, "See the alignment").
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
         "--disable-component-update --disable-sync --disable-dev-shm-usage").split()

# Each pair's highlighted stretches, by "<pair index><side>", as [start, end, text].
STRETCHES_JS = """
var out = {};
document.querySelectorAll('span.hl').forEach(function (el) {
  ['src', 'tgt'].forEach(function (side) {
    (el.getAttribute('data-' + side) || '').split(' ').filter(Boolean).forEach(function (k) {
      (out[k + side] = out[k + side] || []).push([+el.dataset.start, +el.dataset.end, el.textContent]);
    });
  });
});
return out;"""


def merged(stretches: list[list]) -> list[list[int]]:
    out: list[list[int]] = []
    for s, e, _ in sorted(stretches):
        if out and out[-1][1] == s:
            out[-1][1] = e
        else:
            out.append([s, e])
    return out


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    with gzip.open(out / "documents.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = {v["doc_id"]: v.get("text") for v in map(json.loads, f)}
    pairs: dict[str, list[dict]] = {}
    with open(out / "pairs.jsonl", encoding="utf-8") as f:
        for p in map(json.loads, f):
            pairs.setdefault(p["doc_id"], []).append(p)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    pages = sorted((out / "report" / "docs").glob("*.html"))
    errors = checked = wrong = clicked = 0
    try:
        for page in pages:
            driver.get(page.as_uri())
            errors += sum(e["level"] == "SEVERE" for e in driver.get_log("browser"))
            ids = driver.find_elements(By.CSS_SELECTOR, ".doc-meta .doc-id")
            if not ids:  # a docalign or skipped page
                continue
            doc_id = ids[0].get_attribute("textContent")
            got = driver.execute_script(STRETCHES_JS)
            for k, p in enumerate(pairs.get(doc_id, [])):
                for side in ("src", "tgt"):
                    st = got.get(f"{k}{side}", [])
                    ok = merged(st) == p[f"{side}_spans"] and all(t == texts[doc_id][s:e] for s, e, t in st)
                    checked += 1
                    wrong += not ok
            hls = driver.find_elements(By.CSS_SELECTOR, "span.hl")
            if hls:
                driver.execute_script("arguments[0].click()", hls[0])
                clicked += bool(driver.find_elements(By.CSS_SELECTOR, ".active"))
    finally:
        driver.quit()
    print(f"pages {len(pages)}, SEVERE console entries {errors}, pair sides checked {checked}, wrong {wrong}, "
          f"pages where a click activated elements {clicked}")
    return 1 if errors or wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
