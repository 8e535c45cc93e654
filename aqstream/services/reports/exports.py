"""Attendee lists as files: CSV (UTF-8 with a byte-order mark, so Excel reads Cyrillic right) and XLSX. Both are
produced while `attendees.export_rows` reads its rows in chunks, never whole in memory, and streamed: CSV row by
row, XLSX from an anonymous temporary file that nothing can delete before it is sent.

The XLSX is built by openpyxl as the rows come and sent once it is saved (openpyxl zips the book only when all of
it is there); the rows are still read in chunks, so building a large one holds no database connection either.

A process runs at most `config.max_exports()` exports at once: `take_slot` waits up to EXPORT_WAIT_SECONDS for one,
then answers ExportsBusy. An `ExportStream` gives its slot back when it ends or is closed."""
from __future__ import annotations

import csv
import io
import re
import tempfile
import threading
from datetime import datetime
from typing import Any, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from aqstream import config
from aqstream.services.errors import ExportsBusy
from aqstream.services.sales.attendees import Export

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_WAIT_SECONDS = 5.0  # how long a new export waits for a free slot before it is told to come back later
RETRY_AFTER_SECONDS = 30


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


# --- slots: how many exports run at once in this process ---------------------------------------------------------

class Slot:
    """One running export's place. Released once, however often `release` is called."""

    def __init__(self, free: threading.BoundedSemaphore):
        self._free = free
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._free.release()


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _free_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(config.max_exports())
        return _slots


def take_slot(wait: float | None = None) -> Slot:
    free = _free_slots()
    if not free.acquire(timeout=EXPORT_WAIT_SECONDS if wait is None else wait):
        raise ExportsBusy(seconds=RETRY_AFTER_SECONDS)
    return Slot(free)


class ExportStream:
    """The bytes of one export, produced as they are asked for. Holds its slot until the last chunk has been produced
    or `close` is called (the server calls it when the client goes away)."""

    def __init__(self, chunks: Iterator[bytes], slot: Slot):
        self._chunks = chunks
        self._slot = slot

    def __iter__(self) -> ExportStream:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self._chunks.close()  # type: ignore[attr-defined]
        except ValueError:
            pass  # still running in another thread: it holds nothing between chunks and ends with its next one
        finally:
            self._slot.release()


def stream(export: Export, fmt: str, sheet_title: str = "Attendees") -> ExportStream:
    """The export as CSV or XLSX bytes, in one of the process's export slots (ExportsBusy when none comes free)."""
    chunks = csv_chunks(export) if fmt == "csv" else xlsx_chunks(export, sheet_title)
    return ExportStream(chunks, take_slot())


# --- CSV ---------------------------------------------------------------------------------------------------------

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


# --- XLSX --------------------------------------------------------------------------------------------------------

MAX_CELL_TEXT = 32767  # Excel's limit; a longer text makes it "repair" the file
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def _xlsx_value(sheet, value: Any) -> Any:
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # Characters XML cannot carry (openpyxl refuses them); an attendee could still have typed one.
        return ILLEGAL_CHARACTERS_RE.sub("", _cell(value))[:MAX_CELL_TEXT]
    return value


def xlsx_chunks(export: Export, sheet_title: str = "Attendees", chunk_bytes: int = 256 * 1024) -> Iterator[bytes]:
    """The export as an .xlsx workbook of one sheet (header row bold and frozen, times as Excel dates), built by
    openpyxl's write-only mode as the rows are read, then streamed. The workbook is saved into an anonymous
    temporary file, one with no name once created: nothing can delete it before it is sent (a path handed to
    the server was, under granian), and it is gone when closed."""
    book = Workbook(write_only=True)
    title = SHEET_NAME_FORBIDDEN.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", sheet_title)).strip("' ")[:31] or "Attendees"
    sheet = book.create_sheet(title=title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label in export.header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(sheet, label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in export.rows:
        sheet.append([_xlsx_value(sheet, v) for v in row])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        while chunk := out.read(chunk_bytes):
            yield chunk
