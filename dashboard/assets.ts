/**
 * The dashboard's stylesheet and script, served from `assets/` under the
 * dashboard's path (a Content-Security-Policy of `'self'` allows them and
 * nothing inline). No library, no build step: the script draws the chart
 * as SVG and follows `events` (server-sent events) to update the overview.
 *
 * @module
 */

/** The stylesheet: light and dark (by `prefers-color-scheme`), narrow screens, visible focus. */
export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5c6670; --line: #d8dee4;
  --panel: #f6f8fa; --accent: #0b5cad; --ok: #1a7f37; --bad: #c62828; --warn: #9a6700; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1216; --fg: #e6edf3; --muted: #9aa5b1; --line: #30363d; --panel: #161b22;
    --accent: #58a6ff; --ok: #3fb950; --bad: #f85149; --warn: #d29922; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, summary:focus-visible,
select:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem;
  padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 1.05rem; margin: 0; }
header h1 a { color: var(--fg); text-decoration: none; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem .9rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; color: var(--fg); }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h2 { font-size: 1.25rem; margin: .2rem 0 .8rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: .6rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .55rem .75rem;
  background: var(--panel); color: var(--fg); text-decoration: none; display: block; }
.card .n { font-size: 1.6rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .l { color: var(--muted); font-size: .85rem; }
.table { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--panel); font-weight: 600; font-size: .85rem; }
tr:last-child td { border-bottom: 0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .85rem; }
pre { white-space: pre-wrap; word-break: break-word; background: var(--panel);
  border: 1px solid var(--line); border-radius: 6px; padding: .6rem; margin: 0 0 .8rem; }
td code { word-break: break-all; }
.muted { color: var(--muted); }
.bad { color: var(--bad); }
.ok { color: var(--ok); }
.empty { color: var(--muted); padding: 1rem 0; }
button { font: inherit; padding: .3rem .75rem; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--line); background: var(--panel); color: var(--fg); }
button.danger { border-color: var(--bad); color: var(--bad); }
button.primary { border-color: var(--accent); color: var(--accent); }
input[type=text], input[type=search] { font: inherit; padding: .3rem .5rem; border-radius: 6px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg); min-width: 14rem;
  max-width: 100%; }
form.inline { display: inline; margin: 0; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .5rem 0; }
.pager { display: flex; gap: 1rem; align-items: center; margin: .7rem 0; }
.notice { border-left: 4px solid var(--ok); background: var(--panel); padding: .5rem .8rem;
  margin: 0 0 1rem; }
.notice.error { border-color: var(--bad); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; word-break: break-word; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: .5rem; margin: 1rem 0;
  background: var(--panel); }
.chart svg { width: 100%; height: 180px; display: block; }
.chart .completed { stroke: var(--ok); fill: none; stroke-width: 2; }
.chart .failed { stroke: var(--bad); fill: none; stroke-width: 2; }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart text { fill: var(--muted); font-size: 11px; }
.legend { display: flex; gap: 1rem; font-size: .85rem; }
.legend .completed::before, .legend .failed::before { content: ""; display: inline-block;
  width: .8rem; height: .25rem; margin-right: .3rem; vertical-align: middle; }
