"""Join small PDFs written by reportlab into one, as a stream of bytes.

reportlab's canvas keeps every page of a document in memory until it saves, so thousands of posters in one
canvas grow without bound. Posters are instead rendered in small documents of a few dozen pages, and this
module copies their objects into one output as they come: renumbered, with each page re-parented to a single
page tree written at the end. It holds one part at a time plus an offset per object written, so memory stays
flat in the number of pages.

It reads only what reportlab writes (PDF 1.3, a classic cross-reference table, no object streams, no
encryption); anything else is refused rather than guessed at.
"""

import re
from array import array
from collections.abc import Iterator

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
CATALOG, PAGES, INFO = 1, 2, 3  # written last, numbered first
TAIL_CHUNK = 1000
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF = re.compile(rb"xref\s+0\s+(\d+)\s+")
_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_OBJ = re.compile(rb"(\d+) 0 obj\s")
_REF = re.compile(rb"(\d+) 0 R\b")
_STREAM = re.compile(rb">>\s*stream\r?\n")
_ROOT = re.compile(rb"/Root (\d+) 0 R")
_INFO = re.compile(rb"/Info (\d+) 0 R")
_PAGES = re.compile(rb"/Pages (\d+) 0 R")
_OUTLINES = re.compile(rb"/Outlines (\d+) 0 R")
_KIDS = re.compile(rb"/Kids \[([^\]]*)\]")


class PdfError(ValueError):
    """A part that is not a plain reportlab PDF."""


def pdf_text(text: str) -> bytes:
    """A PDF text string for any Unicode text (UTF-16BE with its byte-order mark)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class PdfJoiner:
    """start() returns the first bytes to send, add() those of each part, finish() yields the last ones.

    The output's object numbers: 1 catalog, 2 page tree, 3 document information, then the parts' objects."""

    def __init__(self, title: str = ""):
        self.title = title
        self.position = 0
        self.offsets = array("Q", [0, 0, 0])  # offsets[n - 1] is where object n starts
        self.pages = array("L")  # page object numbers, in order

    def start(self) -> bytes:
        return self._emit(HEADER)

    def _emit(self, data: bytes) -> bytes:
        self.position += len(data)
        return data

    def add(self, part: bytes) -> bytes:
        """Copy the objects of one reportlab PDF, except its catalog, page tree, outline and information."""
        objects, root, info = _parse(part)
        catalog = objects[root]
        pages = _number(_PAGES, catalog)
        skipped = {root, info, pages, _number(_OUTLINES, catalog, optional=True)}
        kids = _KIDS.search(objects[pages])
        if kids is None:
            raise PdfError("page tree without /Kids")
        renumber = {pages: PAGES, root: CATALOG}
        for old in sorted(objects):
            if old not in skipped:
                self.offsets.append(0)
                renumber[old] = len(self.offsets)
        chunks = []
        for old, body in sorted(objects.items()):
            if old in skipped:
                continue
            new = renumber[old]
            self.offsets[new - 1] = self.position
            chunks.append(self._emit(b"%d 0 obj\n%s\nendobj\n" % (new, _renumbered(body, renumber))))
        for ref in _REF.finditer(kids.group(1)):
            self.pages.append(renumber[int(ref.group(1))])
        return b"".join(chunks)

    def finish(self) -> Iterator[bytes]:
        """The page tree, the catalog, the information dictionary, the cross-reference table and the trailer,
        in pieces of at most TAIL_CHUNK entries: their size grows with the pages, the pieces do not."""
        self.offsets[PAGES - 1] = self.position
        yield self._emit(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [\n" % (PAGES, len(self.pages)))
        for start in range(0, len(self.pages), TAIL_CHUNK):
            yield self._emit(b"".join(b"%d 0 R\n" % n for n in self.pages[start : start + TAIL_CHUNK]))
        yield self._emit(b"] >>\nendobj\n")
        for number, body in (
            (CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % PAGES),
            (INFO, b"<< /Producer (Tracker) /Title %s >>" % pdf_text(self.title)),
        ):
            self.offsets[number - 1] = self.position
            yield self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref = self.position
        yield b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1)
        for start in range(0, len(self.offsets), TAIL_CHUNK):
            yield b"".join(b"%010d 00000 n \n" % offset for offset in self.offsets[start : start + TAIL_CHUNK])
        yield b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.offsets) + 1,
            CATALOG,
            INFO,
            xref,
        )


def _number(pattern: re.Pattern, body: bytes, *, optional: bool = False) -> int | None:
    found = pattern.search(body)
    if found is None:
        if optional:
            return None
        raise PdfError(f"missing {pattern.pattern!r}")
    return int(found.group(1))


def _parse(part: bytes) -> tuple[dict[int, bytes], int, int]:
    """({object number: its body between 'obj' and 'endobj'}, root number, info number) of a reportlab PDF."""
    end = _STARTXREF.search(part[-64:])
    if end is None:
        raise PdfError("no startxref")
    xref = int(end.group(1))
    table = _XREF.match(part, xref)
    if table is None:
        raise PdfError("no classic cross-reference table")
    count = int(table.group(1))
    offsets = []
    position = table.end()
    for number in range(count):
        entry = _ENTRY.match(part, position)
        if entry is None:
            raise PdfError("bad cross-reference entry")
        position = entry.end() + 2  # each entry is 20 bytes: 18 of these, then a two-byte end of line
        if entry.group(3) == b"n":
            offsets.append((int(entry.group(1)), number))
    trailer = part[position:]
    ends = [offset for offset, _n in sorted(offsets)[1:]] + [xref]
    objects = {}
    for (offset, number), stop in zip(sorted(offsets), ends, strict=True):
        header = _OBJ.match(part, offset)
        if header is None or int(header.group(1)) != number:
            raise PdfError(f"object {number} is not where the table says")
        body = part[header.end() : stop]
        objects[number] = body[: body.rindex(b"endobj")].rstrip(b"\r\n")
    return objects, _number(_ROOT, trailer), _number(_INFO, trailer)


def _renumbered(body: bytes, renumber: dict[int, int]) -> bytes:
    """The object with its references renumbered: in its dictionary only, never inside stream data."""
    stream = _STREAM.search(body)
    head, tail = (body[: stream.start()], body[stream.start() :]) if stream else (body, b"")

    def ref(match: re.Match) -> bytes:
        old = int(match.group(1))
        if old not in renumber:
            raise PdfError(f"reference to an object that is not copied: {old}")
        return b"%d 0 R" % renumber[old]

    return _REF.sub(ref, head) + tail
