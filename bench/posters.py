"""`python -m bench.posters`: how fast the QR posters render, and whether memory stays flat in the page count.

A SQLite database from the real migrations holds two wards: one with 600 active sites, one with 6,000. For
each, the posters go the way `flask posters` sends them (site ids by the list's query, sites loaded a chunk at
a time, reportlab in batches joined into one stream, written to a file), without marking them printed.

- time: wall clock for the 600 A4 posters, no tracing (best of BENCH_POSTERS_RUNS, default 3);
- memory: peak traced by tracemalloc while the 600 and then the 6,000 posters are written (tracing slows the
  run several times; the peak, not the time, is what it is for);
- WeasyPrint, the HTML-to-PDF route: the same 600 posters as HTML pages with the same SVG QR and fonts.
  BENCH_WEASYPRINT_SITES (default 600) sets how many it renders; fewer are scaled up to 600, and said so.

Bars: 600 posters ≤ 3 s; at least 3× faster than WeasyPrint; peak(6,000) ≤ 1.5 × peak(600).
"""

import base64
import html
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.generate import SITE_KINDS, app_config, person, site_code
from tracker import PROJECT_ROOT, create_app
from tracker.extensions import db
from tracker.qr import render
from tracker.qr.posters import register_fonts, texts, write_posters
from tracker.qr.selection import iter_sites, unit_site_ids
from tracker.sites.codes import grouped
from tracker.sites.models import Site
from tracker.text import fold
from tracker.units.models import Unit

OUT = Path(__file__).resolve().parent / "out"
WARDS = {"small": ("Phường Bãi Bông", 600), "large": ("Phường Phổ Yên", 6_000)}
TIME_BAR, SPEEDUP_BAR, MEMORY_BAR = 3.0, 3.0, 1.5


def build(url: str) -> dict[str, int]:
    """A fresh database with the two wards and their sites; returns {ward key: unit id}."""
    from flask_migrate import upgrade

    path = Path(sa.make_url(url).database)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng, codes = random.Random(27), set()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamps = {"created_at": now, "updated_at": now}
    kinds = [(kind, prefix) for kind, prefix, _weight in SITE_KINDS]
    units = {}
    upgrade()
    with db.engine.begin() as conn:
        for key, (name, count) in WARDS.items():
            unit_id = conn.execute(
                sa.insert(Unit.__table__).returning(Unit.__table__.c.id),
                {"name": name, "search_name": fold(name), "kind": "ward", "valid_from": date(2025, 7, 1), "version": 1}
                | stamps,
            ).scalar_one()
            units[key] = unit_id
            rows = []
            for n in range(count):
                kind, prefix = rng.choice(kinds)
                site = f"{prefix} {person(rng)} {n + 1}"
                rows.append(
                    {
                        "unit_id": unit_id,
                        "name": site,
                        "search_name": fold(site),
                        "kind": kind,
                        "address": f"Số {rng.randrange(1, 300)}, tổ dân phố {rng.randrange(1, 25)}, {name}",
                        "contact_name": "",
                        "contact_phone": "",
                        "status": "active",
                        "code": site_code(rng, codes),
                        "version": 1,
                        **stamps,
                    }
                )
            conn.execute(sa.insert(Site.__table__), rows)
    return units


def print_unit(unit_id: int, folder: Path) -> tuple[int, int]:
    """Write the unit's A4 posters to a file as the command does; returns (posters, bytes)."""
    ids = unit_site_ids(unit_id)
    with (folder / f"posters-{unit_id}.pdf").open("wb") as out:
        size = write_posters(iter_sites(ids), "a4", out)
    db.session.remove()
    return len(ids), size


def timed(unit_id: int, folder: Path, runs: int) -> tuple[float, int, int]:
    best = None
    for _ in range(runs):
        started = time.perf_counter()
        count, size = print_unit(unit_id, folder)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, count, size


def traced_peak(unit_id: int, folder: Path) -> float:
    """Peak traced memory (MB) while the unit's posters are written."""
    tracemalloc.start()
    try:
        print_unit(unit_id, folder)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


HTML_STYLE = """
@font-face { font-family: DejaVu; src: url(%(fonts)s/DejaVuSans.ttf); }
@font-face { font-family: DejaVu; font-weight: bold; src: url(%(fonts)s/DejaVuSans-Bold.ttf); }
@page { size: A4; margin: 15mm; }
body { font-family: DejaVu; text-align: center; margin: 0; }
section { page-break-after: always; height: 267mm; display: flex; flex-direction: column; }
h1 { color: #0d4a94; font-size: 30pt; margin: 0; }
.unit { color: #404040; font-size: 15pt; }
h2 { font-size: 30pt; margin: 4mm 0 0; }
.address { color: #404040; font-size: 13pt; }
.qr { margin: auto; }
.qr img { width: 130mm; height: 130mm; }
.code { font-weight: bold; font-size: 24pt; letter-spacing: 2pt; }
ol { text-align: left; display: inline-block; font-size: 14pt; margin: 3mm auto; }
.foot { color: #404040; font-size: 10pt; }
"""