.legend .completed::before { background: var(--ok); }
.legend .failed::before { background: var(--bad); }
.live { font-size: .8rem; color: var(--muted); }
.live[data-state="live"]::before { content: "● "; color: var(--ok); }
.live[data-state="down"]::before { content: "● "; color: var(--bad); }
details.confirm { display: inline-block; }
details.confirm summary { cursor: pointer; color: var(--bad); }
@media (max-width: 640px) {
  main { padding: .6rem; }
  th, td { padding: .35rem .4rem; }
  .hide-narrow { display: none; }
}
`;

/** The script: draws the chart, and keeps the overview live by server-sent events. */
export const SCRIPT = `"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function drawChart(holder, series) {
    var svg = holder.querySelector("svg");
    if (!svg) return;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var width = Math.max(300, Math.round(svg.getBoundingClientRect().width) || 600);
    var height = 180, left = 34, bottom = 18, top = 8;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var count = series.completed.length;
    var max = 1;
    for (var i = 0; i < count; i++) max = Math.max(max, series.completed[i], series.failed[i]);
    var x = function (i) { return left + (width - left - 6) * (count <= 1 ? 0 : i / (count - 1)); };
    var y = function (v) { return top + (height - top - bottom) * (1 - v / max); };
    svg.appendChild(el("line", { class: "axis", x1: left, y1: y(0), x2: width - 6, y2: y(0) }));
    svg.appendChild(el("line", { class: "axis", x1: left, y1: top, x2: left, y2: y(0) }));
    svg.appendChild(el("text", { x: left - 4, y: top + 10, "text-anchor": "end" }, String(max)));
    svg.appendChild(el("text", { x: left - 4, y: y(0), "text-anchor": "end" }, "0"));
    svg.appendChild(el("text", { x: left, y: height - 3 }, "-60 min"));
    svg.appendChild(el("text", { x: width - 6, y: height - 3, "text-anchor": "end" }, "now"));
    ["completed", "failed"].forEach(function (name) {
      var points = series[name].map(function (v, i) { return x(i).toFixed(1) + "," + y(v).toFixed(1); });
      svg.appendChild(el("polyline", { class: name, points: points.join(" ") }));
    });
    var total = function (list) { return list.reduce(function (a, b) { return a + b; }, 0); };
    svg.setAttribute("aria-label", "Last hour: " + total(series.completed) + " completed, " +
      total(series.failed) + " failed");
    holder.setAttribute("data-completed", String(total(series.completed)));
    holder.setAttribute("data-failed", String(total(series.failed)));
  }
  function setCounts(counts) {
    var nodes = document.querySelectorAll("[data-count]");
    for (var i = 0; i < nodes.length; i++) {
      var key = nodes[i].getAttribute("data-count");
      if (key in counts) nodes[i].textContent = String(counts[key]);
    }
  }
  function setConsumers(consumers) {
    var body = document.getElementById("consumers");
    if (!body) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    var base = document.body.getAttribute("data-base") || "";
    if (consumers.length === 0) {
      var row = body.insertRow();
      var cell = row.insertCell();
      cell.colSpan = 4;
      cell.className = "muted";
      cell.textContent = "No consumer is running (none has a live heartbeat).";
      return;
    }
    consumers.forEach(function (consumer) {
      var row = body.insertRow();
      row.insertCell().textContent = consumer.id;
      row.insertCell().textContent = consumer.workers + " " + consumer.workerType;
      var running = row.insertCell();
      if (consumer.running.length === 0) {
        running.textContent = "idle";
        running.className = "muted";
      }
      consumer.running.forEach(function (task, i) {
        if (i > 0) running.appendChild(document.createTextNode(", "));
        var link = document.createElement("a");
        link.href = base + "/tasks/" + encodeURIComponent(task.id);
        link.textContent = task.name;
        running.appendChild(link);
      });
      row.insertCell().textContent = String(consumer.lastSeen).slice(0, 19).replace("T", " ") + "Z";
    });
  }
  function setFeed(events) {
    var list = document.getElementById("feed");
    if (!list || events.length === 0) return;
    var base = document.body.getAttribute("data-base") || "";
    events.forEach(function (event) {
      var item = document.createElement("li");
      var time = document.createElement("span");
      time.className = "muted mono";
      time.textContent = String(event.at).slice(11, 19) + " ";
      item.appendChild(time);
      item.appendChild(document.createTextNode(event.type + " "));
      if (event.id) {
        var link = document.createElement("a");
        link.href = base + "/tasks/" + encodeURIComponent(event.id);
        link.textContent = event.name || event.id;
        item.appendChild(link);
      }
      list.insertBefore(item, list.firstChild);
    });
    while (list.children.length > 20) list.removeChild(list.lastChild);
    var empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
  }
  var chart = document.getElementById("chart");
  if (chart) drawChart(chart, JSON.parse(chart.getAttribute("data-series")));
  var live = document.querySelector("[data-live]");
  if (live && typeof EventSource === "function") {
    var source = new EventSource(live.getAttribute("data-live"));
    var status = document.getElementById("live");
    source.addEventListener("open", function () {
      if (status) { status.setAttribute("data-state", "live"); status.textContent = "live"; }
    });
    source.addEventListener("error", function () {
      if (status) { status.setAttribute("data-state", "down"); status.textContent = "reconnecting"; }
    });
    source.addEventListener("update", function (message) {
      var update = JSON.parse(message.data);
      setCounts(update.counts);
      setConsumers(update.consumers);
      if (chart) drawChart(chart, update.chart);
      setFeed(update.events);
      document.body.setAttribute("data-updates",
        String(Number(document.body.getAttribute("data-updates") || "0") + 1));
    });
  }
})();
`;
