"""Printable QR posters (DESIGN §4): one A4 or A5 poster per page, or four A6 stickers on an A4 page.

Each poster: title, unit, site name (large; the font shrinks until the name fits in three lines, below that
it wraps onto more lines: never cut), address, the QR drawn as vector squares from its matrix, the code in
groups for typing, three steps, the official domain, the program reference and the print date. While the public
address is one a phone cannot open (tracker.qr.address), a red band across the top margin says "BẢN IN THỬ": such a
poster must not be put up.

Pages are rendered BATCH at a time in small reportlab documents joined into one stream (tracker.qr.pdfjoin),
so a unit's thousands of posters take the memory of one batch. Callers then mark the sites printed
(tracker.sites.services.mark_posters_printed) and commit.
"""

import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from functools import cache
from itertools import islice
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tracker.db import local_today
from tracker.qr import address, render
from tracker.qr.pdfjoin import PdfJoiner
from tracker.sites.codes import grouped

LAYOUTS = ("a4", "a5", "a4x4")
BATCH = 50  # pages per reportlab document: bounds the memory, costs a copy of the font subsets per batch
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"  # the project's static/, beside tracker/
ASCENT = 0.93  # DejaVu's ascent and descent, as a fraction of the font size
DESCENT = 0.24
BLUE = (0.05, 0.29, 0.58)
GREY = (0.25, 0.25, 0.25)
RED = (0.75, 0.05, 0.05)


@dataclass(frozen=True)
class Spec:
    """One poster's box and type sizes, in points."""

    width: float
    height: float
    margin: float
    title: float
    unit: float
    name_max: float
    name_min: float
    address: float
    code: float
    steps: float
    foot: float
    qr_min: float  # the symbol's side, quiet zone not included
    qr_max: float

    def scaled(self, factor: float, **sizes) -> "Spec":
        return replace(self, **{**{f.name: getattr(self, f.name) * factor for f in fields(self)}, **sizes})


POSTER_A4 = Spec(
    width=A4[0],
    height=A4[1],
    margin=15 * mm,
    title=30,
    unit=15,
    name_max=30,
    name_min=16,
    address=13,
    code=24,
    steps=14,
    foot=10,
    qr_min=100 * mm,
    qr_max=130 * mm,
)
POSTER_A5 = POSTER_A4.scaled(A5[0] / A4[0])
# A quarter of an A4 page, cut along the dashed lines: its margin keeps the print clear of an uneven cut.
STICKER = POSTER_A4.scaled(0.5, margin=8 * mm, foot=6, steps=7.5, address=7)
SHRINK = (1.0, 0.9, 0.8, 0.7, 0.6)  # text scales tried until the QR keeps its minimum size


@dataclass(frozen=True)
class Texts:
    """What every poster of a document shares."""

    title: str
    domain: str
    steps: tuple[str, ...]
    footer: str
    test_print: str | None = None  # the band's text while the public address cannot be opened by a phone


@dataclass(frozen=True)
class Line:
    text: str
    font: str
    size: float
    x: float  # the centre of a centred line, else its left end
    y: float  # baseline
    centred: bool = True
    color: tuple[float, float, float] = (0, 0, 0)
    char_space: float = 0


@dataclass(frozen=True)
class Layout:
    lines: list[Line]
    qr_x: float
    qr_y: float
    qr_size: float


@cache
def register_fonts() -> None:
    """DejaVu Sans covers Vietnamese; reportlab embeds the subset of glyphs each document uses."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))


def texts(title: str | None = None, program_reference: str | None = None) -> Texts:
    """The shared texts, from the configuration and today's date in Vietnam."""
    base = address.public_base_url()
    domain = urlsplit(base).netloc
    footer = _("In ngày %(date)s", date=local_today().strftime("%d/%m/%Y"))
    if program_reference:
        footer = f"{_nfc(program_reference)} · {footer}"
    return Texts(
        title=_nfc(title or current_app.config["POSTER_TITLE"]),
        domain=_("Trang chính thức: %(domain)s", domain=domain),
        steps=(
            _("Mở camera hoặc Zalo trên điện thoại."),
            _("Quét mã QR ở trên."),
            _("Bấm nút “Điểm danh tại đây” trên trang vừa mở."),
        ),
        footer=footer,
        test_print=(
            _("BẢN IN THỬ · mã QR chưa mở được trên điện thoại") if address.public_address_problem(base) else None
        ),
    )