def weasyprint_seconds(unit_id: int, count: int) -> float:
    """WeasyPrint rendering `count` of the unit's posters as HTML with the same SVG QR and fonts."""
    from weasyprint import HTML

    shared = texts()
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in shared.steps)
    sections = []
    started = time.perf_counter()
    for site in iter_sites(unit_site_ids(unit_id)[:count]):
        image = base64.b64encode(render.svg(render.payload(site.code))).decode()
        sections.append(
            f"<section><h1>{html.escape(shared.title)}</h1><div class=unit>{html.escape(site.unit.name)}</div>"
            f"<h2>{html.escape(site.name)}</h2><div class=address>{html.escape(site.address)}</div>"
            f"<div class=qr><img src='data:image/svg+xml;base64,{image}'></div>"
            f"<div class=code>{grouped(site.code)}</div><ol>{steps}</ol>"
            f"<div class=foot><b>{html.escape(shared.domain)}</b><br>{html.escape(shared.footer)}</div></section>"
        )
    style = HTML_STYLE % {"fonts": (PROJECT_ROOT / "static" / "fonts").as_uri()}
    document = f"<!doctype html><html lang=vi><meta charset=utf-8><style>{style}</style>{''.join(sections)}</html>"
    HTML(string=document).write_pdf()
    db.session.remove()
    return time.perf_counter() - started


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run() -> tuple[dict, list[str]]:
    """Measure; returns (the record for results.json, the summary lines with the bars)."""
    OUT.mkdir(exist_ok=True)
    url = f"sqlite:///{OUT / 'posters.sqlite3'}"
    app = create_app(app_config(url))
    runs = int(os.environ.get("BENCH_POSTERS_RUNS", "3"))
    weasy_count = int(os.environ.get("BENCH_WEASYPRINT_SITES", "600"))
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("== posters: building the wards (600 and 6,000 sites)…", flush=True)
        units = build(url)
        register_fonts()
        print_unit(units["small"], folder)  # warm-up: imports, fonts, caches

        seconds, count, size = timed(units["small"], folder, runs)
        per = seconds / count * 1000
        print(f"   {count} A4 posters: {seconds:.2f} s, {per:.2f} ms/poster, {size / 1e6:.1f} MB PDF")
        large_started = time.perf_counter()
        large_count, large_size = print_unit(units["large"], folder)
        large_seconds = time.perf_counter() - large_started
        print(f"   {large_count} A4 posters: {large_seconds:.2f} s, {large_size / 1e6:.1f} MB PDF")

        print("   tracing memory (tracemalloc; slower)…", flush=True)
        peak_small = traced_peak(units["small"], folder)
        peak_large = traced_peak(units["large"], folder)
        print(f"   peak traced memory: {peak_small:.1f} MB for {count}, {peak_large:.1f} MB for {large_count}")

        print(f"   WeasyPrint, {weasy_count} posters as HTML…", flush=True)
        weasy = weasyprint_seconds(units["small"], weasy_count)
        scaled = weasy * count / weasy_count
        note = "" if weasy_count == count else f" (measured on {weasy_count}, scaled ×{count / weasy_count:g})"
        print(f"   WeasyPrint: {scaled:.1f} s for {count}{note}, {scaled / count * 1000:.1f} ms/poster", flush=True)

    speedup = scaled / seconds
    ratio = peak_large / peak_small
    bars = [
        (seconds <= TIME_BAR, f"{count} A4 posters in one PDF in {seconds:.2f} s, {seconds / count * 1000:.2f} ms per "
         f"poster (bar ≤ {TIME_BAR:g} s)"),
        (speedup >= SPEEDUP_BAR, f"{speedup:.1f}× faster than WeasyPrint from HTML ({scaled:.1f} s{note}; bar ≥ "
         f"{SPEEDUP_BAR:g}×)"),
        (ratio <= MEMORY_BAR, f"peak traced memory {peak_large:.1f} MB for {large_count} posters / {peak_small:.1f} MB "
         f"for {count} = {ratio:.2f} (bar ≤ {MEMORY_BAR:g}; {large_count} in {large_seconds:.1f} s)"),
    ]  # fmt: skip
    record = {
        "posters": count,
        "seconds": round(seconds, 3),
        "ms_per_poster": round(seconds / count * 1000, 2),
        "pdf_mb": round(size / 1e6, 2),
        "large_posters": large_count,
        "large_seconds": round(large_seconds, 3),
        "peak_mb": round(peak_small, 1),
        "large_peak_mb": round(peak_large, 1),
        "weasyprint_seconds": round(scaled, 2),
        "speedup": round(speedup, 2),
        "bars": [{"verdict": verdict(ok), "text": text} for ok, text in bars],
    }
    return record, ["", "### posters (A4, reportlab, streamed)", *(f"{verdict(ok):<4}  {text}" for ok, text in bars)]


def main() -> int:
    _record, lines = run()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
