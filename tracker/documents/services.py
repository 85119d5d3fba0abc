"""Documents and their references: '37/KH-UBND' (state style), '63-QĐ/ĐU' (party style) and '1332/STTTT-CNTT'
(an official letter, which carries no kind code)."""

import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from tracker.documents.models import Document
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.text import clean
from tracker.units.models import Unit
from tracker.units.services import subtree_select

KIND_CODES = (
    "NQ", "QĐ", "CT", "QC", "QyĐ", "TB", "HD", "CTr", "KH", "PA", "ĐA", "BC", "BB", "TTr", "CĐ", "GM",
    "TT", "NĐ", "CV", "TC", "KL",
)  # fmt: skip
LETTER_KIND = "CV"  # an official letter (công văn) has no kind code in its reference; it is recorded as one
_KIND_BY_UPPER = {k.upper(): k for k in KIND_CODES}
_KIND = "|".join(sorted((re.escape(k) for k in _KIND_BY_UPPER), key=len, reverse=True))
_ISSUER = r"[A-ZĐ0-9](?:[A-ZĐ0-9.]|-(?=[A-ZĐ0-9]))*"
# State style: 37/KH-UBND, 15/2021/TT-BTTTT, 885/QĐ-UBND
_STATE = re.compile(rf"^(?P<number>\d{{1,6}}[a-z]?)(?:/(?P<year>\d{{4}}))?/(?P<kind>{_KIND})-(?P<issuer>{_ISSUER})$")
# Party style: 63-QĐ/ĐU, 27-CTr/ĐU, 01-NQ/TU
_PARTY = re.compile(rf"^(?P<number>\d{{1,6}}[a-z]?)-(?P<kind>{_KIND})/(?P<issuer>{_ISSUER})$")
# Official letter, number/ISSUER-DEPARTMENT: 1332/STTTT-CNTT, 215/UBND-VP. Tried after the state style, so a first
# part that is a kind code (37/KH-UBND) stays a state-style reference.
_LETTER = re.compile(
    rf"^(?P<number>\d{{1,6}}[a-z]?)(?:/(?P<year>\d{{4}}))?/(?P<issuer>[A-ZĐ][A-ZĐ0-9.]*)-(?P<department>{_ISSUER})$"
)


@dataclass(frozen=True)
class Reference:
    """A parsed reference. A letter's kind_code is LETTER_KIND (its reference has none) and its department, the
    part after the issuer, is kept here and in the canonical text (the document stores no separate column)."""

    number: str
    kind_code: str
    issuer_code: str
    year: int | None
    style: str  # "state", "party" or "letter"
    department: str | None = None

    def __str__(self) -> str:
        if self.style == "party":
            return f"{self.number}-{self.kind_code}/{self.issuer_code}"
        year = f"/{self.year}" if self.year else ""
        if self.style == "letter":
            return f"{self.number}{year}/{self.issuer_code}-{self.department}"
        return f"{self.number}{year}/{self.kind_code}-{self.issuer_code}"


def parse_reference(text: str) -> Reference:
    """Parse a document number (số ký hiệu) in any of the three forms, or raise a ValidationError naming them."""
    raw = unicodedata.normalize("NFC", clean(text)).replace(" ", "")
    raw = raw.replace("Ð", "Đ").replace("đ", "đ")  # the look-alike Icelandic Eth becomes Đ
    upper = raw.upper().replace("Đ", "Đ")
    for style, pattern in (("state", _STATE), ("party", _PARTY), ("letter", _LETTER)):
        match = pattern.match(upper)
        if match:
            found = match.groupdict()
            kind = _KIND_BY_UPPER[found["kind"]] if "kind" in found else LETTER_KIND
            year = int(found["year"]) if found.get("year") else None
            return Reference(match["number"].lower(), kind, match["issuer"], year, style, found.get("department"))
    raise ValidationError(
        {
            "reference": _(
                "Số ký hiệu “%(ref)s” không đúng mẫu. Dùng mẫu văn bản nhà nước “37/KH-UBND” "
                "(số/LOẠI-CƠ QUAN), mẫu văn bản của Đảng “63-QĐ/ĐU” hoặc “05-KL/TU” (số-LOẠI/CƠ QUAN), "
                "hoặc mẫu công văn “1332/STTTT-CNTT” (số/CƠ QUAN-ĐƠN VỊ SOẠN THẢO).",
                ref=clean(text),
            )
        }
    )


def _apply(document: Document, reference: str, issued_on: date | None, title: str) -> None:
    parsed = parse_reference(reference)
    if issued_on and parsed.year and issued_on.year != parsed.year:
        raise ValidationError(
            {"issued_on": _("Năm ban hành không khớp với năm trong số ký hiệu (%(y)d).", y=parsed.year)}
        )
    if not clean(title):
        raise ValidationError({"title": _("Hãy nhập trích yếu của văn bản.")})
    document.reference = str(parsed)
    document.number = parsed.number
    document.kind_code = parsed.kind_code
    document.issuer_code = parsed.issuer_code
    document.issued_on = issued_on
    document.title = clean(title)


def create_document(unit: Unit, reference: str, issued_on: date | None, title: str) -> Document:
    """Record a document of a unit; the reference is parsed and stored in its canonical form."""
    document = Document(unit=unit)
    _apply(document, reference, issued_on, title)
    db.session.add(document)
    db.session.flush()
    return document


def update_document(
    document: Document, reference: str, issued_on: date | None, title: str, *, expected_version: int | None = None
) -> Document:
    """Edit a document (reference re-parsed); StaleVersion if it is no longer at `expected_version`."""
    check_version(document, expected_version)
    _apply(document, reference, issued_on, title)
    flush_versioned()
    return document


def search(query: str = "", kind_code: str | None = None, unit_ids=None):
    """A SELECT of documents by reference or title, kind and units (ids or a SELECT of ids), newest first."""
    stmt = select(Document)
    query = clean(query)
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        matches = [Document.reference.ilike(pattern, escape="\\"), Document.title.ilike(pattern, escape="\\")]
        with suppress(ValidationError):  # '63-qđ/đu' finds '63-QĐ/ĐU' where the database folds only ASCII
            matches.append(Document.reference == str(parse_reference(query)))
        stmt = stmt.where(or_(*matches))
    if kind_code:
        stmt = stmt.where(Document.kind_code == kind_code)
    if unit_ids is not None:
        stmt = stmt.where(Document.unit_id.in_(unit_ids))
    return stmt.order_by(Document.issued_on.desc().nulls_last(), Document.id.desc())


def find_document(unit: Unit, reference: str | None, field: str) -> Document | None:
    """A document of the unit (or of a unit under it or merged into it) named by its reference; None when blank.

    A malformed or unknown reference is a ValidationError on `field`."""
    if not (reference or "").strip():
        return None
    try:
        parsed = str(parse_reference(reference))
    except ValidationError as exc:
        raise ValidationError({field: exc.fields["reference"]}) from None
    document = db.session.scalars(
        select(Document)
        .where(Document.reference == parsed, Document.unit_id.in_(subtree_select(unit.id)))
        .order_by(Document.unit_id != unit.id, Document.id.desc())
        .limit(1)
    ).first()
    if document is None:
        message = _(
            "Không tìm thấy văn bản “%(ref)s” của %(unit)s: hãy thêm văn bản trước.",
            ref=parsed,
            unit=unit.name,
        )
        raise ValidationError({field: message})
    return document
