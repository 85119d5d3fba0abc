"""`python -m bench.exports`: the registry exports at full scale, and whether their memory stays flat in the rows.

Two SQLite provinces from the generator (bench/generate.py), the same communes: a tenth (10 communes, 6,000 sites,
100,000 check-ins) and the full one (100 communes, 60,000 sites, 1,000,000 check-ins). The province viewer
exports every site (`/sites/export.{xlsx,csv}?status=all`) through the app, as a browser would, and the body is
read to its end. Each export runs in a fresh process that does only that: create the app, sign in, one export
with a filter that finds nothing (imports, first-request work), then the export measured. That process reports:

- time: wall clock of the GET and of reading its body to the end (the median of BENCH_EXPORT_RUNS processes,
  default 3);
- peak memory: the process's resident set high-water mark (`ru_maxrss`, RSS as in the issue's 464 MB), the
  highest of the runs, and the RSS before the measured export (what the app itself holds);
- the program export: one commune's program with every task of the province moved into it (3,000 tasks, 30,000
  updates, in a copy of the full province), XLSX and CSV, evaluated afresh (the figures programs keep for the day
  dropped before each run). Reported, no bar.

Bars (issue 10): peak(60,000) ≤ 1.3 × peak(6,000) for XLSX and for CSV; the 60,000-site CSV in ≤ 5 s.
"""

import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

from bench import generate
from bench.generate import Shape, app_config
from bench.pages import ServerErrors, login

OUT = Path(__file__).resolve().parent / "out"
SHAPES = {"tenth": Shape("tenth", "1/10", communes=10), "full": generate.SHAPES["full"]}
MEMORY_BAR, CSV_SECONDS = 1.3, 5.0
NOTHING = "khong-co-diem-nao-ten-nhu-the"  # a filter that finds no site: the warm-up export


def url_of(name: str) -> str:
    return f"sqlite:///{OUT / f'exports-{name}.sqlite3'}"


def child(url: str, path: str) -> dict:
    """In a fresh process: sign in, warm up, then one export read to its end; its time and memory."""
    from tracker import create_app

    app = create_app(app_config(url))
    errors = ServerErrors(app)
    client = app.test_client()
    login(client)
    fmt = path.split("?")[0].rsplit(".", 1)[1]
    client.get(f"/sites/export.{fmt}?status=all&q={NOTHING}", buffered=False).get_data()
    reset = _reset_peak()
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    seconds = time.perf_counter() - started
    return {
        "status": response.status_code,
        "error": errors.last,
        "streamed": response.is_streamed,
        "seconds": round(seconds, 3),
        "bytes": size,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(
            _status_mb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "peak_of": "the export" if reset else "the process (sign-in included)",
    }


def _reset_peak() -> bool:
    """Reset the process's RSS high-water mark to its current RSS (Linux ≥ 4.0), so the peak is the export's, not
    the sign-in's (its password hash is memory-hard: tens of MB for a moment). False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM the high-water mark), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(url: str, path: str, runs: int, before=None) -> dict:
    """`runs` fresh processes, each doing only this export (after `before()`, when given): median time, highest
    peak."""
    found = []
    for _ in range(runs):
        if before is not None:
            before()
        done = subprocess.run(
            [sys.executable, "-m", "bench.exports", "--child", url, path],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if done.returncode != 0:
            raise RuntimeError(f"export {path} broke:\n{done.stderr[-2000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["status"] != 200:
            raise RuntimeError(f"export {path} answered HTTP {result['status']}: {result['error']}")
        found.append(result)
    return {
        "path": path,
        "runs": runs,
        "seconds": statistics.median(r["seconds"] for r in found),
        "seconds_each": [r["seconds"] for r in found],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in found),
        "rss_before_mb": max(r["rss_before_mb"] for r in found),
        "export_mb": round(max(r["peak_rss_mb"] - r["rss_before_mb"] for r in found), 1),
        "peak_of": found[0]["peak_of"],
        "bytes": found[0]["bytes"],
        "streamed": all(r["streamed"] for r in found),
    }


def database(name: str, log) -> dict:
    """The province of this shape (generated, or with BENCH_REUSE=1 the previous run's); its record."""
    stamp = OUT / f"exports-{name}.json"
    if os.environ.get("BENCH_REUSE") == "1" and stamp.exists():
        log(f"   reusing exports-{name}.sqlite3 (BENCH_REUSE=1)")
        return json.loads(stamp.read_text())
    info = generate.build(url_of(name), SHAPES[name], log=log)
    stamp.write_text(json.dumps(info, indent=2))
    return info


def program_database(info: dict) -> int:
    """A copy of the full province in which one program holds every task (3,000) and their updates; its tasks."""
    target = OUT / "exports-program.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with closing(sqlite3.connect(OUT / "exports-full.sqlite3")) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tasks SET program_id = :p"), {"p": info["program_id"]})
        tasks = conn.scalar(sa.text("SELECT count(*) FROM tasks WHERE program_id = :p"), {"p": info["program_id"]})
    engine.dispose()
    forget_figures()
    return tasks


