"""A report's table written in each format: csv, json and xlsx carry the values (machine-readable:
numbers as numbers, moments as `YYYY-MM-DD HH:MM:SS` UTC), html, pdf and txt present them as the
locale writes them (Babel). The rows are the same in every format.

Each writer takes one or several tables (a merge is several reports in one document) and yields the
document in chunks, so that a large csv or json report streams as its rows are read."""

from __future__ import annotations

import csv
import html
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import orjson
from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal

from estate.errors import InvalidInput
from estate.query import Kind
from estate.reporting.engine import Row, Table

DEFAULT_LOCALE = "en_US"
STAMP = "%Y-%m-%d %H:%M:%S"


def check_locale(value: str | None) -> Locale:
    """`default` (or nothing) is en_US; `de`, `de_DE` and `de-DE` are German."""
    name = (value or "").strip()
    if not name or name.lower() == "default":
        name = DEFAULT_LOCALE
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(f"unknown locale {value!r}", field="locale") from None


def plain(value: Any) -> Any:
    """A value as csv and json carry it."""
    if isinstance(value, datetime):
        return value.strftime(STAMP)
    return value


def shown(value: Any, kind: Kind, locale: Locale) -> str:
    """A value as a person reads it in `locale`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, format="short", locale=locale, tzinfo=value.tzinfo)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) and kind in (Kind.INT, Kind.NUMBER):
        return format_decimal(value, locale=locale)
    return str(value)


def shown_row(table: Table, row: Row, locale: Locale) -> list[str]:
    return [shown(value, kind, locale) for value, kind in zip(row, table.kinds, strict=True)]


@dataclass(frozen=True)
class Format:
    media_type: str
    extension: str
    write: Callable[[Sequence[Table], Locale], Iterator[bytes]]


# --- csv (RFC 4180, UTF-8) ------------------------------------------------------------------------

class _Lines:
    """csv lines written into a buffer and taken out as bytes."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def take(self) -> bytes:
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text.encode()


CSV_BATCH = 5000


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


