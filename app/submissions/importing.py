"""Read a table of transcribed paper submissions (CSV or XLSX) into rows with their line numbers. Pure.

Only cell values are read: XLSX formulas are never evaluated (openpyxl gives the value the file saved, or the
formula's text, which then fails the checks like any other bad cell). The checks of each cell against the
version (consent words, questions, dates) are the import service's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Final

MAX_ROWS: Final = 20_000
MAX_COLUMNS: Final = 100
MAX_CELL: Final = 20_000
COLUMNS: Final = (
    "name",
    "contact",
    "organisation",
    "organisation_kind",
    "region",
    "consent",
    "channel",
    "received_on",
    "text",
)
REQUIRED_COLUMNS: Final = ("name", "consent", "channel", "received_on", "text")


class TableError(ValueError):
    """The file cannot be read as a table at all; `problem` says why."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(f"{problem} {detail}".strip())
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class Row:
    line: int  # the row's line in the file (the header is line 1)
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[Row]


def read_table(filename: str, data: bytes) -> Table:
    """The rows of a CSV or XLSX file (decided by its content), header names lower-cased."""
    raw = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    if not raw:
        raise TableError("empty")
    header = [h.strip().lower().replace(" ", "_") for h in raw[0][1]]
    if len(header) > MAX_COLUMNS:
        raise TableError("too_many_columns")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise TableError("duplicate_column", name)
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TableError("missing_columns", ", ".join(missing))
    rows = []
    for line, values in raw[1:]:
        if not any(v.strip() for v in values):
            continue  # a blank line between entries is not a submission
        if len(values) > len(header):
            raise TableError("extra_cells", str(line))
        cells = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name}
        rows.append(Row(line, cells))
    if len(rows) > MAX_ROWS:
        raise TableError("too_many_rows")
    if not rows:
        raise TableError("no_rows")
    return Table(header, rows)


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in data:
        raise TableError("not_a_table")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError("not_utf8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        for values in reader:
            if reader.line_num > MAX_ROWS + 10 or any(len(v) > MAX_CELL for v in values):
                raise TableError("too_big")
            rows.append((reader.line_num, values))
    except csv.Error as error:
        raise TableError("bad_csv", str(reader.line_num)) from error
    # csv's line_num counts physical lines (a quoted cell may hold line breaks): number rows by record instead.
    return [(index, values) for index, (_line, values) in enumerate(rows, start=1)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > 200 * 1024 * 1024:
                raise TableError("too_big")
            if any(i.filename.lower().endswith("vbaproject.bin") for i in archive.infolist()):
                raise TableError("macros")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise TableError("not_a_table") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for index, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if index > MAX_ROWS + 10:
                raise TableError("too_many_rows")
            cells = [_cell(v) for v in values[: MAX_COLUMNS + 1]]
            while cells and cells[-1] == "":
                cells.pop()
            if any(len(c) > MAX_CELL for c in cells):
                raise TableError("too_big")
            rows.append((index, cells))
        return rows
    except TableError:
        raise
    except Exception:
        raise TableError("not_a_table") from None
    finally:
        workbook.close()
