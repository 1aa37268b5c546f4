"""Reading operator exports: CSV in UTF-8, GBK/GB18030 or UTF-16 (Excel "Unicode text"), and XLSX.

Rows come out as (row_number, cells) where row_number is the line the user sees in Excel or a
text editor (the header is row 1), so rejects point at the right place.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from jike.customers.importers.errors import FileProblem

# utf-8-sig accepts plain UTF-8 too; gb18030 is a superset of GBK and GB2312.
CANDIDATE_ENCODINGS = ("utf-8-sig", "gb18030")
_EXCEL_EXTS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
_CHUNK = 1 << 20

csv.field_size_limit(1 << 20)


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str
    estimated_rows: int
    path: Path | None = None  # set for CSV files the vectorised member path may read itself


def is_excel(path: Path) -> bool:
    if path.suffix.lower() in _EXCEL_EXTS:
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def detect_encoding(path: Path) -> str:
    """The first candidate encoding that decodes the whole file, or a FileProblem."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in CANDIDATE_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(_CHUNK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileProblem("encoding", "文件编码无法识别：既不是 UTF-8 也不是 GBK/GB18030，请另存为 UTF-8 CSV 或 XLSX")


def _count_lines(path: Path) -> int:
    n, last = 0, b"\n"
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(fh: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells); a quoted cell may span lines, blank lines are skipped."""
    reader = csv.reader(fh, delimiter=delimiter)
    last = 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if cells and any(cells):
            yield start, cells


def read_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    fh = path.open(encoding=encoding, newline="")
    first = fh.readline()
    if not first.strip():
        fh.close()
        raise FileProblem("empty", "文件为空或第一行不是表头")
    delimiter = _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    estimate = max(0, _count_lines(path) - 1) if encoding != "utf-16" else 0

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for line_num, cells in _csv_rows(fh, delimiter):
                yield line_num + 1, cells
        finally:
            fh.close()

    header = [h.strip() for h in header]
    return Table(header=header, rows=rows(), encoding=encoding, estimated_rows=estimate, path=path)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Excel stores every number as a float; 13812345678.0 must read back as 13812345678.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_excel(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        data = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several error types for damaged files
        raise FileProblem("broken_excel", f"Excel 文件已损坏或格式不支持，无法读取：{exc}") from exc
    if not data or not any(_cell(v).strip() for v in data[0]):
        raise FileProblem("empty", "文件为空或第一行不是表头")
    header = [_cell(v).strip() for v in data[0]]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for index, raw in enumerate(data[1:], start=2):
            cells = [_cell(v) for v in raw]
            if any(c.strip() for c in cells):
                yield index, cells

    return Table(header=header, rows=rows(), encoding="xlsx", estimated_rows=len(data) - 1)


def open_table(path: Path) -> Table:
    if not path.exists():
        raise FileProblem("missing_file", f"文件不存在：{path.name}")
    return read_excel(path) if is_excel(path) else read_csv(path)
