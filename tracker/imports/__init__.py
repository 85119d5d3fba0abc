"""Imports from CSV or XLSX: a file read into rows of text, checked row by row into a preview, then applied all or
nothing. The package holds

    reading   bytes → rows of text (CSV in any of its encodings, XLSX), refusing what is not a sound spreadsheet
    engine    what an import declares (Column, Importer), headers matched, rows checked (preview), written (apply)
    stashes   an upload kept on disk between its preview and its confirmation
    writing   the cell guards every export uses (safe_cell, csv_cell, xlsx_cells…) and the blank templates
    flow      the one web flow (upload → preview → confirm → template) every area's import runs on

Only `flow` speaks HTTP: the others raise ValidationError (or the stash's own Gone / NotYours), which the flow turns
into a page and a 4xx. The names below are the ones callers use as `imports.<name>`.
"""

from tracker.downloads import XLSX_MIMETYPE
from tracker.imports.engine import (
    ERROR,
    MAX_ROWS,
    NEW,
    UPDATE,
    Column,
    Importer,
    Preview,
    RowResult,
    apply,
    match_headers,
    preview,
    report_lines,
)
from tracker.imports.flow import ImportFlow, UploadForm, add_routes, load_stash, typed_unit
from tracker.imports.reading import MAX_ENTRIES, MAX_UNCOMPRESSED, read_rows
from tracker.imports.stashes import STASH_SECONDS, Stashed, discard, stash
from tracker.imports.writing import (
    FORMULA_STARTS,
    csv_cell,
    csv_file,
    safe_cell,
    template_csv,
    template_xlsx,
    xlsx_cells,
    xlsx_row,
    xlsx_values,
)

__all__ = [
    "ERROR",
    "FORMULA_STARTS",
    "MAX_ENTRIES",
    "MAX_ROWS",
    "MAX_UNCOMPRESSED",
    "NEW",
    "STASH_SECONDS",
    "UPDATE",
    "XLSX_MIMETYPE",
    "Column",
    "ImportFlow",
    "typed_unit",
    "Importer",
    "Preview",
    "RowResult",
    "Stashed",
    "UploadForm",
    "add_routes",
    "apply",
    "csv_cell",
    "csv_file",
    "discard",
    "load_stash",
    "match_headers",
    "preview",
    "read_rows",
    "report_lines",
    "safe_cell",
    "stash",
    "template_csv",
    "template_xlsx",
    "xlsx_cells",
    "xlsx_row",
    "xlsx_values",
]
