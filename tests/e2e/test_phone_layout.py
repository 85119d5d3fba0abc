"""Phones: the main pages at 390 px, seeded with the rows that squeeze a narrow screen (long Vietnamese names, long
URLs and e-mails, numbers like 1.234.567,89 and 137,07%), do not scroll sideways, clip a number, or squeeze a table
cell to one word a line (issue 11, part 5)."""

import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import Page

from tests import factories
from tests.e2e.conftest import DESKTOP
from tracker.extensions import db
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
LONG_WARD = "Phường Tân Thịnh mở rộng sau sắp xếp đơn vị hành chính năm 2025"
LONG_PERSON = "Nguyễn Thị Phương Thảo Hoàng Ngọc Bích"
LONG_POSITION = "Phó Chủ tịch Ủy ban nhân dân phường, phụ trách khối văn hóa – xã hội và chuyển đổi số"
LONG_EMAIL = "phuongthao.hoangngocbich.ubnd.phuongtanthinh@thainguyen.gov.vn"


@dataclass(frozen=True)
class Seeded:
    province_id: int
    ward_id: int
    ward_code: str
    program_id: int
    task_id: int
    site_id: int
    board_id: int
    service_id: int


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    """One ward with a row of every kind, each as long and as wide as real data gets."""
    from tracker.boards import services as boards
    from tracker.public_services import services as catalog
    from tracker.sites import services as sites

    tag = uuid4().hex[:5]
    with live_server.app.app_context():
        province = db.session.scalar(db.select(Unit).filter_by(code="19"))
        ward = factories.create_unit(f"{LONG_WARD} {tag}", "ward", parent=province, code=f"9{tag}")
        member = factories.create_user(f"thao{tag}", "member", ward, full_name=LONG_PERSON)
        decision = factories.create_document(
            ward,
            "1332/QĐ-UBND",
            date(2025, 7, 1),
            "Quyết định kiện toàn Ban chỉ đạo chuyển đổi số, Đề án 06 và cải cách hành chính của phường năm 2025",
        )
        program = factories.create_program(
            ward,
            "Chương trình hành động thực hiện Nghị quyết số 57-NQ/TW về đột phá phát triển khoa học, công nghệ, "
            "đổi mới sáng tạo và chuyển đổi số quốc gia giai đoạn 2025–2030",
            basis_document=decision,
        )
        revenue = factories.create_task(
            program,
            "Thu ngân sách nhà nước trên địa bàn qua các kênh thanh toán không dùng tiền mặt",
            measure_kind="amount",
            target=Decimal("900000.00"),
            unit_label="nghìn đồng",
            owner_user=member,
            responsible="Phòng Kinh tế, Hạ tầng và Đô thị phối hợp Kho bạc Nhà nước khu vực",
        )
        factories.create_task_update(revenue, member, "1234567.89", note="Số liệu Kho bạc gửi ngày 05/11/2025")
        parent = factories.create_task(program, "Phổ cập kỹ năng số cho người dân qua Tổ công nghệ số cộng đồng")
        for title, target, value in (
            ("Tập huấn sử dụng dịch vụ công trực tuyến toàn trình cho hộ gia đình", "300", "411"),
            ("Hướng dẫn cài đặt và kích hoạt tài khoản định danh điện tử mức độ 2", "5000", "1234"),
        ):
            child = factories.create_task(program, title, target=Decimal(target), parent=parent, owner_user=member)
            factories.create_task_update(child, member, value)
        for n in range(6):
            sites.create_site(
                ward,
                sites.SiteFields(
                    name=f"Chợ trung tâm và khu kinh doanh dịch vụ tổng hợp số {n} tổ dân phố Đồng Tâm – Tân Thịnh",
                    kind="market",
                    address="Số 1234, đường Cách mạng Tháng Tám, tổ dân phố 15, phường Tân Thịnh",
                    contact_name=LONG_PERSON,
                    contact_phone="0912.345.678",
                ),
            )
        site = sites.create_site(ward, sites.SiteFields(name="UBND phường", kind="other"))
        board = boards.create_board(
            ward,
            boards.BoardFields(
                name="Ban chỉ đạo chuyển đổi số, Đề án 06 và cải cách hành chính phường",
                target_size=25,
                established_by=decision,
            ),
        )
        for n in range(4):
            boards.add_member(
                board,
                boards.MemberFields(
                    f"{LONG_PERSON} {n}",
                    "member",
                    date(2025, 7, 1),
                    position=LONG_POSITION,
                    phone="0912345678",
                    email=LONG_EMAIL,
                ),
            )
        for n in range(4):
            service = catalog.create_service(
                ward,
                catalog.ServiceFields(
                    f"1.00119{n}.000.00.00.H56",
                    "Thủ tục đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
                    "cho trẻ em dưới 6 tuổi (liên thông)",
                    "Hộ tịch – Cư trú – Bảo hiểm xã hội",
                    4,
                ),
            )
            catalog.record_period(
                service, catalog.PeriodFields(date(2025, 1, 1), date(2025, 12, 31), 1234567, 1234000 - n * 1000)
            )
        db.session.commit()
        return Seeded(province.id, ward.id, ward.code, program.id, revenue.id, site.id, board.id, service.id)


