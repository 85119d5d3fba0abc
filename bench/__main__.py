"""`make bench`: generate the province at 1/100 and full scale, measure the pages, print the bars; then the public
hot paths under gunicorn and wrk (bench/checkin.py: check-in POST and QR SVG throughput against a bare route); then
the posters (bench/posters.py: 600 and 6,000 A4 posters, time, peak memory, WeasyPrint for comparison); then the
exports (bench/exports.py: 6,000 and 60,000 sites as XLSX and CSV, time and peak RSS, each in a fresh process); then
the report documents (bench/reports.py: a commune's quarterly report and the province's consolidated report of 10
and 100 submitted reports, time and statements).

Environment: BENCH_ONLY=pages|checkin|posters|exports|reports (or several, comma-separated) runs those parts;
BENCH_SCALE_ONLY=small|full runs one scale of the pages; TRACKER_BENCH_POSTGRES_URL (else TRACKER_TEST_POSTGRES_URL)
adds a PostgreSQL run; BENCH_REUSE=1 measures the databases of the previous run instead of generating them again
(the check-in and poster parts build their small databases each time; the exports and reports parts keep their own
two provinces, reused the same way). A failed bar is reported, not an error: the exit status is non-zero only when
the benchmark itself breaks.
"""

import json
import os
import platform
import pstats
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench import checkin, exports, generate, pages, posters, reports

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
TIME_RATIO = 3
PROVINCE_MS = 300
PROFILED = 3  # requests profiled for each page that misses a time bar
# part → its key in results.json
PARTS = {"pages": "backends", "checkin": "checkin", "posters": "posters", "exports": "exports", "reports": "reports"}
_PG_PARAM = re.compile(r"%\(\w+\)s(?:::(?:INTEGER|VARCHAR|DATE|NUMERIC|BOOLEAN|TIMESTAMP WITHOUT TIME ZONE))?")
_IN_LIST = re.compile(r"IN \(\?(?:, \?)*\)")
_COLUMNS = re.compile(r"^SELECT .{60,}? FROM ")


@dataclass
class Bar:
    verdict: str  # PASS, FAIL or N/A
    text: str
    page: str  # PageResult.key
    timed: bool  # a time bar (a failure gets the page profiled)


def log(message: str = "") -> None:
    print(message, flush=True)


def backends() -> list[tuple[str, dict[str, str]]]:
    found = [("sqlite", {s: f"sqlite:///{OUT / f'{s}.sqlite3'}" for s in generate.SHAPES})]
    server = os.environ.get("TRACKER_BENCH_POSTGRES_URL") or os.environ.get("TRACKER_TEST_POSTGRES_URL")
    if server:
        base = sa.make_url(server)
        urls = {s: base.set(database=f"tracker_bench_{s}").render_as_string(False) for s in generate.SHAPES}
        found.append(("postgresql", urls))
    return found


def scales() -> list[str]:
    only = os.environ.get("BENCH_SCALE_ONLY", "").strip()
    if only and only not in generate.SHAPES:
        raise SystemExit(f"BENCH_SCALE_ONLY must be one of {', '.join(generate.SHAPES)}, not {only!r}")
    return [only] if only else list(generate.SHAPES)