def write_csv(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    """One header line and the rows; merged reports follow one another after an empty line and a
    line holding the next report's title."""
    lines = _Lines()
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                lines.writer.writerow([])
            lines.writer.writerow([table.title])
        lines.writer.writerow(table.columns)
        yield lines.take()
        moments = [number for number, kind in enumerate(table.kinds) if kind is Kind.DATETIME]
        for batch in _batches(table.rows, CSV_BATCH):
            lines.writer.writerows(batch if not moments else ([plain(value) for value in row] for row in batch))
            yield lines.take()


# --- json -----------------------------------------------------------------------------------------

def _json_head(table: Table) -> dict[str, Any]:
    definition = table.definition
    return {"title": table.title, "name": definition.name, "category": definition.category,
            "description": definition.description, "generated": table.generated.strftime(STAMP),
            "columns": table.columns}


def _json_report(table: Table) -> Iterator[bytes]:
    yield orjson.dumps(_json_head(table))[:-1] + b',"rows":['
    count = 0
    for row in table.rows:
        yield (b"," if count else b"") + orjson.dumps([plain(value) for value in row])
        count += 1
    yield b'],"Count":' + str(count).encode() + b"}"


def write_json(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    """`{"Report": {...}}`, or `{"Reports": [...]}` for a merge; each with its columns and rows."""
    yield b'{"Reports":[' if len(tables) > 1 else b'{"Report":'
    for index, table in enumerate(tables):
        if index:
            yield b","
        yield from _json_report(table)
    yield b"]}" if len(tables) > 1 else b"}"


# --- txt ------------------------------------------------------------------------------------------

def write_txt(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    """Columns aligned with spaces, separated by two; a rule under the headings."""
    for index, table in enumerate(tables):
        rows = [shown_row(table, row, locale) for row in table.rows]
        widths = [max([len(heading), *(len(row[i]) for row in rows)]) for i, heading in enumerate(table.columns)]
        lines = ["" if not index else "\n", table.title, "=" * len(table.title), ""]
        lines.append("  ".join(heading.ljust(width) for heading, width in zip(table.columns, widths, strict=True))
                     .rstrip())
        lines.append("  ".join("-" * width for width in widths))
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                  for row in rows]
        lines += ["", _total(len(rows), locale)]
        yield ("\n".join(lines) + "\n").encode()


def _total(count: int, locale: Locale) -> str:
    return f"{format_decimal(count, locale=locale)} rows"


# --- html (one printable page; an SVG chart where the definition has one) --------------------------

_STYLE = """body{font:13px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em;margin:1.5em 0 .2em}p.meta{color:#666;margin:0 0 1em}
table{border-collapse:collapse;width:100%;margin-bottom:1em}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right}svg{margin:1em 0;max-width:100%}
@media print{body{margin:0}h1{break-before:page}h1:first-of-type{break-before:avoid}
thead{display:table-header-group}}"""


def write_html(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    title = tables[0].title if len(tables) == 1 else "Reports"
    yield (f'<!DOCTYPE html><html lang="{locale.language}"><head><meta charset="utf-8">'
           f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>").encode()
    for table in tables:
        yield from _html_report(table, locale)
    yield b"</body></html>"


def _html_report(table: Table, locale: Locale) -> Iterator[bytes]:
    definition = table.definition
    rows = list(table.rows) if definition.chart is not None else table.rows
    head = [f"<section><h1>{html.escape(table.title)}</h1>"]
    if definition.description:
        head.append(f'<p class="meta">{html.escape(definition.description)}</p>')
    head.append(f'<p class="meta">{html.escape(format_datetime(table.generated, format="medium", locale=locale))}</p>')
    if definition.chart is not None and isinstance(rows, list):
        head.append(chart_svg(table, rows, locale))
    head.append("<table><thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
                + "</tr></thead><tbody>")
    yield "".join(head).encode()
    numeric = [kind in (Kind.INT, Kind.NUMBER) for kind in table.kinds]
    count = 0
    chunk: list[str] = []
    for row in rows:
        cells = shown_row(table, row, locale)
        chunk.append("<tr>" + "".join(f'<td class="n">{html.escape(c)}</td>' if n else f"<td>{html.escape(c)}</td>"
                                      for c, n in zip(cells, numeric, strict=True)) + "</tr>")
        count += 1
        if len(chunk) >= 1000:
            yield "".join(chunk).encode()
            chunk = []
    chunk.append(f'</tbody></table><p class="meta">{html.escape(_total(count, locale))}</p></section>')
    yield "".join(chunk).encode()


CHART_BARS = 20
_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7")


def chart_points(table: Table, rows: list[Row]) -> list[tuple[str, float]]:
    chart = table.definition.chart
    if chart is None or chart.label not in table.columns or chart.value not in table.columns:
        return []
    label, value = table.columns.index(chart.label), table.columns.index(chart.value)
    points = [(str(row[label]) if row[label] is not None else "", float(row[value] or 0)) for row in rows]
    return points[:CHART_BARS]


def chart_svg(table: Table, rows: list[Row], locale: Locale) -> str:
    """A horizontal bar chart (or a pie) of the chart's value per label, the largest first."""
    points = chart_points(table, rows)
    if not points:
        return ""
    chart = table.definition.chart
    if chart is not None and chart.type == "pie":
        return _pie(points, locale)
    top = max(value for _, value in points) or 1.0
    bar, gap, left, width = 18, 6, 220, 420
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 80}" '
             f'height="{len(points) * (bar + gap) + gap}">']
    for index, (label, value) in enumerate(points):
        y = gap + index * (bar + gap)
        length = max(1.0, width * value / top)
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label[:40])}'
                     f'</text><rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{_COLOURS[0]}"/>'
                     f'<text x="{left + length + 4:.1f}" y="{y + 13}" font-size="12">'
                     f"{html.escape(format_decimal(value, locale=locale))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _pie(points: list[tuple[str, float]], locale: Locale) -> str:
    total = sum(value for _, value in points) or 1.0
    radius, cx, cy = 90, 100, 100
    height = max(210, 20 * len(points) + 10)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="460" height="{height}">']
    angle = -math.pi / 2
    for index, (label, value) in enumerate(points):
        sweep = 2 * math.pi * value / total
        x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        x2, y2 = cx + radius * math.cos(angle + sweep), cy + radius * math.sin(angle + sweep)
        large = 1 if sweep > math.pi else 0
        colour = _COLOURS[index % len(_COLOURS)]
        if sweep >= 2 * math.pi - 1e-9:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{colour}"/>')
        else:
            parts.append(f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{radius},{radius} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                         f'fill="{colour}"/>')
        parts.append(f'<rect x="220" y="{10 + index * 20}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="238" y="{21 + index * 20}" font-size="12">{html.escape(label[:40])} '
                     f"({html.escape(format_decimal(value, locale=locale))})</text>")
        angle += sweep
    parts.append("</svg>")
    return "".join(parts)


