"""`python -m bench.reports`: period report documents on the bench province (issue 13, Speed).

Two SQLite provinces from the generator (bench/generate.py), the same communes: a tenth (10 communes, 300 tasks,
3,000 updates) and the full one (100 communes, 3,000 tasks, 30,000 updates). In each, untimed, every commune
submits its report for the latest quarter whose data is cut off (its figures frozen as submission freezes them);
commune 1 also submitted the quarter before (so its document carries the changes since then) and has a draft for
the current quarter (whose figures are read live). Then, in process, inside a request context as a route would:

- commune 1's report as DOCX: the submitted one (frozen figures, deltas) and the draft (figures read live as of
  the cut-off end, the rules evaluated);
- the province's consolidated report as DOCX, built from its 10 or 100 submitted reports; PDF and XLSX reported.

Each document: one warm-up, then BENCH_REPORT_RUNS (default 5) measured, each in a fresh session; the median time.
Statements are counted as bench/pages.py counts them. Bars: a commune's DOCX ≤ 500 ms, the province's consolidated
DOCX ≤ 3 s at full scale, and every document sends as many statements for 100 communes as for 10.
"""

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench import generate
from bench.generate import Shape, app_config
from bench.pages import StatementCounter
from tracker import create_app
from tracker.db import local_today
from tracker.extensions import db
from tracker.reports import periods, services
from tracker.reports.documents import report_document, reporting_document
from tracker.reports.models import Report
from tracker.reports.periods import PeriodKind
from tracker.units.models import Unit, UnitKind

OUT = Path(__file__).resolve().parent / "out"
SHAPES = {"tenth": Shape("tenth", "1/10", communes=10), "full": generate.SHAPES["full"]}
COMMUNE_MS, PROVINCE_MS = 500, 3000
# (key, document, format, bar in ms or None)
DOCUMENTS = [
    ("commune_submitted", "submitted", "docx", COMMUNE_MS),
    ("commune_draft", "draft", "docx", COMMUNE_MS),
    ("province", "consolidated", "docx", PROVINCE_MS),
    ("province_pdf", "consolidated", "pdf", None),
    ("province_xlsx", "consolidated", "xlsx", None),
]
WHAT = {
    "submitted": "a commune's submitted quarterly report",
    "draft": "a commune's draft quarterly report (live figures)",
    "consolidated": "the province's consolidated report",
}


def url_of(name: str) -> str:
    return f"sqlite:///{OUT / f'reports-{name}.sqlite3'}"


def database(name: str, log) -> dict:
    """The province of this shape with its reports (generated, or with BENCH_REUSE=1 the previous run's)."""
    stamp = OUT / f"reports-{name}.json"
    if os.environ.get("BENCH_REUSE") == "1" and stamp.exists():
        log(f"   reusing reports-{name}.sqlite3 (BENCH_REUSE=1)")
        return json.loads(stamp.read_text())
    info = generate.build(url_of(name), SHAPES[name], log=log)
    started = time.perf_counter()
    info |= submit_reports(url_of(name))
    info["reports_seconds"] = round(time.perf_counter() - started, 1)
    log(f"   {info['submitted']} reports for {info['period']} submitted in {info['reports_seconds']} s")
    stamp.write_text(json.dumps(info, indent=2))
    return info


def submit_reports(url: str) -> dict:
    """Every commune submits the latest quarter cut off by today; commune 1 the quarter before too, and drafts the
    current one."""
    app = create_app(app_config(url))
    with app.test_request_context():
        today = local_today()
        (period,) = periods.latest_ended(today, {PeriodKind.QUARTER})
        province = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.PROVINCE))
        communes = db.session.scalars(select(Unit.id).where(Unit.parent_id == province.id).order_by(Unit.id)).all()
        first = communes[0]
        services.submit(services.create_report(first, period.previous.key), None, today=today)
        for unit_id in communes:
            services.submit(services.create_report(unit_id, period.key), None, today=today)
        submitted = db.session.scalar(select(Report.id).where(Report.unit_id == first, Report.period == period.key))
        following = periods.containing(period.ends_on + timedelta(days=1), PeriodKind.QUARTER)
        draft = services.create_report(first, following.key)
        db.session.commit()
        ids = {
            "period": period.key,
            "province_id": province.id,
            "submitted": len(communes),
            "submitted_id": submitted,
            "draft_id": draft.id,
        }
        db.engine.dispose()
    return ids


def measure(url: str, info: dict, runs: int) -> dict[str, dict]:
    app = create_app(app_config(url))
    with app.app_context():
        counter = StatementCounter(db.engine)
    period = periods.parse(info["period"])
    makers = {
        "submitted": lambda fmt: report_document(db.session.get(Report, info["submitted_id"]), fmt),
        "draft": lambda fmt: report_document(db.session.get(Report, info["draft_id"]), fmt),
        "consolidated": lambda fmt: reporting_document(info["province_id"], period, fmt),
    }
    results = {}
    for key, document, fmt, _bar in DOCUMENTS:
        make = makers[document]
        times, counts, size = [], [], 0
        for run in range(runs + 1):  # the first is the warm-up
            with app.test_request_context():
                counter.reset()
                started = time.perf_counter()
                body, _mimetype, _name = make(fmt)
                elapsed = (time.perf_counter() - started) * 1000
                db.session.remove()
            if run:
                times.append(round(elapsed, 1))
                counts.append(len(counter.statements))
                size = len(body)
        results[key] = {
            "median_ms": round(statistics.median(times), 1),
            "times_ms": times,
            "statements": max(counts),
            "statement_counts": counts,
            "bytes": size,
        }
    with app.app_context():
        db.engine.dispose()
    return results


def run(log=print) -> tuple[dict, list[str]]:
    """Measure; returns (the record for results.json, the summary lines with the bars)."""
    OUT.mkdir(exist_ok=True)
    runs = int(os.environ.get("BENCH_REPORT_RUNS", "5"))
    infos, results = {}, {}
    for name, shape in SHAPES.items():
        log(f"== reports: the province at {shape.label} scale ({shape.communes} communes)")
        infos[name] = database(name, log)
        log(f"== reports: measuring the documents ({runs} runs each after a warm-up)")
        results[name] = measure(url_of(name), infos[name], runs)
    bars = []
    for key, document, fmt, bar in DOCUMENTS:
        what = WHAT[document]
        small, full = results["tenth"][key], results["full"][key]
        same = small["statements"] == full["statements"] and len(set(small["statement_counts"])) == 1
        bars.append(
            (
                "PASS" if same else "FAIL",
                f"{what} ({fmt.upper()}): statements for 10 / 100 communes {small['statements']} / "
                f"{full['statements']}",
            )
        )
        timing = f"{what} ({fmt.upper()}): {full['median_ms']} ms at full scale ({small['median_ms']} ms for 10)"
        if bar is None:
            bars.append(("INFO", timing))
        else:
            bars.append(("PASS" if full["median_ms"] <= bar else "FAIL", f"{timing}, bar ≤ {bar} ms"))
    record = {
        "documents": results,
        "generation": infos,
        "bars": [{"verdict": verdict, "text": text} for verdict, text in bars],
    }
    lines = ["", "### report documents (a commune's quarterly report, the province's consolidated report)"]
    lines += [f"{verdict:<4}  {text}" for verdict, text in bars]
    return record, lines


def main() -> int:
    _record, lines = run()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
