"""Reading an imported spreadsheet (CSV or XLSX) within limits, whatever the file declares.

An XLSX file is a zip of XML parts, and a small one can unpack to gigabytes or declare a
sheet of 17 billion cells (``<dimension ref="A1:XFD1048576"/>``). So its directory is
checked before anything is unpacked (members, bytes unpacked, packing ratio, size of the
sheet and of every other XML part, the shared strings among them), then the first sheet is
read row by row as it is unpacked, counting rows, columns and cells, and reading stops at
the first limit passed. The declared dimension is never used: only cells that are there
count, and a row far down counts by its number. A CSV file is counted the same way.

Every refusal names the limit (and its setting, see docs/limits.md) as ``file:line``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.domain.errors import ImportInvalid, RowError
from engine.domain.imports.plan import Cell
from engine.domain.imports.text import decode, delimiter
from engine.domain.validation import control_in
from engine.settings import Settings

Row = tuple[int, list[Cell]]
#: Members smaller than this unpacked are not held to the packing ratio (tiny parts of
#: repeated XML pack well and do no harm).
RATIO_FLOOR = 100_000


@dataclass(frozen=True)
class SheetLimits:
    rows: int
    columns: int
    cells: int
    members: int
    unpacked: int
    ratio: int
    sheet_bytes: int
    part_bytes: int

    @classmethod
    def of(cls, s: Settings) -> SheetLimits:
        return cls(
            s.import_max_rows,
            s.import_max_columns,
            s.import_max_cells,
            s.xlsx_max_members,
            s.xlsx_max_unpacked_bytes,
            s.xlsx_max_ratio,
            s.xlsx_max_sheet_bytes,
            s.xlsx_max_part_bytes,
        )


def read_rows(filename: str, content: bytes, limits: SheetLimits) -> list[Row]:
    """(line, cells) of a CSV or XLSX file; line numbers as the user sees them."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return list(_counted(filename, _xlsx_rows(filename, content, limits), limits))
    return list(_counted(filename, _csv_rows(filename, content), limits))


def _counted(filename: str, rows: Iterator[Row], limits: SheetLimits) -> Iterator[Row]:
    """The rows, stopping with a refusal at the first row, column or cell over a limit."""
    cells = 0
    for line, row in rows:
        if line > limits.rows:
            raise ImportInvalid.at(
                filename,
                line,
                f"more than {limits.rows} rows (SAMFLOW_IMPORT_MAX_ROWS); split the file",
                f"fler än {limits.rows} rader (SAMFLOW_IMPORT_MAX_ROWS); dela upp filen",
            )
        if len(row) > limits.columns:
            raise ImportInvalid.at(
                filename,
                line,
                f"more than {limits.columns} columns (SAMFLOW_IMPORT_MAX_COLUMNS)",
                f"fler än {limits.columns} kolumner (SAMFLOW_IMPORT_MAX_COLUMNS)",
            )
        cells += len(row)
        if cells > limits.cells:
            raise ImportInvalid.at(
                filename,
                line,
                f"more than {limits.cells} cells (SAMFLOW_IMPORT_MAX_CELLS); split the file",
                f"fler än {limits.cells} celler (SAMFLOW_IMPORT_MAX_CELLS); dela upp filen",
            )
        for i, cell in enumerate(row):
            if isinstance(cell, str) and (message := control_in(cell)) is not None:
                raise ImportInvalid([RowError(filename, line, column_letter(i), *message)])
        yield line, row


