"""The figures of a report as a table, and that table as CSV and XLSX.

The same rows feed the page's table, the CSV (UTF-8 with BOM, ``;``, formula-safe, as the
registrations' export) and the XLSX (texts stored as strings, numbers as numbers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import format_percent
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from roadshow.attendance.reports import Figures, GroupReport, TourReport
from roadshow.registrations.exports import formula_safe
from roadshow.registrations.forms import COMPANY_SIZES, INDUSTRIES, label_of

Cell = str | int | float | None


def figure_headers() -> list[str]:
    return [
        _("Angemeldete Personen"),
        _("Unternehmen"),
        _("Bestätigt"),
        _("Warteliste"),
        _("Storniert"),
        _("Teilgenommen"),
        _("Nicht erschienen"),
        _("No-Show-Quote"),
    ]


def rate_text(figures: Figures) -> str:
    """The no-show rate as a percentage, or a dash where no event was held."""
    rate = figures.no_show_rate
    return "–" if rate is None else format_percent(rate, "#,##0.0 %")


def figure_values(figures: Figures) -> list[Cell]:
    return [
        figures.registered,
        figures.companies,
        figures.confirmed,
        figures.waiting,
        figures.cancelled,
        figures.attended,
        figures.no_show if figures.held else None,
        None if figures.no_show_rate is None else round(figures.no_show_rate, 4),
    ]


def headers() -> list[str]:
    return [_("Veranstaltung"), _("Art"), _("Datum"), *figure_headers()]


def rows(report: GroupReport) -> list[list[Cell]]:
    """One row per event, then the totals."""
    table: list[list[Cell]] = [
        [
            item.event.title,
            str(item.event.kind.label),
            item.event.local_starts_at.strftime("%d.%m.%Y"),
            *figure_values(item.figures),
        ]
        for item in report.events
    ]
    table.append([_("Summe"), "", "", *figure_values(report.totals)])
    return table


def to_csv(header: Sequence[str], table: Sequence[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([formula_safe(h) for h in header])
    for row in table:
        writer.writerow(
            [formula_safe(v) if isinstance(v, str) else ("" if v is None else str(v)) for v in row]
        )
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence[str], table: Sequence[Sequence[Cell]], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Bericht")
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", h) for h in header])
    for number, row in enumerate(table, start=2):
        for column, value in enumerate(row, start=1):
            if isinstance(value, str):
                cell = sheet.cell(
                    row=number, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value)
                )
                cell.data_type = "s"  # never a formula
            else:
                sheet.cell(row=number, column=column, value=value)
    for column in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 20
    sheet.freeze_panes = "A2"
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def breakdown_title(column: str) -> str:
    return {
        "company_size": _("Nach Unternehmensgröße"),
        "industry": _("Nach Branche"),
        "town": _("Nach Ort"),
    }[column]


def breakdown_value(column: str, value: str) -> str:
    """A stored choice as the registration form shows it (company size, industry)."""
    if not value:
        return _("keine Angabe")
    choices = {"company_size": COMPANY_SIZES, "industry": INDUSTRIES}.get(column)
    return label_of(choices, value) if choices else value


def funnel_labels() -> list[str]:
    return [_("Tourstopp"), _("und Webinar"), _("und Workshop")]


def with_breakdowns(
    header: list[str], table: list[list[Cell]], report: GroupReport
) -> tuple[list[str], list[list[Cell]]]:
    """The table followed by each breakdown: a title row, then value, registered, attended."""
    table = list(table)
    for column, rows_ in report.breakdowns.items():
        table.append([])
        table.append([breakdown_title(column), _("Angemeldete Personen"), _("Teilgenommen")])
        for row in rows_:
            table.append([breakdown_value(column, row.value), row.registered, row.attended])
    return header, table


def with_funnel(
    header: list[str], table: list[list[Cell]], report: GroupReport
) -> tuple[list[str], list[list[Cell]]]:
    """The table followed by the funnel: companies per stage, registered and attended."""
    table = list(table)
    if report.funnel is not None:
        table.append([])
        table.append([_("Unternehmen über die Tour"), _("Angemeldet"), _("Teilgenommen")])
        for label, registered, attended in zip(
            funnel_labels(), report.funnel.registered, report.funnel.attended, strict=True
        ):
            table.append([label, registered, attended])
    return header, table


def with_referred(
    header: list[str], table: list[list[Cell]], referred: Figures
) -> tuple[list[str], list[list[Cell]]]:
    """The table followed by the persons the partner brought by referral."""
    table = list(table)
    table.append([])
    table.append(
        [
            _("Durch Empfehlung gewonnen"),
            _("Angemeldete Personen"),
            _("Unternehmen"),
            _("Bestätigt"),
            _("Teilgenommen"),
        ]
    )
    table.append(
        ["", referred.registered, referred.companies, referred.confirmed, referred.attended]
    )
    return header, table


def comparison(first: TourReport, second: TourReport) -> tuple[list[str], list[list[Cell]]]:
    """One row per edition with its totals and funnel."""
    header = [
        _("Ausgabe"),
        _("Veranstaltungen"),
        *figure_headers(),
        *(f"{_('Funnel')}: {label}" for label in funnel_labels()),
    ]
    table: list[list[Cell]] = []
    for found in (first, second):
        funnel = found.report.funnel.registered if found.report.funnel else (0, 0, 0)
        table.append(
            [
                found.tour.title,
                len(found.report.events),
                *figure_values(found.report.totals),
                *funnel,
            ]
        )
    return header, table
