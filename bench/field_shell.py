"""The field app's shell: how much a phone downloads the first time, and how long the
first visit takes on a poor connection.

1. Size: the page (/field/, as served), every script, the style sheet and the manifest,
   each gzip-compressed (level 6, nginx's usual setting); Leaflet and map tiles are not
   part of the shell. Goal: ≤ 150 KB.
2. First load: Debian's Chromium, a fresh profile, Chrome DevTools' "Slow 3G" preset
   (Network.emulateNetworkConditions: 2,000 ms latency, 50,000 bytes/s down and up, i.e.
   400 kbit/s) and 4× CPU slowdown (Emulation.setCPUThrottlingRate); from the start of the
   navigation until the sign-in form is on the screen and usable. The app is served on
   loopback by a threaded server, with gzip on text as nginx serves /static/ in a
   deployment (README); the same load without compression is printed for comparison.
   Goal: < 5 s, median of three cold loads.
"""
from __future__ import annotations

import gzip
import statistics
import threading
import time
from pathlib import Path

from benchdb import bench_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"      # Debian's, as the browser tests use it
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]

GOAL_KB = 150
GOAL_S = 5.0
RUNS = 3
# Chrome DevTools' "Slow 3G" preset (front_end/core/sdk/NetworkManager.ts).
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}
CPU_SLOWDOWN = 4
TEXT = ("text/", "application/javascript", "application/json", "application/manifest+json")


def gzip_text(app):
    """WSGI middleware: gzip text answers when the browser accepts it, as nginx would."""
    def wrapped(environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None
        body = b"".join(app(environ, capture))
        headers = captured["headers"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if kind.startswith(TEXT) and captured["status"].startswith("200"):
            body = gzip.compress(body, 6)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        start_response(captured["status"], headers)
        return [body]
    return wrapped


def shell_sizes(app) -> dict[str, tuple[int, int]]:
    """Each part of the shell: (bytes, gzip-compressed bytes)."""
    client = app.test_client()
    folder = ROOT / "static" / "field"
    parts = {"/field/": client.get("/field/").data,
             "/field/manifest.webmanifest": client.get("/field/manifest.webmanifest").data}
    for path in sorted(folder.glob("*.js")) + sorted(folder.glob("*.css")):
        parts[f"/static/field/{path.name}"] = path.read_bytes()
    return {name: (len(data), len(gzip.compress(data, 6))) for name, data in parts.items()}


def first_loads(url: str) -> list[float]:
    from playwright.sync_api import sync_playwright
    seconds = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _run in range(RUNS):
            context = browser.new_context(viewport={"width": 360, "height": 640},
                                          is_mobile=True, has_touch=True, locale="vi-VN")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
            started = time.perf_counter()
            page.goto(f"{url}/field/", wait_until="commit", timeout=60000)
            page.locator("#email").wait_for(timeout=60000)
            seconds.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return seconds


def serve(app, compress: bool):
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, gzip_text(app) if compress else app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> int:
    with bench_app("field_shell") as (app, _url):
        sizes = shell_sizes(app)
        loads = {}
        for compress in (False, True):
            server, url = serve(app, compress)
            try:
                loads[compress] = first_loads(url)
            finally:
                server.shutdown()
    for name, (raw, packed) in sizes.items():
        print(f"  {name:36} {raw / 1024:6.1f} KB, {packed / 1024:5.1f} KB gzip")
    raw_kb = sum(r for r, _p in sizes.values()) / 1024
    packed_kb = sum(p for _r, p in sizes.values()) / 1024
    plain, packed = statistics.median(loads[False]), statistics.median(loads[True])
    print(f"first load, Slow 3G and 4× CPU, uncompressed: {plain:.2f} s "
          f"({', '.join(f'{s:.2f}' for s in loads[False])})")
    print(f"first load, Slow 3G and 4× CPU, gzip: "
          f"{', '.join(f'{s:.2f}' for s in loads[True])} s")
    size_ok = packed_kb <= GOAL_KB
    print(f"field app shell: {packed_kb:.1f} KB gzip ({raw_kb:.1f} KB uncompressed, "
          f"{packed_kb / GOAL_KB:.0%} of the limit; Leaflet and tiles aside) — goal "
          f"≤ {GOAL_KB} KB: {'met' if size_ok else 'missed'}")
    print(f"field app first load on Slow 3G with 4× CPU: {packed:.2f} s median of {RUNS} "
          f"({plain:.2f} s uncompressed) — goal < {GOAL_S:g} s: "
          f"{'met' if packed < GOAL_S else 'missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