# --- xlsx -----------------------------------------------------------------------------------------

def write_xlsx(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    """A sheet per report: the headings, then the values (moments as Excel dates, UTC)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row])
    out = io.BytesIO()
    book.save(out)
    yield out.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title)[:28].strip() or "Report"
    name, number = cleaned, 2
    while name.lower() in used:
        name = f"{cleaned[:25]} {number}"
        number += 1
    used.add(name.lower())
    return name


# --- pdf ------------------------------------------------------------------------------------------

def write_pdf(tables: Sequence[Table], locale: Locale) -> Iterator[bytes]:
    """A4 landscape; each report a title, its description, a table whose headings repeat on every page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    font = _pdf_font()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = font  # type: ignore[attr-defined]
    story: list[Any] = []
    for index, table in enumerate(tables):
        if index:
            story.append(PageBreak())
        story.append(Paragraph(html.escape(table.title), styles["Title"]))
        if table.definition.description:
            story.append(Paragraph(html.escape(table.definition.description), styles["Normal"]))
        story.append(Spacer(1, 8))
        rows = [[_pdf_text(cell) for cell in shown_row(table, row, locale)] for row in table.rows]
        grid = PdfTable([table.columns, *rows], repeatRows=1)
        grid.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, 0), font, 8), ("FONT", (0, 1), (-1, -1), font, 8),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(grid)
        story.append(Spacer(1, 6))
        story.append(Paragraph(html.escape(_total(len(rows), locale)), styles["Normal"]))
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=landscape(A4), title=tables[0].title if len(tables) == 1 else "Reports",
                                 leftMargin=28, rightMargin=28, topMargin=28, bottomMargin=28)
    document.build(story)
    yield out.getvalue()


PDF_FONT = "EstateVera"


def _pdf_font() -> str:
    """Bitstream Vera, shipped with reportlab: embedded, so that text outside the PDF standard
    fonts' encoding (most of Latin-1 and beyond) is drawn and can be copied out."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT, "Vera.ttf"))
    return PDF_FONT


def _pdf_text(text: str) -> str:
    # Babel's times hold narrow no-break spaces, which the font has no glyph for.
    return text.replace("\u202f", " ").replace("\xa0", " ")


FORMATS: dict[str, Format] = {
    "html": Format("text/html; charset=utf-8", "html", write_html),
    "csv": Format("text/csv; charset=utf-8", "csv", write_csv),
    "json": Format("application/json", "json", write_json),
    "txt": Format("text/plain; charset=utf-8", "txt", write_txt),
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", write_xlsx),
    "pdf": Format("application/pdf", "pdf", write_pdf),
}
