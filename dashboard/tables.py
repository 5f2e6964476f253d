"""A dashboard table: what the page shows and what its CSV and Excel exports contain, from the
same rows (so an export always matches the page)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.formats import number_format


@dataclass(frozen=True)
class Column:
    label: Any  # a lazy translation
    kind: str  # "text", "int", "won", "date"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "won")


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Column]
    rows: list[list]

    def headers(self) -> list[str]:
        return [str(c.label) + (" (원)" if c.kind == "won" else "") for c in self.columns]

    def cells(self):
        """Rows as the page shows them: (text, numeric) pairs."""
        for row in self.rows:
            yield [
                (display(value, col.kind), col.numeric)
                for value, col in zip(row, self.columns, strict=True)
            ]

    def plain_rows(self) -> list[list]:
        """Rows as exported: numbers stay numbers, dates become ISO strings, text is neutralised
        against spreadsheet formula injection."""
        return [
            [export_value(value, col.kind) for value, col in zip(row, self.columns, strict=True)]
            for row in self.rows
        ]


def display(value, kind: str) -> str:
    if kind in ("int", "won"):
        return number_format(int(value or 0), force_grouping=True)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    return str(value)


def export_value(value, kind: str):
    if kind in ("int", "won"):
        return int(value or 0)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    text = str(value)
    # A shop name like "=HYPERLINK(...)" must stay text in Excel and LibreOffice.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers())
    writer.writerows(table.plain_rows())
    # A byte-order mark so that Excel opens Korean text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.name[:31]
    sheet.append(table.headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.plain_rows():
        sheet.append(row)
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        if column.numeric:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0"
        sheet.column_dimensions[letter].width = max(12, len(str(column.label)) * 2 + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
