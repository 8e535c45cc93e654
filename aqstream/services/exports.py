"""Attendee lists as files: CSV (UTF-8 with a byte-order mark, so Excel reads Cyrillic right) and XLSX
(openpyxl's write-only mode). Both are produced row by row from `attendees.export_rows`, never whole
in memory."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime
from typing import Any, Iterator

from openpyxl import Workbook

from aqstream.services.attendees import Export

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A spreadsheet must not run what an attendee typed: text that looks like a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(_cell(value))


def csv_chunks(export: Export, rows_per_chunk: int = 500) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_text(h) for h in export.header])
    first = True
    n = 0
    for row in export.rows:
        writer.writerow([_text(v) for v in row])
        n += 1
        if n % rows_per_chunk == 0:
            yield (("\ufeff" if first else "") + buffer.getvalue()).encode("utf-8")
            first = False
            buffer.seek(0)
            buffer.truncate()
    yield (("\ufeff" if first else "") + buffer.getvalue()).encode("utf-8")


def xlsx_file(export: Export, sheet_title: str = "Attendees") -> str:
    """Write the export to a temporary .xlsx file and return its path; the caller streams and deletes it."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31] or "Attendees")
    sheet.append([_cell(h) for h in export.header])
    for row in export.rows:
        sheet.append([_cell(v) for v in row])
    handle, path = tempfile.mkstemp(prefix="aqstream-export-", suffix=".xlsx")
    os.close(handle)
    book.save(path)
    return path