def _pages(s: Seeded) -> dict[str, str]:
    return {
        "dashboard (ward)": f"/?unit_id={s.ward_id}",
        "dashboard (province)": f"/?unit_id={s.province_id}",
        "programs": "/programs/",
        "program": f"/programs/{s.program_id}",
        "task": f"/tasks/{s.task_id}",
        "sites": "/sites/",
        "site": f"/sites/{s.site_id}",
        "boards": "/boards/",
        "board": f"/boards/{s.board_id}",
        "services": f"/services/?unit={s.ward_code}",
        "service": f"/services/{s.service_id}",
        "services report": f"/services/report?unit={s.ward_code}",
        "documents": "/documents/",
        "audit": "/admin/audit",
        "users": "/admin/users",
    }


# What the page measures, in one pass (all in CSS pixels of the layout viewport):
# - overflow: visible elements whose right edge passes the viewport, or that stick out of a box that clips or scrolls
#   them (a `.table-wrap`): a phone user does not see that a table scrolls, so wide tables stack into cards instead.
# - clipped: `.num` cells (and percentages in figures) whose text is wider than their box.
# - squeezed: table cells holding a run of text (one text node) that spreads over 3+ lines at fewer than 1.6 words a
#   line, i.e. a column too narrow for the words in it. Lines are the distinct tops of the run's client rects, so it
#   does not depend on the font or the line height; a long single word (a code, an e-mail) is one word and never
#   counts, nor does a cell that holds several short runs one under another (a name over its position, a diff).
#   More lines than words means a word was cut ("Tr/ọ/n/g số"): squeezed too.
MEASURE = """(width) => {
  // Screen-reader-only boxes (1×1 px, clipped: a stacked table's header row, .visually-hidden) are not seen.
  const screenReaderOnly = (el) => {
    for (let up = el; up && up !== document.body; up = up.parentElement) {
      const box = up.getBoundingClientRect();
      const style = getComputedStyle(up);
      if (box.width <= 1 && box.height <= 1 && (style.overflow === 'hidden' || style.clipPath !== 'none')) return true;
    }
    return false;
  };
  // The body of a closed <details> (a figure's breakdown) still reports boxes, but nobody sees it.
  const folded = (el) => {
    const closed = el.closest('details:not([open])');
    if (!closed) return false;
    const summary = el.closest('summary');
    return !(summary && summary.parentElement === closed) || folded(closed.parentElement);
  };
  const visible = (el) => {
    if (folded(el)) return false;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && !screenReaderOnly(el);
  };
  const describe = (el) => {
    const text = (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
    const names = typeof el.className === 'string' ? el.className.trim() : '';
    const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
    return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
  };
  const clippedBy = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) return up;
    }
    return null;
  };
  const overflow = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const right = el.getBoundingClientRect().right;
    const box = clippedBy(el);
    if (right > width + 1 || (box && right > box.getBoundingClientRect().right + 1)) overflow.push(describe(el));
  }
  const clipped = [];
  for (const el of document.querySelectorAll('.num, .figure-value')) {
    if (visible(el) && el.scrollWidth > el.clientWidth + 1) clipped.push(describe(el));
  }
  const squeezed = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (!visible(cell)) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!visible(node.parentElement)) continue;
      const words = node.textContent.trim().split(/\\s+/).filter(Boolean).length;
      if (words < 2) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if ((tops.size >= 3 && words / tops.size < 1.6) || tops.size > words) {
        squeezed.push(`${describe(cell)} (${words} words, ${tops.size} lines)`);
        break;
      }
    }
  }
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    overflow: overflow.slice(0, 8), clipped: clipped.slice(0, 8), squeezed: squeezed.slice(0, 8),
  };
}"""


