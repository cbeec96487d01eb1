"""A real-time analytics dashboard: a small Flask app whose page polls a
JSON endpoint and draws views per minute, unique visitors and top pages,
all counted in Redis with ``redcore.analytics``.

    python examples/dashboard/app.py                 # embedded engine, fake traffic
    REDIS_URL=redis://localhost:6379/0 python examples/dashboard/app.py

Then open http://127.0.0.1:5001/. Routes:

    GET  /               the dashboard page (plain HTML, CSS and JavaScript)
    POST /track          {"page": "/docs", "visitor": "ada"}: records a view
    GET  /api/stats      the numbers the page draws (JSON)
"""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Any, Optional

from flask import Flask, jsonify, request

import redcore
from redcore.analytics import Counter, TopK, UniqueCounter

WINDOW_MINUTES = 15

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Live traffic</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
  .tiles { display: flex; gap: 1rem; }
  .tile { border: 1px solid #ddd; border-radius: 6px; padding: 1rem 1.5rem; }
  .tile b { display: block; font-size: 2rem; }
  #chart rect { fill: #c0392b; }
  table { border-collapse: collapse; margin-top: 1rem; }
  td, th { border-bottom: 1px solid #eee; padding: .3rem 1rem; text-align: left; }
</style>
</head>
<body>
<h1>Live traffic</h1>
<div class="tiles">
  <div class="tile">views, last 15 min <b id="views">…</b></div>
  <div class="tile">unique visitors <b id="uniques">…</b></div>
</div>
<svg id="chart" width="600" height="120" role="img" aria-label="views per minute"></svg>
<table><thead><tr><th>page</th><th>views</th></tr></thead><tbody id="pages"></tbody></table>
<p id="status">loading</p>
<script>
async function refresh() {
  const stats = await (await fetch("api/stats")).json();
  document.getElementById("views").textContent = stats.views;
  document.getElementById("uniques").textContent = stats.uniques;
  const chart = document.getElementById("chart");
  const top = Math.max(1, ...stats.series.map(p => p[1]));
  const w = 600 / Math.max(1, stats.series.length);
  chart.innerHTML = stats.series.map((p, i) => {
    const h = Math.round(110 * p[1] / top);
    return `<rect x="${i * w}" y="${120 - h}" width="${w - 2}" height="${h}"><title>${p[1]}</title></rect>`;
  }).join("");
  const rows = document.getElementById("pages");
  rows.replaceChildren(...stats.top.map(([page, n]) => {
    const tr = document.createElement("tr");
    tr.className = "page";
    for (const text of [page, n]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
  document.getElementById("status").textContent = "updated " + new Date(stats.at * 1000).toLocaleTimeString();
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
"""


def create_app(url: Optional[str] = None) -> Flask:
    """The dashboard on the engine or server at ``url`` (default:
    ``REDIS_URL`` or ``memory://dashboard``)."""
    client = redcore.Redis.from_url(url or os.environ.get("REDIS_URL", "memory://dashboard"), decode_responses=True)
    views = Counter(client, "dash:views", bucket="minute")
    uniques = UniqueCounter(client, "dash:uniques", bucket="minute")
    pages = TopK(client, "dash:pages", k=5)
    app = Flask(__name__)
    app.extensions["redis"] = client

    def track(page: str, visitor: str, at: Optional[float] = None) -> None:
        views.incr(at=at)
        uniques.add(visitor, at=at)
        pages.add(page)

    app.extensions["track"] = track

    @app.get("/")
    def index() -> Any:
        return PAGE

    @app.post("/track")
    def track_view() -> Any:
        body = request.get_json(silent=True) or {}
        if not body.get("page") or not body.get("visitor"):
            return jsonify(error="page and visitor required"), 400
        track(str(body["page"]), str(body["visitor"]))
        return jsonify(ok=True)

    @app.get("/api/stats")
    def stats() -> Any:
        now = time.time()
        start = now - WINDOW_MINUTES * 60
        series = views.series(start, now)
        return jsonify(
            at=now,
            views=sum(n for _, n in series),
            uniques=uniques.count(start, now),
            series=series,
            top=[[page, int(n)] for page, n in pages.top()],
        )

    return app


def fake_traffic(app: Flask, stop: threading.Event, per_second: float = 20) -> None:
    """Sends made-up page views until ``stop`` is set."""
    rng = random.Random()
    track = app.extensions["track"]
    while not stop.wait(1 / per_second):
        track(rng.choice(["/", "/", "/docs", "/pricing", "/blog"]), f"visitor-{rng.randrange(500)}")


if __name__ == "__main__":
    dashboard = create_app()
    threading.Thread(target=fake_traffic, args=(dashboard, threading.Event()), daemon=True).start()
    dashboard.run(port=int(os.environ.get("PORT", "5001")))