def _nfc(text: str | None) -> str:
    """Composed characters: the font has a glyph for 'ệ', while 'e' + two combining marks would print apart."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points, broken between words, and inside a word only when it alone is too long."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while pdfmetrics.stringWidth(word, font, size) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def fit_name(name: str, spec: Spec, scale: float, width: float) -> tuple[float, list[str]]:
    """The largest size (down to the minimum) at which the name fits in three lines, and its lines."""
    size = spec.name_max * scale
    smallest = spec.name_min * scale
    while True:
        lines = wrap(name, BOLD, size, width)
        if len(lines) <= 3 or size <= smallest:
            return size, lines
        size = max(smallest, size - 1)


def compose(site, spec: Spec, shared: Texts, modules: int) -> Layout:
    """Where everything goes on one poster whose box starts at (0, 0); the QR has `modules` modules a side."""
    register_fonts()  # the texts are measured in DejaVu
    for scale in SHRINK:
        layout = _compose(site, spec, shared, modules, scale)
        if layout.qr_size >= spec.qr_min:
            return layout
    return layout


def _compose(site, spec: Spec, shared: Texts, modules: int, scale: float) -> Layout:
    width = spec.width - 2 * spec.margin
    centre = spec.width / 2
    lines: list[Line] = []
    top = spec.height - spec.margin  # the top of the next line

    def block(text, font, size, *, lead=1.25, color=(0, 0, 0), wrapped=None):
        nonlocal top
        for part in wrapped if wrapped is not None else wrap(text, font, size, width):
            lines.append(Line(part, font, size, centre, top - size * ASCENT, color=color))
            top -= size * lead

    block(shared.title, BOLD, spec.title * scale, color=BLUE)
    block(_nfc(site.unit.name), REGULAR, spec.unit * scale, color=GREY)
    top -= spec.unit * scale * 0.6
    name_size, name_lines = fit_name(_nfc(site.name), spec, scale, width)
    block("", BOLD, name_size, lead=1.2, wrapped=name_lines)
    block(_nfc(site.address), REGULAR, spec.address * scale, color=GREY)

    # From the bottom up: the footer, then the steps.
    bottom = spec.margin + spec.foot * scale * DESCENT
    for text, font in reversed([(shared.domain, BOLD), (shared.footer, REGULAR)]):
        size = spec.foot * scale
        for part in reversed(wrap(text, font, size, width)):
            lines.append(Line(part, font, size, centre, bottom, color=GREY))
            bottom += size * 1.3
    bottom += spec.steps * scale * 0.5
    bottom = _steps(lines, shared.steps, spec.steps * scale, width, centre, bottom)

    # The QR fills what is left, with its quiet zone, and the code under it.
    code_size = spec.code * scale
    code_height = code_size * 1.4
    free = top - bottom - code_height
    share = modules / (modules + 2 * render.QUIET_ZONE)  # of the QR with its quiet zone, the symbol's part
    qr = min(spec.qr_max, free * share, width * share)
    quiet = qr / modules * render.QUIET_ZONE
    group = qr + 2 * quiet + code_height
    group_top = bottom + (top - bottom + group) / 2
    qr_y = group_top - quiet - qr
    code = grouped(site.code)
    lines.append(Line(code, BOLD, code_size, centre, qr_y - quiet - code_size * ASCENT, char_space=code_size * 0.08))
    return Layout(lines, centre - qr / 2, qr_y, qr)


def _steps(lines: list[Line], steps, size: float, width: float, centre: float, bottom: float) -> float:
    """The numbered steps as a left-aligned block centred on the poster, placed above `bottom`; returns its top."""
    indent = pdfmetrics.stringWidth("0. ", BOLD, size)
    wrapped = [wrap(text, REGULAR, size, width - indent) for text in steps]
    block_width = indent + max(pdfmetrics.stringWidth(part, REGULAR, size) for parts in wrapped for part in parts)
    left = centre - block_width / 2
    for number, parts in reversed(list(enumerate(wrapped, start=1))):
        for index, part in reversed(list(enumerate(parts))):
            lines.append(Line(part, REGULAR, size, left + indent, bottom + size * DESCENT, centred=False))
            if index == 0:
                lines.append(Line(f"{number}.", BOLD, size, left, bottom + size * DESCENT, centred=False, color=BLUE))
            bottom += size * 1.3
    return bottom


def draw(canvas: Canvas, site, spec: Spec, shared: Texts, x: float = 0, y: float = 0) -> None:
    """One poster with its box's lower-left corner at (x, y)."""
    modules = render.matrix(render.payload(site.code))
    layout = compose(site, spec, shared, len(modules))
    for line in layout.lines:
        canvas.setFillColorRGB(*line.color)
        canvas.setFont(line.font, line.size)
        if line.centred:
            canvas.drawCentredString(x + line.x, y + line.y, line.text, charSpace=line.char_space)
        else:
            canvas.drawString(x + line.x, y + line.y, line.text)
    draw_qr(canvas, modules, x + layout.qr_x, y + layout.qr_y, layout.qr_size)
    if shared.test_print:
        draw_test_print(canvas, spec, shared.test_print, x, y)


