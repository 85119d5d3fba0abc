"""The everyday pages are valid HTML: the Nu HTML checker (vnu.jar, `make vnu`) finds no error in them as served.

The pages are rendered by the test client and checked in one run of the checker (a JVM per page would be slow)."""

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests import factories
from tracker.auth.models import User
from tracker.boards.models import Membership
from tracker.checkin.services import check_in
from tracker.db import utcnow
from tracker.extensions import db
from tracker.programs.models import Program
from tracker.reports import services as reports
from tracker.sites.models import Site
from tracker.units.models import Unit

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# The pages of issue 11 part 6, by the ids tests/factories.py create_one_of_each returns (plus province_id), as the
# admin sees them; PUBLIC_PAGES without signing in. tests/e2e/test_accessibility.py runs axe on the same pages.
PAGES = (
    "/?unit_id={unit_id}",
    "/?unit_id={province_id}",
    "/programs/{program_id}",
    "/tasks/{task_id}",
    "/sites/",
    "/sites/{site_id}",
    "/boards/{board_id}",
    "/services/",
    "/services/report",
    "/units/{unit_id}/reports",
    "/reports/{report_id}",
    "/reports/{submitted_report_id}",
    "/units/{province_id}/reporting?period=2026-Q2",
)
PUBLIC_PAGES = ("/login", "/c/{code}", "/public/programs/{program_id}", "/public/units/{unit_id}")


def _java() -> str:
    java = shutil.which("java")
    if not java:
        pytest.skip("Java not installed: run `make vnu` (Debian's default-jre-headless) to check the HTML")
    if not VNU_JAR.is_file():
        pytest.skip(f"The Nu HTML checker is missing ({VNU_JAR.relative_to(ROOT)}): run `make vnu`")
    return java


def vnu_errors(java: str, pages: dict[str, str], folder: Path) -> list[str]:
    """Every error the checker finds in `pages` (name → HTML), as 'name:line: message'."""
    names = {}
    for n, (name, html) in enumerate(pages.items()):
        path = folder / f"page-{n}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, sorted(folder.glob("*.html")))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [
        f"{names.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine', '?')}: {m['message']}"
        f" — {m.get('extract', '').strip()!r}"
        for m in messages
    ]


def seed_pages(province: Unit, ward: Unit, member: User) -> dict:
    """One row of each kind in `ward` (committed), phones written with spaces as people type them, three scans of the
    site so its chart and counts are drawn, the program public: the ids PAGES and PUBLIC_PAGES name."""
    ids = {**factories.create_one_of_each(ward, member), "province_id": province.id}
    db.session.get(Membership, ids["membership_id"]).phone = "0912 345 678"
    db.session.get(Site, ids["site_id"]).contact_phone = "0208 3855 123"
    db.session.get(Program, ids["program_id"]).is_public = True  # the public progress pages show it
    for n, days in enumerate((9, 2, 1)):
        check_in(db.session.connection(), ids["code"], f"device-{n}", now=utcnow() - timedelta(days=days))
    # The period reports: Q2 submitted (the province's reporting page, a revision the admin may return), Q3 a draft
    # (the editor's form, with the changes since Q2).
    submitted = reports.create_report(ward.id, "2026-Q2")
    reports.update_report(submitted, {"achievements": "Đã triển khai ví điện tử.\nCổng thông tin hoạt động."})
    reports.submit(submitted, member, today=date(2026, 6, 16))
    ids |= {"submitted_report_id": submitted.id, "report_id": reports.create_report(ward.id, "2026-Q3").id}
    db.session.commit()
    return ids


@pytest.fixture
def rendered(client, auth, users, province, ward) -> dict[str, str]:
    """The pages as served: path → HTML."""
    ids = seed_pages(province, ward, users["member"])
    pages = {}
    for path in PUBLIC_PAGES:
        url = path.format(**ids)
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    done = client.post(f"/c/{ids['code']}")
    assert done.status_code == 200
    pages[f"POST /c/{ids['code']}"] = done.get_data(as_text=True)
    auth.login("admin")
    for path in PAGES:
        url = path.format(**ids)
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    return pages


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_main_pages_are_valid_html(rendered, tmp_path):
    errors = vnu_errors(_java(), rendered, tmp_path)
    assert not errors, f"{len(errors)} HTML errors (Nu HTML checker):\n" + "\n".join(errors)


def test_the_checker_reports_errors_by_page(tmp_path):
    java = _java()
    bad = '<!doctype html><html lang="vi"><title>x</title><p id="a">1</p><p id="a"><time>hôm qua</time></p>'
    good = '<!doctype html><html lang="vi"><title>x</title><p><time datetime="2025-01-01">1/1/2025</time></p>'
    errors = vnu_errors(java, {"bad": bad, "good": good}, tmp_path)
    assert errors and all(e.startswith("bad:1: ") for e in errors), errors
    assert any("Duplicate ID" in e for e in errors), errors
