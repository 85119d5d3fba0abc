"""axe-core (tests/vendor/axe-core, every rule, any impact) finds no violation on the everyday pages, at 1280 and at
390 px: the pages of tests/test_html_valid.py, as the admin sees them, and the public ones signed out.

axe is injected with page.evaluate after each load: DevTools evaluation is not subject to the page's CSP, so the
pages are checked with their real Content-Security-Policy on (no bypass_csp context, no inline script)."""

from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE
from tests.test_html_valid import PAGES, PUBLIC_PAGES, seed_pages
from tracker.extensions import db
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

AXE = (Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
# Every rule axe has, those it leaves off by default too (experimental ones, AAA ones), but the AAA 7:1 contrast
# (color-contrast-enhanced): the AA 4.5:1 one (color-contrast) holds, and 7:1 would recolour every link, button and
# muted line. Violations only.
SKIPPED = ("color-contrast-enhanced",)
RUN_AXE = """async (skipped) => {
  const rules = Object.fromEntries(axe.getRules().map((r) => [r.ruleId, {enabled: !skipped.includes(r.ruleId)}]));
  const result = await axe.run(document, {rules, resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => [n.target.join(" "), ...[...n.any, ...n.all, ...n.none].map((c) => c.message)]
      .join(": ")),
  }));
}"""


@pytest.fixture(scope="module")
def ids(live_server) -> dict:
    """A ward of its own under the seeded province, with the rows of tests/test_html_valid.py seed_pages."""
    tag = uuid4().int % 10_000
    with live_server.app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "19"))
        ward = factories.create_unit(f"Xã Kiểm Tra {tag}", "ward", parent=province, code=f"9{tag:04d}")
        member = factories.create_user(f"a11y-{tag}", "member", ward)
        made = seed_pages(province, ward, member)
        db.session.remove()
    return made


def axe_violations(page: Page) -> list[str]:
    """The violations axe finds on the loaded page: 'rule (impact): help — target: why, …'."""
    page.wait_for_load_state("load")
    page.evaluate(AXE)
    found = page.evaluate(RUN_AXE, list(SKIPPED))
    return [f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}" for v in found]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_axe_finds_no_violation_on_the_main_pages(new_context, log_in, ids, device):
    found = {}
    public = new_context(device).new_page()
    for path in PUBLIC_PAGES:  # the check-in page and the public progress pages (of a program marked public)
        response = public.goto(path.format(**ids))
        assert response and response.ok, path
        found[path] = axe_violations(public)
    public.goto("/c/{code}".format(**ids))
    public.get_by_role("button", name="Điểm danh tại đây").click()
    public.get_by_role("status").wait_for()
    found["the check-in done"] = axe_violations(public)

    page = new_context(device).new_page()
    log_in(page, "admin")
    for path in PAGES:
        response = page.goto(path.format(**ids))
        assert response and response.ok, path
        found[path] = axe_violations(page)
    found = {path: v for path, v in found.items() if v}
    assert not found, "axe violations:\n" + "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in found.items())


def test_the_check_sees_a_violation(page: Page, live_server):
    page.goto("/login")
    page.evaluate("""() => document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/x.png">')""")
    assert any(v.startswith("image-alt (critical)") for v in axe_violations(page))
