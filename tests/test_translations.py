"""English kept complete: every msgid of the code and templates has an English msgstr with the same placeholders,
and the main pages rendered in English show no Vietnamese but the names that come from the data."""

import re
import unicodedata
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests import factories
from tracker.checkin.services import check_in
from tracker.db import utcnow
from tracker.extensions import db
from tracker.programs.models import Task, TaskSource

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tracker" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# As the Makefile's `extract`: the defaults (_, gettext, ngettext…) and lazy_gettext imported as _l.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def _not_hidden(path: str) -> bool:
    # Babel's default filter also skips folders starting with "_": templates/_macros/ must be read.
    return not Path(path).name.startswith(".")


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """msgid (a tuple for plurals) → the places it is used, read as `make extract` reads them (babel.cfg)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=_not_hidden
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def catalog():
    with open(CATALOG, "rb") as po:
        return read_po(po, locale="en")


def placeholders(text: str) -> list[str]:
    """The %-placeholders of a message, name and type: ['%(n)d', '%(value)s']."""
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def test_extraction_reads_the_macros_and_the_code():
    used = extracted()
    places = {place.split(":")[0] for where in used.values() for place in where}
    assert any(place.startswith("templates/_macros/") for place in places)
    assert any(place.startswith("tracker/") and place.endswith(".py") for place in places)
    assert "Lịch sử thay đổi" in used and "Cách tính:" in used


def test_every_msgid_has_english():
    english = catalog()
    missing = []
    for msgid, where in extracted().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = english.get(key)
        strings = message.string if message is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(s.strip() for s in strings):
            missing.append(f"{key!r} ({where[0]})")
    assert not missing, "msgids without English in messages.po:\n" + "\n".join(missing)


def test_english_keeps_the_placeholders():
    wrong = []
    for message in catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = placeholders(ids[-1])
        for string in strings:
            if (
                string
                and placeholders(string) != expected
                and not (len(ids) > 1 and placeholders(string) == placeholders(ids[0]))
            ):
                wrong.append(f"{ids[0]!r} → {string!r}")
    assert not wrong, "msgstr placeholders differ from the msgid's:\n" + "\n".join(wrong)


def test_the_catalog_has_no_duplicate_msgid():
    ids = re.findall(r'^msgid "(.*)"\n(?:msgid_plural|msgstr)', CATALOG.read_text(encoding="utf-8"), re.MULTILINE)
    duplicates = sorted(msgid for msgid, n in Counter(ids).items() if n > 1)
    assert not duplicates


# --- the main pages in English -----------------------------------------------------------------------------------

# Vietnamese letters: the vowels and đ with their diacritics, and every letter with a tone mark (NFC).
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ\u1ea0-\u1ef9]", re.IGNORECASE)
# The language switch says "Tiếng Việt" in English on purpose; the examples name real places; English has a few
# accented words of its own.
KEPT = ("Tiếng Việt", "Bãi Bông", "Phổ Yên", "Communiqué")
# A quoted Vietnamese phrase in English text is a literal: an import file's column or value (“Mã đơn vị”), a name.
QUOTED = re.compile(r"“[^”]*”")
# Kind and issuer codes of document references (QĐ, QyĐ, ĐU in 63-QĐ/ĐU) are part of the reference, not words.
CODE = re.compile(r"(?<!\w)[A-Za-z]*Đ[A-ZĐ]*(?!\w)")
# Attributes a reader meets as text: tooltips, placeholders, labels read aloud (not hreflang, href, value…).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes outside script and style, and the READ_ATTRIBUTES."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._hidden += 1
        self.parts.extend(value.strip() for name, value in attrs if name in READ_ATTRIBUTES and value and value.strip())

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def vietnamese_left(html: str, names: list[str]) -> list[str]:
    """Each piece of visible text that still holds a Vietnamese letter once the data's names are taken out."""
    parser = VisibleText()
    parser.feed(html)
    left = []
    for text in parser.parts:
        text = unicodedata.normalize("NFC", text)
        for name in sorted((*names, *KEPT), key=len, reverse=True):
            text = text.replace(name, "")
        if VIETNAMESE.search(CODE.sub("", QUOTED.sub("", text))):
            left.append(text)
    return left


@pytest.fixture
def english_pages(app, users, province, ward):
    """A ward with one row of each kind (tests/factories.py) and the names its pages show that come from the data."""
    ids = {**factories.create_one_of_each(ward, users["member"]), "province_id": province.id}
    live = db.session.scalar(select(Task.id).where(Task.source != TaskSource.MANUAL))
    code = ids["code"]
    for n, days in enumerate((9, 2, 1)):  # the site's scans chart and counts have something to show
        check_in(db.session.connection(), code, f"device-{n}", now=utcnow() - timedelta(days=days))
    db.session.commit()
    ids["live_task_id"] = live
    names = [unit.name for unit in (province, ward)] + [
        "Quyết định thành lập Ban chỉ đạo",
        "63-QĐ/ĐU",
        "Chương trình hành động số 27-CTr/ĐU",
        "Thu ngân sách nhà nước trên địa bàn",
        "600 điểm QR",
        "Chợ Bãi Bông",
        "Ban chỉ đạo chuyển đổi số",
        "Nguyễn Văn A",
        "Thủ tục đăng ký khai sinh",
        "Hộ tịch",
    ]
    return ids, names


