"""The Content-Security-Policy in a real Chromium: the main pages load without one violation (no inline script or
style left for it to refuse), while the figures it used to draw by style attribute still show — bars as wide as their
value, sub-tasks indented — and the public check-in button still disables itself when pressed."""

import re
from decimal import Decimal
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.e2e.conftest import DESKTOP
from tracker.auth.models import User
from tracker.extensions import db
from tracker.sites import services as sites
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

WARD_CODE = "05860"

# Installed before any page script: the browser's own report of each refusal, kept across the page's life.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


def _watch(page: Page) -> list[str]:
    """Console messages about the policy, over every page this tab opens."""
    messages: list[str] = []
    page.add_init_script(LISTEN)
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    return messages


def _violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__violations")


def _seed(app) -> dict:
    tag = uuid4().hex[:8]
    with app.app_context():
        ward = db.session.scalar(select(Unit).where(Unit.code == WARD_CODE))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        program = factories.create_program(ward, f"Chương trình CSP {tag}")
        parent = factories.create_task(program, f"Nhiệm vụ cha {tag}")
        child = factories.create_task(program, f"Nhiệm vụ con {tag}", parent=parent)
        leaf = factories.create_task(program, f"Thu ngân sách {tag}", target=Decimal(8), unit_label="tỷ đồng")
        factories.create_task_update(leaf, admin, "2")  # a quarter of its target
        site = sites.create_site(ward, sites.SiteFields(name=f"Chợ CSP {tag}", kind="market"))
        db.session.commit()
        made = {"ward": ward.id, "program": program.id, "child": child.id, "leaf": leaf.id, "site": site.id}
        made["code"] = site.code
        db.session.remove()
    return made


def test_the_main_pages_load_without_a_policy_violation(new_context, live_server, log_in):
    rows = _seed(live_server.app)
    page = new_context(DESKTOP).new_page()
    console = _watch(page)
    log_in(page, "manager")
    for path in (
        f"/?unit_id={rows['ward']}",
        f"/programs/{rows['program']}",
        f"/tasks/{rows['leaf']}",
        f"/sites/{rows['site']}",
        "/sites/",
        "/boards/",
        "/no-such-page",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
        assert _violations(page) == [], path
    assert console == []

    # What style attributes used to draw is still drawn: the leaf's bar a quarter full, the sub-task indented.
    page.goto(f"/programs/{rows['program']}")
    leaf = page.locator(f'[data-testid="task-row"][data-task-id="{rows["leaf"]}"]')
    track = leaf.locator(".bar").bounding_box()
    fill = leaf.locator(".bar-fill").bounding_box()
    assert track and fill and abs(fill["width"] / track["width"] - 0.25) < 0.01, (track, fill)
    child = page.locator(f'[data-testid="task-row"][data-task-id="{rows["child"]}"]')
    assert child.evaluate("el => getComputedStyle(el).marginLeft") == "20px"  # 1.25rem a level
    page.goto(f"/tasks/{rows['leaf']}")
    chart = page.locator("svg.chart").bounding_box()
    assert chart and 100 < chart["width"] <= 480  # sized by app.css, not by a style attribute

    # The watch itself works: a style attribute slipped into the page is refused and reported.
    page.evaluate("""() => document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>')""")
    expect(page.locator("body")).to_contain_text("x")
    page.wait_for_function("() => window.__violations.length > 0")
    assert "style-src" in _violations(page)[0]


def test_the_check_in_page_keeps_its_look_and_its_button_disables_on_submit(page: Page, live_server):
    code = _seed(live_server.app)["code"]
    console = _watch(page)
    page.goto(f"/c/{code.lower()}")
    assert _violations(page) == [] and console == []
    button = page.get_by_role("button", name="Điểm danh tại đây")
    # The inlined stylesheet applies (allowed by its hash): the big red button.
    assert button.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(179, 38, 30)"
    # Note the button's state from inside the submit, after app.js had its turn; the next page reads it back.
    page.evaluate(
        """() => document.querySelector("form").addEventListener("submit", () =>
             sessionStorage.setItem("disabled", document.querySelector("button").disabled))"""
    )
    button.tap()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Đã ghi nhận lượt điểm danh lúc "))
    assert page.evaluate("() => sessionStorage.getItem('disabled')") == "true"
    assert _violations(page) == [] and console == []