def draw_test_print(canvas: Canvas, spec: Spec, text: str, x: float = 0, y: float = 0) -> None:
    """A red band with white text in the poster's top margin, clear of everything else on it."""
    top, bottom = spec.height - spec.margin * 0.2, spec.height - spec.margin * 0.9
    width = spec.width - 2 * spec.margin
    size = spec.margin * 0.3
    while size > 4 and pdfmetrics.stringWidth(text, BOLD, size) > width - size:
        size -= 0.5
    canvas.saveState()
    canvas.setFillColorRGB(*RED)
    canvas.rect(x + spec.margin, y + bottom, width, top - bottom, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(x + spec.width / 2, y + (top + bottom) / 2 - size * 0.35, text)
    canvas.restoreState()


def draw_qr(canvas: Canvas, modules: list[list[bool]], x: float, y: float, size: float) -> None:
    """The symbol as filled black rectangles, one per run of dark modules, lower-left corner at (x, y).

    In a coordinate system of one unit per module, top row first, every number is a small integer: the operators
    are written directly, which is several times faster than reportlab's path objects formatting each float."""
    unit = size / len(modules)
    rects = " ".join(f"{column} {row} {length} 1 re" for column, row, length in render.runs(modules))
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(unit, 0, 0, -unit, x, y + size)
    canvas.addLiteral(f"{rects} f")
    canvas.restoreState()


def _cut_lines(canvas: Canvas) -> None:
    """Dashed lines where a 4-up page is cut into stickers."""
    width, height = A4
    canvas.saveState()
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    canvas.line(width / 2, 0, width / 2, height)
    canvas.line(0, height / 2, width, height / 2)
    canvas.restoreState()


def _pages(canvas: Canvas, sites, layout: str, shared: Texts) -> None:
    if layout == "a4x4":
        width, height = A4
        corners = [(0, height / 2), (width / 2, height / 2), (0, 0), (width / 2, 0)]
        for start in range(0, len(sites), 4):
            for site, (x, y) in zip(sites[start : start + 4], corners, strict=False):
                draw(canvas, site, STICKER, shared, x, y)
            _cut_lines(canvas)
            canvas.showPage()
        return
    spec = POSTER_A4 if layout == "a4" else POSTER_A5
    for site in sites:
        draw(canvas, site, spec, shared)
        canvas.showPage()


def _batch_pdf(sites, layout: str, shared: Texts) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=A5 if layout == "a5" else A4,
        pageCompression=1,
        invariant=1,
        initialFontName=REGULAR,
    )
    _pages(canvas, sites, layout, shared)
    canvas.save()
    return out.getvalue()


def stream_posters(
    sites_iter: Iterable, layout: str = "a4", *, title: str | None = None, program_reference: str | None = None
) -> Iterator[bytes]:
    """The posters of these sites as one PDF, yielded piece by piece (a batch of pages at a time).

    Sites need `name`, `address`, `code` and `unit.name`. Needs an app context while it runs (the base URL,
    the texts); a streamed response wraps it in stream_with_context. An unknown layout raises ValueError now."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown poster layout {layout!r}")
    register_fonts()
    shared = texts(title, program_reference)
    return _stream(iter(sites_iter), layout, shared)


def _stream(sites: Iterator, layout: str, shared: Texts) -> Iterator[bytes]:
    joiner = PdfJoiner(shared.title)
    yield joiner.start()
    per_batch = BATCH * (4 if layout == "a4x4" else 1)
    while batch := list(islice(sites, per_batch)):
        yield joiner.add(_batch_pdf(batch, layout, shared))
    yield from joiner.finish()


def write_posters(
    sites: Iterable, layout: str, out: BinaryIO, *, title: str | None = None, program_reference: str | None = None
) -> int:
    """Write the posters of these sites as one PDF to a binary file; returns the bytes written."""
    written = 0
    for chunk in stream_posters(sites, layout, title=title, program_reference=program_reference):
        out.write(chunk)
        written += len(chunk)
    return written