def generated(backend: str, scale: str, url: str) -> dict:
    """Generate the database (or, with BENCH_REUSE=1, take the previous run's); returns its record."""
    stamp = OUT / f"{backend}-{scale}.json"
    if os.environ.get("BENCH_REUSE") == "1" and stamp.exists():
        info = json.loads(stamp.read_text())
        log(f"   reusing the database generated at {info['generated_at']} (BENCH_REUSE=1)")
        return info
    info = generate.build(url, generate.SHAPES[scale], log=log)
    info["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    stamp.write_text(json.dumps(info, indent=2))
    return info


def _cell(value) -> str:
    return "—" if value is None else str(value)


def table(small: dict[str, pages.PageResult], full: dict[str, pages.PageResult]) -> list[str]:
    header = f"{'page':<22} {'statements 1/100':>17} {'statements full':>16} {'ms 1/100':>9} {'ms full':>9}  ratio"
    lines, notes = [header, "-" * len(header)], []
    for key in small or full:
        s, f = small.get(key), full.get(key)
        name = (s or f).name
        ratio = f"{f.median_ms / s.median_ms:.2f}×" if s and f and s.median_ms and f.median_ms else None
        lines.append(
            f"{name:<22} {_cell(s and s.statement_count):>17} {_cell(f and f.statement_count):>16} "
            f"{_cell(s and s.median_ms):>9} {_cell(f and f.median_ms):>9}  {_cell(ratio)}"
        )
        for label, r in (("1/100", s), ("full", f)):
            if r is not None and r.problem:
                notes.append(f"  {name} at {label} scale: {r.problem} — not measured")
    return lines + notes


def bars(small: dict[str, pages.PageResult], full: dict[str, pages.PageResult]) -> list[Bar]:
    """The issue's bars: statements identical at both scales, full ≤ 3× the 1/100 time, province < 300 ms."""
    found = []
    for key, s in small.items():
        f = full.get(key)
        if f is None:
            continue
        if not (s.ok and f.ok):
            found.append(Bar("N/A", f"{s.name}: {s.problem or f.problem}", key, False))
            continue
        same = len(set(s.statements) | set(f.statements)) == 1
        text = f"{s.name}: statements identical at both scales ({s.statement_count} / {f.statement_count})"
        if not same:
            text = "\n".join([text, *statement_diff(s, f)])
        found.append(Bar("PASS" if same else "FAIL", text, key, False))
        ratio = f.median_ms / s.median_ms if s.median_ms else float("inf")
        if key in pages.REPORTED_ONLY:
            text = f"{s.name}: {s.median_ms} ms at 1/100 scale, {f.median_ms} ms at full scale ({ratio:.2f}×)"
            found.append(Bar("INFO", text, key, False))
            continue
        found.append(
            Bar(
                "PASS" if ratio <= TIME_RATIO else "FAIL",
                f"{s.name}: full-scale time ≤ {TIME_RATIO}× the 1/100-scale time "
                f"({f.median_ms} ms / {s.median_ms} ms = {ratio:.2f}×)",
                key,
                True,
            )
        )
    province = full.get("province")
    if province is not None and province.ok:
        found.append(
            Bar(
                "PASS" if province.median_ms < PROVINCE_MS else "FAIL",
                f"province dashboard under {PROVINCE_MS} ms at full scale ({province.median_ms} ms)",
                "province",
                True,
            )
        )
    elif province is not None:
        found.append(Bar("N/A", f"province dashboard at full scale: {province.problem}", "province", False))
    return found


def _shape(statement: str) -> str:
    """A statement with its parameters and IN lists collapsed, so the same query at both scales compares equal."""
    return _IN_LIST.sub("IN (?…)", _PG_PARAM.sub("?", statement))


def statement_diff(small: pages.PageResult, full: pages.PageResult, limit: int = 3) -> list[str]:
    """The statements one scale sends more often than the other."""
    counts = Counter(_shape(q) for _ms, q in full.sql)
    counts.subtract(Counter(_shape(q) for _ms, q in small.sql))
    changed = [(n, q) for q, n in counts.items() if n]
    changed.sort(key=lambda item: -abs(item[0]))
    return [f"      {n:+d} at full scale: {_COLUMNS.sub('SELECT … FROM ', q)[:140]}" for n, q in changed[:limit]]


def hot_spots(stats_path: Path, page: pages.PageResult, limit: int = 8) -> list[str]:
    """Where a page's time goes: project functions by cumulative time, any function by own time, slowest SQL.

    Shares are of the profiled requests; milliseconds apply a share to the median measured without the
    profiler (cProfile itself slows the requests down).
    """
    stats = pstats.Stats(str(stats_path))
    total = stats.total_tt or 1
    ours, own = [], []
    for (filename, line, function), (_cc, _nc, tottime, cumulative, _callers) in stats.stats.items():
        path = Path(filename)
        inside = path.is_relative_to(ROOT)
        where = f"{path.relative_to(ROOT) if inside else path.name}:{line} {function}"
        if inside and not path.is_relative_to(ROOT / ".venv") and not path.is_relative_to(ROOT / "bench"):
            ours.append((cumulative, where))
        own.append((tottime, where))

    def lines(rows, count):
        rows.sort(reverse=True)
        shares = [(min(t / total, 1), w) for t, w in rows[:count]]
        return [f"    {share:6.1%}  ≈{share * page.median_ms:7.1f} ms  {w}" for share, w in shares]

    return [
        "  cumulative, project code:",
        *lines(ours, limit),
        "  own time, any code:",
        *lines(own, limit - 2),
        f"  SQL: {len(page.sql)} statements executing in {page.sql_ms} ms; the slowest:",
        *(f"    {ms:7.1f} ms  {statement[:150]}" for ms, statement in sorted(page.sql, reverse=True)[:3]),
    ]


def profile_failures(backend: str, url: str, full: dict[str, pages.PageResult], checks: list[Bar]) -> list[str]:
    """cProfile, at full scale, of each page that missed a time bar; returns where its time goes."""
    lines = []
    for key in dict.fromkeys(b.page for b in checks if b.timed and b.verdict == "FAIL"):
        page = full[key]
        path = OUT / f"profile-{backend}-{key}.pstats"
        log(f"== {backend}: profiling {PROFILED} requests to the {page.name} ({page.median_ms} ms at full scale)")
        status = pages.profile(url, page.url, path, repeat=PROFILED)
        if status != 200:
            lines.append(f"The {page.name} answered HTTP {status} when profiled (the code changed?): no profile")
            continue
        lines += [f"Where the {page.name}'s time goes at full scale ({path.name}):", *hot_spots(path, page)]
    return lines


def parts() -> set[str]:
    only = {part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()}
    if only - set(PARTS):
        raise SystemExit(f"BENCH_ONLY takes {', '.join(PARTS)} (comma-separated), not {os.environ['BENCH_ONLY']!r}")
    return only or set(PARTS)


def carry_over(report: dict, chosen: set[str]) -> None:
    """With BENCH_ONLY, the part not run keeps its figures of the previous results.json (marked as such)."""
    path = OUT / "results.json"
    if chosen == set(PARTS) or not path.exists():
        return
    previous = json.loads(path.read_text())
    for part in set(PARTS) - chosen:
        if previous.get(PARTS[part]):
            report[PARTS[part]] = previous[PARTS[part]]
            report.setdefault("carried_over", {})[part] = previous.get("started_at")


def run() -> int:
    OUT.mkdir(exist_ok=True)
    chosen = parts()
    report = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_at_start": os.getloadavg(),
        },
        "backends": {},
    }
    printed = []
    for backend, urls in backends() if "pages" in chosen else []:
        results: dict[str, dict[str, pages.PageResult]] = {}
        record = report["backends"][backend] = {}
        for scale in scales():
            shape = generate.SHAPES[scale]
            log(f"== {backend}, {shape.label} scale ({shape.communes} commune(s)): generating")
            info = generated(backend, scale, urls[scale])
            rows = ", ".join(f"{name} {count:,}" for name, count in info["rows"].items())
            log(f"   generated in {info['seconds']} s (migrations {info['migrate_seconds']} s): {rows}")
            log(f"== {backend}, {shape.label} scale: measuring ({pages.REPEAT} requests per page after a warm-up)")
            results[scale] = {r.key: r for r in pages.measure(urls[scale], info)}
            record[scale] = {"generation": info, "pages": [r.as_dict() for r in results[scale].values()]}
        small, full = results.get("small", {}), results.get("full", {})
        checks = bars(small, full)
        record["bars"] = [{"verdict": b.verdict, "bar": b.text} for b in checks]
        lines = [f"### {backend}"]
        for scale, label in (("small", "1/100"), ("full", "full")):
            if scale in record:
                info = record[scale]["generation"]
                rows = ", ".join(f"{name} {count:,}" for name, count in info["rows"].items())
                lines.append(f"generated at {label} scale in {info['seconds']} s: {rows}")
        lines += [*table(small, full), *(f"{b.verdict:<4}  {b.text}" for b in checks)]
        spots = profile_failures(backend, urls["full"], full, checks)
        record["hot_spots"] = spots
        log("\n".join(["", *lines, *spots]))
        printed += ["", *lines]
    if "checkin" in chosen:
        report["checkin"], lines = checkin.run()
        printed += lines
    if "posters" in chosen:
        report["posters"], lines = posters.run()
        printed += lines
    if "exports" in chosen:
        report["exports"], lines = exports.run(log=log)
        printed += lines
    if "reports" in chosen:
        report["reports"], lines = reports.run(log=log)
        printed += lines
    carry_over(report, chosen)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"]["load_at_end"] = os.getloadavg()
    load = " → ".join(f"{report['machine'][k][0]:.2f}" for k in ("load_at_start", "load_at_end"))
    printed.append(f"load average (1 min) at start → end: {load} on {os.cpu_count()} CPUs; other work skews times")
    (OUT / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    log("\n".join(["", "== summary", *printed, "", f"Results written to {OUT / 'results.json'}"]))
    return 0


if __name__ == "__main__":
    sys.exit(run())
