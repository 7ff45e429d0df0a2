// Draws the ladder diagram from the model embedded in the page. The SVG is
// built here, after load, so that a rendered page proves the script ran.
(function () {
  "use strict";
  var model = JSON.parse(document.getElementById("model").textContent);
  var NS = "http://www.w3.org/2000/svg"; // the SVG namespace name, not a fetch
  var ladderEl = document.getElementById("ladder");
  // Columns share the width the ladder has beside the detail pane, between
  // a width that still fits an actor's name and a comfortable one, so that
  // on a common screen every column is in view without scrolling.
  var minCol = 110, maxCol = 170, left = 72, right = 16, top = 56, rowHeight = 26, bottom = 20;
  var colWidth = maxCol, width = 0, height = top + model.rows.length * rowHeight + bottom;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, cls) {
    var t = el("text", { x: x, y: y }, parent);
    if (cls) t.setAttribute("class", cls);
    t.textContent = s;
    return t;
  }
  function colX(i) { return left + i * colWidth + colWidth / 2; }
  // label writes a mark's or failure's text beside its dot: to the right,
  // or on the last column to the left, so that it stays in the diagram.
  function label(g, col, gap, y, s) {
    if (col < model.actors.length - 1) return text(g, colX(col) + gap, y + 4, s);
    var t = text(g, colX(col) - gap, y + 4, s);
    t.setAttribute("text-anchor", "end");
    return t;
  }
  function rowY(i) { return top + i * rowHeight + rowHeight / 2; }

  var detail = document.getElementById("detail-text");
  var selected = null;
  function show(g, s) {
    if (selected) selected.classList.remove("selected");
    selected = g;
    g.classList.add("selected");
    detail.textContent = s;
  }

  function draw() {
    var n = Math.max(model.actors.length, 1);
    colWidth = Math.max(minCol, Math.min(maxCol, Math.floor((ladderEl.clientWidth - left - right) / n)));
    width = left + n * colWidth + right;
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img" });
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "head", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#0969da" }, marker);

    model.actors.forEach(function (a, i) {
      var g = el("g", { "class": "actor " + a.role, "data-actor": a.name }, svg);
      el("rect", { x: colX(i) - colWidth / 2 + 8, y: 8, width: colWidth - 16, height: 30, rx: 4 }, g);
      text(g, colX(i), 28, a.name);
      el("line", { "class": "lifeline", x1: colX(i), y1: 38, x2: colX(i), y2: height - 4 }, svg);
    });

    model.spans.forEach(function (s) {
      var g = el("g", { "class": "span " + s.kind + (s.open ? " open" : ""), "data-span": s.kind }, svg);
      var y1 = rowY(s.fromRow), y2 = rowY(s.toRow);
      var x = colX(s.column) - 14 - s.lane * 12;
      el("rect", { x: x, y: y1, width: 8, height: Math.max(y2 - y1, 2), rx: 2 }, g);
      var t = text(g, x - 4, y1 + 12, s.short);
      t.setAttribute("text-anchor", "end");
      el("title", {}, g).textContent = s.label;
    });

    var arrows = 0;
    model.rows.forEach(function (r, i) {
      var y = rowY(i);
      text(svg, left - 8, y + 4, r.at, "time");
      var g;
      if (r.kind === "arrow") {
        arrows++;
        var cls = "arrow" + (r.label.indexOf("push.") === 0 ? " push" : "") + (r.lost ? " lost" : "");
        g = el("g", { "class": cls, "data-arrow": r.seq, tabindex: 0 }, svg);
        var x1 = colX(r.from), x2 = colX(r.to);
        if (x1 === x2) {
          var d = "M" + x1 + "," + (y - 6) + " h30 v12 h-30";
          el("path", { d: d, "marker-end": "url(#head)" }, g);
          el("path", { "class": "hit", d: d }, g);
          text(g, x1 + 70, y + 4, r.label);
        } else {
          el("line", { x1: x1, y1: y, x2: x2, y2: y, "marker-end": "url(#head)" }, g);
          el("line", { "class": "hit", x1: x1, y1: y, x2: x2, y2: y }, g);
          text(g, (x1 + x2) / 2, y - 4, r.label + (r.lost ? " (lost)" : ""));
        }
      } else if (r.kind === "failure") {
        g = el("g", { "class": "failure", "data-failure": i }, svg);
        el("circle", { cx: colX(r.from), cy: y, r: 6 }, g);
        label(g, r.from, 10, y, r.label);
      } else {
        g = el("g", { "class": "mark", "data-mark": r.seq }, svg);
        el("circle", { cx: colX(r.from), cy: y, r: 4 }, g);
        label(g, r.from, 8, y, r.label);
      }
      el("title", {}, g).textContent = r.at + " " + r.label + (r.attrs ? "  " + r.attrs : "");
      g.addEventListener("click", function () { show(g, r.detail); });
      g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") show(g, r.detail); });
    });

    ladderEl.replaceChildren(svg);
    document.body.setAttribute("data-arrows", String(arrows));
    document.body.setAttribute("data-rendered", "true");
  }

  draw();
  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { selected = null; draw(); }, 100);
  });
})();
