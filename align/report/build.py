"""Loaded data -> template contexts: pure functions, no I/O (the templates do all the escaping)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..docalign.aligning import confidence
from ..output import FileNames

GOLDEN_ANGLE = 137.508
PAGE_ROWS = 100  # rows per page of the index's document table (report.js reads data-page-size)
BINS = 20
MAX_NAME = 80  # file names stay well under every filesystem's limit, with room for "-heat-12.png"

_URL = re.compile(r"https?://[^\s\"'<>`\\]+", re.IGNORECASE)


def hue(k: int) -> int:
    """Pair k's hue: the golden angle spreads any number of pairs over distinguishable colours."""
    return int(k * GOLDEN_ANGLE) % 360


def link(url: Any) -> str | None:
    """``url`` when it is safe as an href (a plain http(s) URL), else None and it is shown as text."""
    return url if isinstance(url, str) and _URL.fullmatch(url) else None


def page_names() -> FileNames:
    """File names for doc ids: safe (never leave docs/), unique also on case-insensitive filesystems."""
    return FileNames(max_length=MAX_NAME, fold_case=True)


# ---------------------------------------------------------------------------
# overview


@dataclass
class Overview:
    """What index.html shows, accumulated document by document."""

    summary: dict[str, Any]
    verb: str
    counts: Counter = field(default_factory=Counter)  # (language pair, label) -> pairs
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    similarities: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, name: str, view: dict[str, Any], pairs: list[dict[str, Any]]) -> None:
        kind = view.get("kind", "")
        scores = []
        for p in pairs:
            lp = f"{p.get('src_lang')}-{p.get('tgt_lang')}"
            self.counts[lp, p.get("label", "")] += 1
            if _number(p.get("score")):
                self.scores[lp].append(float(p["score"]))
                scores.append(float(p["score"]))
            sim = (p.get("scores") or {}).get("similarity")
            if _number(sim):
                self.similarities[lp].append(float(sim))
        row: dict[str, Any] = {
            "name": name, "id": str(view.get("doc_id", "")), "kind": kind, "pairs": len(pairs),
            "parallel": sum(p.get("label") == "parallel" for p in pairs),
            "min_score": round(min(scores), 4) if scores else None,
            "langs": " ".join(sorted({f"{p.get('src_lang')}-{p.get('tgt_lang')}" for p in pairs})),
        }
        if kind == "mining":
            segs = view.get("segments") or []
            row["segments"] = len(segs)
            row["unmatched"] = len(unmatched(segs, pairs))
        elif kind == "parallel":
            beads = view.get("beads") or []
            row["beads"] = len(beads)
            row["langs"] = f"{view.get('src_lang')}-{view.get('tgt_lang')}"
        self.rows.append(row)

    def context(self) -> dict[str, Any]:
        s = self.summary
        counts = [{"lang_pair": lp, "label": label, "count": n} for (lp, label), n in sorted(self.counts.items())]
        by_lp, by_label = Counter(), Counter()
        for (lp, label), n in self.counts.items():
            by_lp[lp] += n
            by_label[label] += n
        problems = []
        if sum(self.counts.values()) != s.get("pairs"):
            problems.append(f"pairs.jsonl holds {sum(self.counts.values())} pairs, summary.json says {s.get('pairs')}")
        for key, got in (("language_pairs", by_lp), ("labels", by_label)):
            want = s.get(key)
            if isinstance(want, dict) and {k: v for k, v in want.items() if v} != dict(got):
                problems.append(f"pairs.jsonl's {key.replace('_', ' ')} differ from summary.json's")
        totals = [("documents", "documents", s.get("documents")), ("pairs", "pairs", s.get("pairs"))]
        if self.verb == "parallel":
            totals.append(("beads", "beads", s.get("beads")))
        if s.get("documents_skipped"):
            totals.append(("skipped", "documents skipped", s.get("documents_skipped")))
        return {
            "verb": self.verb, "summary": s, "totals": totals, "counts": counts,
            "by_lp": sorted(by_lp.items()), "by_label": sorted(by_label.items()),
            "histograms": self.histograms(), "methods": self.methods(), "problems": problems,
            "docs": self.rows, "page_rows": PAGE_ROWS,
        }

    def thresholds(self) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
        """(score thresholds, similarity thresholds), each (value, label)."""
        if self.verb == "parallel":
            return [(0.5, "cost 0")], []
        m = (self.summary.get("config") or {}).get("mining") or {}
        score = [(m["restate_threshold"], "restate threshold")] if _number(m.get("restate_threshold")) else []
        sim = [(m[k], label) for k, label in (("min_similarity", "floor"), ("parallel_similarity", "parallel"))
               if _number(m.get(k))]
        return score, sim

    def histograms(self) -> list[dict[str, Any]]:
        score_lines, sim_lines = self.thresholds()
        axis = "confidence" if self.verb == "parallel" else "score"
        out = []
        for lp in sorted(self.scores.keys() | self.similarities.keys()):
            panels = [histogram(self.scores.get(lp, []), score_lines, axis)]
            if self.similarities.get(lp):
                panels.append(histogram(self.similarities[lp], sim_lines, "similarity"))
            out.append({"lang_pair": lp, "panels": panels, "width": PANEL_W * len(panels), "height": PANEL_H})
        return out

    def methods(self) -> list[dict[str, Any]]:
        """Documents by evidence method, shares of all documents (a row for those with none)."""
        s = self.summary
        if self.verb == "parallel":
            by = Counter("+".join(d.get("evidence") or []) or "none" for d in s.get("docs") or [])
        else:
            by = Counter({k: v for k, v in ((s.get("similarity") or {}).get("documents_by_method") or {}).items()})
            rest = (s.get("documents") or 0) - sum(by.values())
            if rest > 0:
                by["none"] = rest
        total = sum(by.values()) or 1
        return [{"method": k, "count": n, "share": n / total} for k, n in by.most_common()]


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


