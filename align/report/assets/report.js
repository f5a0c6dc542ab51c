/* align report: the document table of the overview and the interactions of document pages.
   Plain JS, no libraries, no network. Text from the data goes in through textContent only. */
(function () {
  "use strict";

  function all(sel, root) {
    return sel ? Array.prototype.slice.call((root || document).querySelectorAll(sel)) : [];
  }
  function words(value) { return (value || "").split(/\s+/).filter(Boolean); }

  // ---- overview: sortable, filterable, paginated document table -------------------------
  function initIndex(table, docs) {
    var size = parseInt(table.getAttribute("data-page-size"), 10) || 100;
    var verb = table.getAttribute("data-verb");
    var tbody = table.tBodies[0];
    var state = { key: null, dir: 1, page: 0, filter: "" };
    var prev = document.getElementById("page-prev");
    var next = document.getElementById("page-next");
    var info = document.getElementById("page-info");
    var filter = document.getElementById("doc-filter");
    docs.forEach(function (d, i) { d._order = i; });

    function value(d, key) {
      var v = d[key];
      return v === null || v === undefined ? null : v;
    }
    function compare(a, b) {
      var k = state.key;
      if (!k) { return a._order - b._order; }
      var x = value(a, k), y = value(b, k);
      // Documents without a value (no pairs: no lowest score) go last either way.
      if (x === null || y === null) { return x === y ? a._order - b._order : x === null ? 1 : -1; }
      if (x < y) { return -state.dir; }
      if (x > y) { return state.dir; }
      return a._order - b._order;
    }
    function cell(tr, text, cls) {
      var td = document.createElement("td");
      if (cls) { td.className = cls; }
      td.textContent = text === null || text === undefined ? "–" : String(text);
      tr.appendChild(td);
      return td;
    }
    function render() {
      var needle = state.filter.toLowerCase();
      var rows = docs.filter(function (d) { return !needle || d.id.toLowerCase().indexOf(needle) >= 0; });
      rows.sort(compare);
      var pages = Math.max(1, Math.ceil(rows.length / size));
      state.page = Math.min(state.page, pages - 1);
      var frag = document.createDocumentFragment();
      rows.slice(state.page * size, (state.page + 1) * size).forEach(function (d) {
        var tr = document.createElement("tr");
        tr.className = "doc-row kind-" + d.kind;
        tr.setAttribute("data-name", d.name);
        var td = cell(tr, "", "id");
        var a = document.createElement("a");
        a.className = "doc-link";
        a.href = "docs/" + encodeURIComponent(d.name) + ".html";
        a.textContent = d.id || "(no id)";
        td.textContent = "";
        td.appendChild(a);
        cell(tr, d.kind, "kind");
        cell(tr, d.langs, "langs");
        cell(tr, d.pairs, "num pairs");
        cell(tr, d.parallel, "num parallel");
        cell(tr, d.min_score === null ? null : d.min_score.toFixed(3), "num min-score");
        if (verb === "parallel") { cell(tr, d.beads, "num beads"); }
        else { cell(tr, d.unmatched === undefined ? null : d.unmatched + " / " + d.segments, "num misses"); }
        frag.appendChild(tr);
      });
      tbody.textContent = "";
      tbody.appendChild(frag);
      info.textContent = "page " + (state.page + 1) + " of " + pages + " (" + rows.length + " documents)";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      table.setAttribute("data-page", String(state.page + 1));
      table.setAttribute("data-pages", String(pages));
    }
    all("th[data-sort]", table).forEach(function (th) {
      th.setAttribute("tabindex", "0");
      function sort() {
        var key = th.getAttribute("data-sort");
        // First click: most pairs first, lowest score first (what a reviewer looks for).
        if (state.key === key) { state.dir = -state.dir; }
        else { state.key = key; state.dir = key === "min_score" || key === "id" ? 1 : -1; }
        all("th[data-sort]", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        state.page = 0;
        render();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
    prev.addEventListener("click", function () { state.page -= 1; render(); });
    next.addEventListener("click", function () { state.page += 1; render(); });
    if (filter) {
      filter.addEventListener("input", function () { state.filter = filter.value; state.page = 0; render(); });
    }
    render();
  }

  // ---- mining document: stretches, pair cards, unmatched segments ------------------------
  function clearActive() { all(".active").forEach(function (e) { e.classList.remove("active"); }); }

  function activate(els, target) {
    clearActive();
    els.forEach(function (e) { e.classList.add("active"); });
    if (target) { target.scrollIntoView({ block: "center", behavior: "smooth" }); }
  }

  function sideSelector(role, ks) {
    return ks.map(function (k) { return "span.hl[data-" + role + '~="' + k + '"]'; });
  }

  function onStretch(el) {
    var src = words(el.getAttribute("data-src")), tgt = words(el.getAttribute("data-tgt"));
    // The other side of each pair this stretch belongs to: tgt for the pairs it is the src of, and back.
    var sels = sideSelector("tgt", src).concat(sideSelector("src", tgt));
    var others = all(sels.join(","));
    var cards = src.concat(tgt).map(function (k) { return '.pair[data-pair="' + k + '"]'; });
    var extra = all(cards.join(","));
    activate(others.concat([el], extra), others[0]);
    if (extra[0]) { extra[0].scrollIntoView({ block: "nearest" }); }
  }

  function onSegment(el, from) {
    var segs = words(el.getAttribute("data-seg"));
    // From the segment to its candidate; from the candidate or the card to the segment.
    var want = from === "miss" ? "span.cand" : "span.miss";
    var others = all(segs.map(function (i) { return want + '[data-seg="' + i + '"]'; }).join(","));
    var mates = all(segs.map(function (i) {
      return '.unmatched[data-seg="' + i + '"],span.miss[data-seg="' + i + '"],span.cand[data-seg="' + i + '"]';
    }).join(","));
    activate(mates, others[0]);
  }

  function onCard(card) {
    var k = card.getAttribute("data-pair");
    var spans = all('span.hl[data-src~="' + k + '"],span.hl[data-tgt~="' + k + '"]');
    activate(spans.concat([card]), spans[0]);
  }

  function initArticle() {
    document.addEventListener("click", function (e) {
      if (e.target.closest("a, button, input")) { return; }
      var el = e.target.closest("span.hl, span.miss, span.cand, .pair[data-pair], .unmatched[data-seg]");
      if (!el) { return; }
      if (el.matches("span.hl")) { onStretch(el); }
      else if (el.matches("span.miss")) { onSegment(el, "miss"); }
      else if (el.matches("span.cand")) { onSegment(el, "cand"); }
      else if (el.matches(".pair")) { onCard(el); }
      else { onSegment(el, "card"); }
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" || !e.target.matches) { return; }
      if (e.target.matches(".pair[data-pair]")) { onCard(e.target); }
      else if (e.target.matches(".unmatched[data-seg]")) { onSegment(e.target, "card"); }
    });
  }

  // ---- parallel document: least confident beads first ------------------------------------
  function initBeads(table) {
    var button = document.getElementById("least-confident");
    if (!button) { return; }
    var tbody = table.tBodies[0];
    // By cost, highest first: the same order as confidence ascending, but
    // confidence rounds to 1 for most beads (their costs are far below -14).
    function cost(tr) {
      var v = parseFloat(tr.getAttribute("data-cost"));
      return isNaN(v) ? -Infinity : v;
    }
    function index(tr) { return parseInt(tr.getAttribute("data-index"), 10); }
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      var rows = all("tr.bead", tbody);
      rows.sort(on ? function (a, b) { return cost(b) - cost(a) || index(a) - index(b); }
                   : function (a, b) { return index(a) - index(b); });
      var frag = document.createDocumentFragment();
      rows.forEach(function (tr) { frag.appendChild(tr); });
      tbody.appendChild(frag);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "document order" : "least confident first";
    });
  }

  var data = document.getElementById("doc-data");
  var docs = document.getElementById("documents");
  if (data && docs) { initIndex(docs, JSON.parse(data.textContent)); }
  if (document.getElementById("article") || document.querySelector(".pair[data-pair]")) { initArticle(); }
  var beads = document.getElementById("beads");
  if (beads) { initBeads(beads); }
})();