def column_letter(index: int) -> str:
    """The spreadsheet's name of the column at ``index`` (0: A, 25: Z, 26: AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


# --- CSV ---------------------------------------------------------------------------------


def _csv_rows(filename: str, content: bytes) -> Iterator[Row]:
    text = decode(filename, content)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter(text))
    try:
        start = 1
        for row in reader:  # a row is named by its first line (a cell may span lines)
            yield start, list(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportInvalid.at(
            filename,
            reader.line_num + 1,
            f"not readable as CSV ({exc})",
            f"kan inte läsas som CSV ({exc})",
        ) from None


# --- XLSX --------------------------------------------------------------------------------


def _not_xlsx(filename: str, why: str) -> ImportInvalid:
    return ImportInvalid.at(filename, 1, f"not an XLSX file ({why})", f"inte en XLSX-fil ({why})")


def check_zip(filename: str, archive: zipfile.ZipFile, limits: SheetLimits) -> None:
    """The zip's directory against the limits, before any member is unpacked. (Python's
    zipfile never unpacks more than a member declares: a member that lies fails its CRC.)"""
    members = archive.infolist()
    total = sum(m.file_size for m in members)
    _within(filename, "parts", "delar", len(members), limits.members, "MEMBERS")
    _within(filename, "bytes unpacked", "byte uppackat", total, limits.unpacked, "UNPACKED_BYTES")
    for m in members:
        if m.file_size > RATIO_FLOOR:
            ratio = m.file_size // max(m.compress_size, 1)
            _within(filename, f"{m.filename}: packing ratio", f"{m.filename}: packningsgrad",
                    ratio, limits.ratio, "RATIO")  # fmt: skip
        name = m.filename.lower()
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            _within(filename, f"{m.filename}: bytes", f"{m.filename}: byte",
                    m.file_size, limits.sheet_bytes, "SHEET_BYTES")  # fmt: skip
        elif name.endswith((".xml", ".rels")):
            _within(filename, f"{m.filename}: bytes", f"{m.filename}: byte",
                    m.file_size, limits.part_bytes, "PART_BYTES")  # fmt: skip


def _within(filename: str, en: str, sv: str, value: int, limit: int, setting: str) -> None:
    if value <= limit:
        return
    raise ImportInvalid.at(
        filename,
        1,
        f"the file is too large to read: {en} {value}, at most {limit} "
        f"(SAMFLOW_XLSX_MAX_{setting})",
        f"filen är för stor att läsa: {sv} {value}, högst {limit} (SAMFLOW_XLSX_MAX_{setting})",
    )


def _xlsx_rows(filename: str, content: bytes, limits: SheetLimits) -> Iterator[Row]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_xlsx(filename, str(exc)) from None
    with archive:
        check_zip(filename, archive, limits)
    try:
        yield from _sheet_rows(filename, content, limits.columns)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as exc:
        raise _not_xlsx(filename, str(exc)) from None
    except SyntaxError as exc:
        # XML that is not well-formed (ElementTree's ParseError, lxml's XMLSyntaxError),
        # e.g. a cell with a control character, which XML 1.0 cannot carry even as &#1;.
        raise ImportInvalid.at(
            filename,
            1,
            f"not an XLSX file (its XML is not well-formed: {exc})",
            f"inte en XLSX-fil (dess XML är trasig: {exc})",
        ) from None


def _sheet_rows(filename: str, content: bytes, columns: int) -> Iterator[Row]:
    """The first sheet's rows as they are unpacked: only the cells present, by column.

    openpyxl's ``load_workbook`` is not used: even read-only, it reads every sheet to its
    end when the sheet has no ``<dimension>`` (78 MB of rows: 90 s). Its reader's parts
    are: the manifest, the shared strings, the workbook, the styles (which cells are
    dates), then the first worksheet's rows, parsed as they come.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser

    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    with reader.archive:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        book = reader.wb
        apply_stylesheet(reader.archive, book)
        target = next(
            (
                rel.target
                for _, rel in reader.parser.find_sheets()
                if "chartsheet" not in rel.Type and rel.target in reader.valid_files
            ),
            None,
        )
        if target is None:
            raise _not_xlsx(filename, "no worksheet")
        with reader.archive.open(target) as source:
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            for line, cells in parser.parse():
                yield line, _values(cells, columns)


def _values(cells: list[dict[str, Any]], columns: int) -> list[Cell]:
    """A row's values by column (1-based in the file), as wide as its last cell; one wider
    than the limit at most (which ``_counted`` then refuses), never as wide as declared."""
    width = min(max((int(c["column"]) for c in cells), default=0), columns + 1)
    row: list[Cell] = [None] * width
    for c in cells:
        column = int(c["column"])
        if column <= width:
            row[column - 1] = c["value"]
    return row