PANEL_W, PANEL_H = 340, 150
_PLOT = {"left": 34, "right": 12, "top": 22, "bottom": 30}


def histogram(values: list[float], lines: list[tuple[float, str]], axis: str) -> dict[str, Any]:
    """One panel of a histogram: bars, axis ticks and threshold lines in SVG user units."""
    lo = min([0.0, *values, *(v for v, _ in lines)])
    hi = max([1.0, *values, *(v for v, _ in lines)])
    lo, hi = math.floor(lo * 10) / 10, math.ceil(hi * 10) / 10
    width = (hi - lo) / BINS
    counts = [0] * BINS
    for v in values:
        counts[min(BINS - 1, int((v - lo) / width))] += 1
    x0, x1 = _PLOT["left"], PANEL_W - _PLOT["right"]
    y0, y1 = _PLOT["top"], PANEL_H - _PLOT["bottom"]
    top = max(counts) or 1

    def x(v: float) -> float:
        return round(x0 + (v - lo) / (hi - lo) * (x1 - x0), 1)

    bars = []
    for b, n in enumerate(counts):
        h = round((y1 - y0) * n / top, 1)
        a = lo + b * width
        bars.append({"x": x(a), "w": round(x(a + width) - x(a) - 1, 1), "y": round(y1 - h, 1), "h": h, "n": n,
                     "lo": round(a, 3), "hi": round(a + width, 3)})
    ticks = [{"x": x(t), "label": f"{t:g}"} for t in _ticks(lo, hi)]
    marks = [{"x": x(v), "value": v, "label": f"{label} {v:g}", "y_text": y0 - 4 - 10 * (i % 2)}
             for i, (v, label) in enumerate(sorted(lines))]
    return {"axis": axis, "bars": bars, "ticks": ticks, "lines": marks, "n": len(values), "max": top,
            "x0": x0, "x1": x1, "y0": y0, "y1": y1}


def _ticks(lo: float, hi: float) -> list[float]:
    step = 0.2 if hi - lo <= 1.5 else 0.5 if hi - lo <= 4 else math.ceil((hi - lo) / 5)
    n = math.floor((hi - lo) / step + 1e-9)
    return [round(lo + k * step, 6) for k in range(n + 1)]


# ---------------------------------------------------------------------------
# mining document page