MEMBER_PAGES = (
    "/",
    "/programs/",
    "/programs/{program_id}",
    "/tasks/{task_id}",
    "/tasks/{live_task_id}",  # the system's updates, their notes in English
    "/sites/",
    "/sites/{site_id}",
    "/boards/",
    "/boards/{board_id}",
    "/services/",
    "/services/{service_id}",
    "/services/report",
    "/documents/",
    "/documents/{document_id}",
)
ADMIN_PAGES = (
    *MEMBER_PAGES,
    "/?unit_id={province_id}",
    "/?unit_id={unit_id}",
    "/units/",
    "/units/{unit_id}",
    "/admin/users",
    "/admin/users/{user_id}",
    "/admin/audit",
    # the forms
    "/password",
    "/admin/users/new",
    "/admin/users/{user_id}/edit",
    "/admin/users/{user_id}/password",
    "/units/new",
    "/units/merge",
    "/documents/new",
    "/documents/{document_id}/edit",
    "/programs/new",
    "/programs/{program_id}/edit",
    "/programs/{program_id}/tasks/new",
    "/tasks/{task_id}/edit",
    "/tasks/{live_task_id}/edit",
    "/sites/new",
    "/sites/{site_id}/edit",
    "/sites/import",
    "/boards/new",
    "/boards/{board_id}/edit",
    "/boards/{board_id}/members/new",
    "/boards/members/{membership_id}/edit",
    "/boards/{board_id}/import",
    "/services/new",
    "/services/{service_id}/edit",
    "/services/periods/{period_id}/edit",
    "/services/import",
)


def _english(client, path: str, ids: dict) -> str:
    url = path.format(**ids)
    response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


MANAGER_PAGES = (
    *MEMBER_PAGES,
    "/programs/{program_id}/tasks/new",
    "/tasks/{task_id}/edit",
    "/sites/new",
    "/boards/{board_id}/members/new",
    "/services/periods/{period_id}/edit",
)


@pytest.mark.parametrize(
    ("role", "paths"), [("member", MEMBER_PAGES), ("manager", MANAGER_PAGES), ("admin", ADMIN_PAGES)]
)
def test_the_main_pages_in_english_show_no_vietnamese(client, auth, english_pages, role, paths):
    ids, names = english_pages
    auth.login(role)
    found = {}
    for path in paths:
        left = vietnamese_left(_english(client, path, ids), names)
        if left:
            found[path] = left
    assert not found, "Vietnamese left on English pages:\n" + "\n".join(f"{p}: {t}" for p, t in found.items())


def test_refusals_and_form_errors_in_english_show_no_vietnamese(client, auth, english_pages):
    ids, names = english_pages
    auth.login("member")
    answers = {
        "403 /admin/users": client.get("/admin/users?lang=en"),
        "404 /programs/999999": client.get("/programs/999999?lang=en"),
        "form errors POST /sites/new": client.post("/sites/new?lang=en", data={"name": "", "kind": "nowhere"}),
    }
    assert [r.status_code for r in answers.values()][:2] == [403, 404]
    assert answers["form errors POST /sites/new"].status_code in {400, 422}
    found = {what: left for what, r in answers.items() if (left := vietnamese_left(r.get_data(as_text=True), names))}
    assert not found, "Vietnamese left on English pages:\n" + "\n".join(f"{p}: {t}" for p, t in found.items())


def test_the_public_pages_in_english_show_no_vietnamese(client, english_pages):
    ids, names = english_pages
    found = {}
    for path in ("/login", "/c/{code}"):
        left = vietnamese_left(_english(client, path, ids), names)
        if left:
            found[path] = left
    done = client.post(f"/c/{ids['code']}?lang=en")
    missing = client.get("/c/ZZZZZZ?lang=en")
    assert (done.status_code, missing.status_code) == (200, 404)
    for path, response in (("POST /c/{code}", done), ("/c/ZZZZZZ", missing)):
        left = vietnamese_left(response.get_data(as_text=True), names)
        if left:
            found[path] = left
    assert not found, "Vietnamese left on English pages:\n" + "\n".join(f"{p}: {t}" for p, t in found.items())


def test_the_check_finds_vietnamese_left_over():
    assert vietnamese_left("<p>Sign in</p><p data-x='Đăng nhập'>Đăng nhập</p>", []) == ["Đăng nhập"]
    assert vietnamese_left("<nav aria-label='Phân trang'><a title='Trước'>Back</a></nav>", []) == [
        "Phân trang",
        "Trước",
    ]
    assert vietnamese_left("<p>Market Chợ Bãi Bông</p><a hreflang='vi'>Tiếng Việt</a>", ["Chợ Bãi Bông"]) == []
    assert vietnamese_left("<p>Column “Mã đơn vị” (unit code)</p><p>“Mã” (Mã đơn vị)</p>", []) == ["“Mã” (Mã đơn vị)"]
    assert vietnamese_left("<p>QĐ — Decision, e.g. 63-QĐ/ĐU</p><p>QĐ — Quyết định</p>", []) == ["QĐ — Quyết định"]


def test_placeholders_are_compared_by_name_and_type():
    assert placeholders("Trang %(p)d / %(n)d") == placeholders("Page %(p)d of %(n)d") == ["%(n)d", "%(p)d"]
    assert placeholders("Trang %(p)d / %(n)d") != placeholders("Page %(p)s of %(n)d")
    assert placeholders("0–100%%, %(v)s") == ["%(v)s"]