def forget_figures() -> None:
    """Drop the figures programs keep for the day, so the program export evaluates its 3,000 tasks afresh."""
    engine = sa.create_engine(f"sqlite:///{OUT / 'exports-program.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM program_figures")
    engine.dispose()


def run(log=print) -> tuple[dict, list[str]]:
    """Measure; returns (the record for results.json, the summary lines with the bars)."""
    OUT.mkdir(exist_ok=True)
    runs = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
    infos, results = {}, {}
    for name in SHAPES:
        log(f"== exports: the province at {SHAPES[name].label} scale ({SHAPES[name].communes} communes)")
        infos[name] = database(name, log)
    for fmt in ("csv", "xlsx"):
        for name in SHAPES:
            sites = infos[name]["rows"]["sites"]
            log(f"== exports: {sites:,} sites as {fmt.upper()}, {runs} fresh processes…")
            result = measure(url_of(name), f"/sites/export.{fmt}?status=all", runs)
            result["sites"] = sites
            results[f"sites_{fmt}_{name}"] = result
            log(
                f"   {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB (RSS before the export "
                f"{result['rss_before_mb']:.0f} MB, +{result['export_mb']:.0f} MB), {result['bytes'] / 1e6:.1f} MB file"
            )
    log("== exports: the program of 3,000 tasks (a copy of the full province)…")
    tasks = program_database(infos["full"])
    program_url = f"sqlite:///{OUT / 'exports-program.sqlite3'}"
    for fmt in ("csv", "xlsx"):
        result = measure(program_url, f"/programs/{infos['full']['program_id']}/export.{fmt}", runs, forget_figures)
        result["tasks"] = tasks
        results[f"program_{fmt}"] = result
        log(f"   {tasks:,} tasks as {fmt.upper()}: {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB")

    bars = []
    for fmt in ("xlsx", "csv"):
        small, full = results[f"sites_{fmt}_tenth"], results[f"sites_{fmt}_full"]
        ratio = full["peak_rss_mb"] / small["peak_rss_mb"]
        bars.append(
            (
                ratio <= MEMORY_BAR,
                f"{fmt.upper()} peak RSS {full['peak_rss_mb']:.0f} MB for {full['sites']:,} sites / "
                f"{small['peak_rss_mb']:.0f} MB for {small['sites']:,} = {ratio:.2f}× (bar ≤ {MEMORY_BAR:g}×; "
                f"{full['seconds']:.1f} s / {small['seconds']:.1f} s)",
            )
        )
    csv_full = results["sites_csv_full"]
    bars.append(
        (
            csv_full["seconds"] <= CSV_SECONDS,
            f"CSV of {csv_full['sites']:,} sites in {csv_full['seconds']:.2f} s (bar ≤ {CSV_SECONDS:g} s)",
        )
    )
    program = results["program_xlsx"], results["program_csv"]
    info = (
        f"program of {tasks:,} tasks: XLSX {program[0]['seconds']:.2f} s, CSV {program[1]['seconds']:.2f} s "
        f"(peak RSS {program[0]['peak_rss_mb']:.0f} / {program[1]['peak_rss_mb']:.0f} MB)"
    )
    record = {
        "memory": "peak RSS (ru_maxrss) of a fresh process doing one export after a warm-up",
        "exports": results,
        "generation": {name: infos[name] for name in infos},
        "bars": [{"verdict": "PASS" if ok else "FAIL", "text": text} for ok, text in bars]
        + [{"verdict": "INFO", "text": info}],
    }
    lines = ["", "### exports (sites XLSX and CSV, streamed)"]
    lines += [f"{'PASS' if ok else 'FAIL':<4}  {text}" for ok, text in bars] + [f"INFO  {info}"]
    return record, lines


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
        return 0
    _record, lines = run()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