def unmatched(segments: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> list[int]:
    """Indices of the segments that no pair of the document names."""
    named = {i for p in pairs for i in (*(p.get("src_ids") or ()), *(p.get("tgt_ids") or ()))}
    return [i for i, s in enumerate(segments) if s.get("id") not in named]


def _spans(rec: dict[str, Any], side: str) -> list[tuple[int, int]]:
    """A pair side's pieces; records written by to_record always carry ``*_spans``, older ones only ``*_span``."""
    pieces = rec.get(f"{side}_spans") or ([rec[f"{side}_span"]] if rec.get(f"{side}_span") else [])
    return pieces_of(pieces)


def pieces_of(value: Any) -> list[tuple[int, int]]:
    """[start, end) pairs of a record; malformed pieces are left out rather than failing the whole report."""
    out = []
    for piece in value if isinstance(value, list) else ():
        if isinstance(piece, list) and len(piece) == 2 and all(isinstance(x, int) for x in piece):
            out.append((piece[0], piece[1]))
    return out


def stretches(text: str, marks: list[tuple[int, int, str, int]]) -> list[dict[str, Any]]:
    """``text`` cut at every mark boundary; marks are (start, end, role, index), role src|tgt|miss|cand.

    Each stretch lists, per role, the indices whose marks cover it all: a
    stretch may belong to several pairs (overlapping spans).
    """
    n = len(text)
    starts: dict[int, list[tuple[str, int]]] = defaultdict(list)
    ends: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for s, e, role, k in marks:
        s, e = max(0, min(s, n)), max(0, min(e, n))
        if s < e:
            starts[s].append((role, k))
            ends[e].append((role, k))
    cuts = sorted({0, n, *starts, *ends})
    active: Counter = Counter()
    out = []
    for a, b in itertools.pairwise(cuts):
        for key in ends.get(a, ()):
            active[key] -= 1
        for key in starts.get(a, ()):
            active[key] += 1
        on = {key for key, c in active.items() if c > 0}
        roles: dict[str, list[int]] = {r: sorted(k for rr, k in on if rr == r) for r in ("src", "tgt", "miss", "cand")}
        st = {"text": text[a:b], "start": a, "end": b, **roles}
        pairs = sorted({*roles["src"], *roles["tgt"]})
        st["hl"] = bool(pairs)
        st["style"] = _colour(pairs) if pairs else ""
        out.append(st)
    return _merge_plain(out)


def _merge_plain(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neighbouring uncovered stretches joined (after a mark ends and another starts at the same place)."""
    out: list[dict[str, Any]] = []
    for st in items:
        plain = not (st["hl"] or st["miss"] or st["cand"])
        st["plain"] = plain
        if plain and out and out[-1]["plain"]:
            out[-1]["text"] += st["text"]
            out[-1]["end"] = st["end"]
        else:
            out.append(st)
    return out


def _colour(pairs: list[int]) -> str:
    if len(pairs) == 1:
        return f"background-color:hsl({hue(pairs[0])},85%,82%)"
    # Stripes, one per pair: an overlap shows every pair it belongs to.
    step = 100 / len(pairs)
    stops = ",".join(f"hsl({hue(k)},85%,80%) {i * step:.0f}% {(i + 1) * step:.0f}%" for i, k in enumerate(pairs))
    return f"background-image:linear-gradient(180deg,{stops})"


def _side(p: dict[str, Any], side: str) -> dict[str, Any]:
    info = p.get(f"{side}_info") or {}
    urls = [{"text": str(u), "href": link(u)} for u in info.get("urls") or []]
    shown = _info(info)
    return {"role": side, "lang": p.get(f"{side}_lang"), "kind": p.get(f"{side}_kind"),
            "ids": list(p.get(f"{side}_ids") or ()), "text": p.get(side, ""), "info": shown, "urls": urls,
            "hashtags": [str(h) for h in info.get("hashtags") or []], "spans": _spans(p, side),
            "embed": bool(any(shown.values()) or urls)}


def _info(info: dict[str, Any]) -> dict[str, Any]:
    """The embed facts a card shows, every key present (None where the page gave none): the
    templates' undefined names are errors, and real embeds lack some (a handle without an author)."""
    return {k: info.get(k) or None for k in ("platform", "author", "handle", "date")}


_SHOWN = ("similarity", "margin")


def pair_card(k: int, p: dict[str, Any]) -> dict[str, Any]:
    scores = p.get("scores") or {}
    return {"k": k, "hue": hue(k), "id": p.get("id"), "label": p.get("label"), "score": p.get("score"),
            "method": p.get("method"), "similarity": scores.get("similarity"), "margin": scores.get("margin"),
            "bleu": p.get("bleu"), "chrf": p.get("chrf"), "cluster": p.get("cluster"),
            "other_scores": [(key, v) for key, v in scores.items() if key not in _SHOWN],
            "sides": [_side(p, "src"), _side(p, "tgt")]}


def mining_context(view: dict[str, Any], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    text = view.get("text") if isinstance(view.get("text"), str) else None
    segments = view.get("segments") or []
    missing = unmatched(segments, pairs)
    marks: list[tuple[int, int, str, int]] = []
    for k, p in enumerate(pairs):
        marks += [(s, e, side, k) for side in ("src", "tgt") for s, e in _spans(p, side)]
    cards = []
    for i in missing:
        seg = segments[i]
        best = seg.get("best") or None
        seg_spans = pieces_of(seg.get("spans"))
        best_spans = pieces_of(best.get("spans")) if best else []
        marks += [(s, e, "miss", i) for s, e in seg_spans] + [(s, e, "cand", i) for s, e in best_spans]
        info = seg.get("info") or {}
        cand_text = " … ".join(text[s:e] for s, e in best_spans) if text else ""
        seg_text = " … ".join(text[s:e] for s, e in seg_spans) if text else ""
        if best:
            best = {k: best.get(k) for k in ("score", "similarity", "unit")}
        cards.append({"i": i, "id": seg.get("id"), "kind": seg.get("kind"), "lang": seg.get("lang"),
                      "text": seg_text, "best": best, "cand_text": cand_text, "info": _info(info),
                      "urls": [{"text": str(u), "href": link(u)} for u in info.get("urls") or []]})
    return {"text": text, "main_lang": view.get("main_lang"),
            "stretches": stretches(text, marks) if text is not None else [],
            "pairs": [pair_card(k, p) for k, p in enumerate(pairs)], "unmatched": cards,
            "segments": len(segments), "doc_info": _doc_info(pairs)}


def _doc_info(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    doc = next((p.get("doc") for p in pairs if p.get("doc")), None) or {}
    return {"title": doc.get("title"), "date": doc.get("date"), "url": doc.get("url"), "href": link(doc.get("url"))}


# ---------------------------------------------------------------------------
# parallel (docalign) document page


def parallel_context(view: dict[str, Any], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    src, tgt = view.get("src_sentences") or [], view.get("tgt_sentences") or []
    beads = view.get("beads") or []
    # A pair per bead with both sides, in bead order: their evidence breakdowns.
    both = [r for r, b in enumerate(beads) if b[0] and b[1]]
    evidence = dict(zip(both, pairs)) if len(both) == len(pairs) else {}
    rows = []
    for r, bead in enumerate(beads):
        s_idx, t_idx = list(bead[0]), list(bead[1])
        cost = bead[2] if len(bead) > 2 and _number(bead[2]) else None
        conf = None if cost is None else confidence(cost)  # as the pairs' scores
        classes = ["bead"]
        if max(len(s_idx), len(t_idx)) > 1:
            classes.append("merge")
        if not s_idx or not t_idx:
            classes.append("deletion")
        p = evidence.get(r) or {}
        parts = [(k, v) for k, v in (p.get("scores") or {}).items() if k != "cost"]
        rows.append({"r": r, "kind": f"{len(s_idx)}-{len(t_idx)}", "classes": " ".join(classes),
                     "cost": cost, "conf": conf, "parts": parts, "bleu": p.get("bleu"), "chrf": p.get("chrf"),
                     "src": [(i, src[i] if 0 <= i < len(src) else "") for i in s_idx],
                     "tgt": [(j, tgt[j] if 0 <= j < len(tgt) else "") for j in t_idx]})
    kinds = Counter(row["kind"] for row in rows)
    return {"src_lang": view.get("src_lang"), "tgt_lang": view.get("tgt_lang"), "rows": rows,
            "n_src": len(src), "n_tgt": len(tgt), "kinds": sorted(kinds.items())}
