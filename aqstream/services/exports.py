"""Attendee lists as files: CSV (UTF-8 with a byte-order mark, so Excel reads Cyrillic right) and XLSX. Both are
produced as a stream of bytes while `attendees.export_rows` reads its rows in chunks, never whole in memory and
never written to disk: nothing can be deleted before it is sent, and the first bytes leave at once.

The XLSX is written here, not by openpyxl (whose write-only mode keeps the sheet in a temporary file and zips the
book only when all of it is there): the small fixed parts first, then the sheet, deflated into the zip stream as
the rows come (entries carry their sizes after their data, as a non-seekable zip writer does).

A process runs at most `config.max_exports()` exports at once: `take_slot` waits up to EXPORT_WAIT_SECONDS for one,
then answers ExportsBusy. An `ExportStream` gives its slot back when it ends or is closed."""
from __future__ import annotations

import csv
import io
import re
import threading
import zipfile
from datetime import date, datetime
from typing import Any, Iterator
from xml.sax.saxutils import escape, quoteattr

from aqstream import config
from aqstream.services.attendees import Export
from aqstream.services.errors import ExportsBusy

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

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_CELL_TEXT = 32767  # Excel's limit; a longer text makes it "repair" the file
# Characters XML 1.0 cannot carry at all (openpyxl refuses them); an attendee could still have typed one.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
EXCEL_EPOCH = datetime(1899, 12, 30)
DATE_STYLE, HEADER_STYLE = 1, 2
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_cell(ref: str, value: Any, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, (datetime, date)):
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        delta = moment.replace(tzinfo=None) - EXCEL_EPOCH
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        return f'<c r="{ref}" s="{style or DATE_STYLE}"><v>{serial!r}</v></c>'
    text = escape(NOT_XML.sub("", str(_cell(value)))[:MAX_CELL_TEXT])
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _xml_row(number: int, values: list[Any], columns: list[str], style: int = 0) -> str:
    cells = "".join(_xml_cell(f"{col}{number}", v, style) for col, v in zip(columns, values))
    return f'<row r="{number}">{cells}</row>'


def _fixed_parts(sheet_title: str) -> list[tuple[str, str]]:
    title = SHEET_NAME_FORBIDDEN.sub(" ", NOT_XML.sub("", sheet_title)).strip("' ")[:31] or "Attendees"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return [
        ("[Content_Types].xml", XML_HEAD + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{sheet_type}.styles+xml"/>'
            '</Types>')),
        ("_rels/.rels", XML_HEAD + (
            f'<Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')),
        ("xl/workbook.xml", XML_HEAD + (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets><sheet name={quoteattr(title)} sheetId="1" r:id="rId1"/></sheets></workbook>')),
        ("xl/_rels/workbook.xml.rels", XML_HEAD + (
            f'<Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            '</Relationships>')),
        ("xl/styles.xml", XML_HEAD + (
            f'<styleSheet xmlns="{MAIN}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '</styleSheet>')),
    ]


class _Sink(io.RawIOBase):
    """Where the zip writer puts its bytes until the stream takes them. Not seekable, so the writer puts each
    entry's sizes after its data instead of going back for them."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def xlsx_chunks(export: Export, sheet_title: str = "Attendees", rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The export as an .xlsx workbook of one sheet (header row bold and frozen, times as Excel dates), streamed."""
    columns = [_column(i) for i in range(len(export.header))]
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in _fixed_parts(sheet_title):
            book.writestr(name, text)
        yield sink.take()
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            widths = "".join(f'<col min="{i}" max="{i}" width="22" customWidth="1"/>' for i in range(1, len(columns) + 1))
            sheet.write((XML_HEAD + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetViews>'
                         '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                         'state="frozen"/></sheetView></sheetViews>' + (f"<cols>{widths}</cols>" if widths else "")
                         + "<sheetData>" + _xml_row(1, export.header, columns, HEADER_STYLE)).encode("utf-8"))
            batch: list[str] = []
            for number, row in enumerate(export.rows, start=2):
                batch.append(_xml_row(number, row, columns))
                if len(batch) == rows_per_chunk:
                    sheet.write("".join(batch).encode("utf-8"))
                    batch.clear()
                    data = sink.take()
                    if data:
                        yield data
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode("utf-8"))
    yield sink.take()