def _measure(page: Page, width: int) -> dict:
    return page.evaluate(MEASURE, width)


def _problems(page: Page, width: int, *, headers: bool = True) -> list[str]:
    """What does not fit; `headers=False` leaves out column headings that wrap (a desktop table's short headings
    over a wide column are fine; on a phone every stacked table hides its header row anyway)."""
    found = _measure(page, width)
    if not headers:
        found["squeezed"] = [item for item in found["squeezed"] if not item.startswith("<th")]
    problems = []
    if found["scrollWidth"] > width + 1:
        problems.append(f"page scrolls sideways: scrollWidth {found['scrollWidth']}")
    problems += [f"overflows: {item}" for item in found["overflow"]]
    problems += [f"clipped: {item}" for item in found["clipped"]]
    problems += [f"squeezed: {item}" for item in found["squeezed"]]
    return problems


def _keep_screenshot(page: Page, name: str, width: int) -> None:
    """With PHONE_LAYOUT_SHOTS=<folder>, keep a full-page PNG of each page measured, to look at after a change."""
    folder = os.environ.get("PHONE_LAYOUT_SHOTS")
    if folder:
        shot = Path(folder) / f"{width}-{name.replace(' ', '-')}.png"
        page.screenshot(path=str(shot), full_page=True, timeout=30_000)


def test_main_pages_fit_a_phone(page: Page, log_in, seeded):
    log_in(page, "admin")
    failures = {}
    for name, path in _pages(seeded).items():
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{name}: {path} answered {response}"
        _keep_screenshot(page, name, PHONE_WIDTH)
        problems = _problems(page, PHONE_WIDTH)
        # Every percentage opens to its breakdown: those must fit too.
        page.evaluate("() => document.querySelectorAll('details.figure').forEach((d) => { d.open = true; })")
        problems += [f"opened: {problem}" for problem in _problems(page, PHONE_WIDTH)]
        if problems:
            failures[name] = problems
    assert not failures, "\n".join(
        f"{name} ({path}): {problems}" for name, problems in failures.items() for path in [_pages(seeded)[name]]
    )


def test_the_seeded_numbers_are_on_the_phone_screens(page: Page, log_in, seeded):
    """The measurement means something only if the wide rows are there: the big value and the percentage over 100."""
    log_in(page, "admin")
    page.goto(f"/programs/{seeded.program_id}")
    text = page.locator("main").inner_text()
    assert re.search(r"137,\d+\s?%", text), text[:600]
    page.goto(f"/tasks/{seeded.task_id}")
    assert "1.234.567,89" in page.locator("main").inner_text()


def test_the_measure_catches_a_table_too_wide_for_a_phone(page: Page, log_in, seeded):
    """The checker itself: a wide table outside a marked scroll container, and a squeezed column, are reported."""
    log_in(page, "admin")
    page.goto("/documents/")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      const wide = document.createElement('table');
      wide.innerHTML = '<tr>' + '<td class="num">1.234.567,89</td>'.repeat(8) + '</tr>';
      main.appendChild(wide);
      const narrow = document.createElement('table');
      narrow.className = 'squeeze-probe';
      narrow.innerHTML = '<tr><td>Phòng Văn hóa Xã hội phường</td><td class="nowrap">' + 'x'.repeat(60) + '</td></tr>';
      main.appendChild(narrow);
    }""")
    problems = _problems(page, PHONE_WIDTH)
    assert any(p.startswith("page scrolls sideways") for p in problems), problems
    assert any(p.startswith("squeezed:") and "Phòng Văn hóa" in p for p in problems), problems


def test_desktop_pages_fit_too(new_context, log_in, seeded):
    """1280 px must not get worse: the same pages neither scroll sideways nor clip a number on a desktop."""
    desktop = new_context(DESKTOP).new_page()
    log_in(desktop, "admin")
    failures = {}
    for name, path in _pages(seeded).items():
        desktop.goto(path)
        _keep_screenshot(desktop, name, 1280)
        problems = _problems(desktop, 1280, headers=False)
        if problems:
            failures[name] = problems
    assert not failures, "\n".join(f"{name}: {problems}" for name, problems in failures.items())
