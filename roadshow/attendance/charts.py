"""Charts of the reports as SVG, drawn on the server with pygal.

A chart is a picture of figures that the page also shows as a table beside it: it has
no script (pygal's tooltips need JavaScript, so they are left out and its ``<script>``
removed), a ``<title>`` and ``<desc>`` that screen readers announce (``role="img"``), and
labels in the reader's language. The SVG is inlined in the page, so it is plain markup
that must not be escaped again.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Sequence

import pygal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

from roadshow.attendance.reports import EventReport, Funnel, GroupReport

# Importing pygal appends an old-style import hook for its map plugins (unused here) to
# sys.meta_path; every later import that reaches it warns (ImportWarning), which breaks
# code that turns warnings into errors (Pillow opening an image does). Take it off again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
# pygal's <style> would be refused by the content security policy; roadshow.css has its rules.
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style>", re.DOTALL | re.IGNORECASE)
_OPENING = re.compile(r"<svg\b[^>]*>")
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#555",
    colors=("#1f5fa8", "#2e8540", "#c58a00", "#b3261e"),
    font_family="sans-serif",
)


def _finish(svg: str, title: str, description: str, chart_id: str) -> Markup:
    """Remove every script and style, give the chart a stable id, a title and a
    description."""
    svg = _STYLE_ELEMENT.sub("", _SCRIPT.sub("", svg))
    svg = re.sub(r'id="chart-[0-9a-f-]+"', f'id="{chart_id}"', svg)
    svg = re.sub(r"#chart-[0-9a-f-]+", f"#{chart_id}", svg)
    accessible = (
        f'<title id="{chart_id}-title">{html.escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{html.escape(description)}</desc>'
    )

    def opening(match: re.Match[str]) -> str:
        tag = match.group(0)[:-1]
        return (
            f'{tag} role="img" aria-labelledby="{chart_id}-title" '
            f'aria-describedby="{chart_id}-desc">{accessible}'
        )

    # pygal escapes every label it draws; the title and description are escaped above.
    return Markup(_OPENING.sub(opening, svg, count=1))  # noqa: S704


def _bar(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    chart_id: str,
    *,
    horizontal: bool = False,
) -> Markup:
    chart_type = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = chart_type(
        js=[],
        disable_xml_declaration=True,
        style=_STYLE,
        title=title,
        width=800,
        height=max(320, 40 + 28 * len(labels)) if horizontal else 400,
        x_label_rotation=0 if horizontal else 20,
        print_values=True,
        show_legend=True,
        legend_at_bottom=True,
        truncate_label=40,
        no_data_text=_("Keine Daten"),
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    parts = [
        f"{name}: "
        + ", ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))
        for name, values in series
    ]
    return _finish(chart.render(is_unicode=True), title, "; ".join(parts), chart_id)


def attendance_chart(
    reports: Sequence[EventReport], *, chart_id: str = "chart-attendance"
) -> Markup:
    """Confirmed, attended and no-shows per event."""
    labels = [report.event.title for report in reports]
    return _bar(
        _("Teilnahme je Veranstaltung"),
        labels,
        [
            (_("Bestätigt"), [r.figures.confirmed for r in reports]),
            (_("Teilgenommen"), [r.figures.attended for r in reports]),
            (_("Nicht erschienen"), [r.figures.no_show for r in reports]),
        ],
        chart_id,
        horizontal=True,
    )


def funnel_chart(funnel: Funnel, *, chart_id: str = "chart-funnel") -> Markup:
    """Companies at each stage of the tour."""
    return _bar(
        _("Unternehmen über die Tour"),
        [_("Tourstopp"), _("und Webinar"), _("und Workshop")],
        [
            (_("Angemeldet"), list(funnel.registered)),
            (_("Teilgenommen"), list(funnel.attended)),
        ],
        chart_id,
    )


def comparison_chart(
    first_name: str, first: GroupReport, second_name: str, second: GroupReport
) -> Markup:
    """Two editions' totals side by side."""
    labels = [
        _("Angemeldet"),
        _("Unternehmen"),
        _("Bestätigt"),
        _("Teilgenommen"),
        _("Nicht erschienen"),
    ]

    def values(report: GroupReport) -> list[int]:
        t = report.totals
        return [t.registered, t.companies, t.confirmed, t.attended, t.no_show]

    return _bar(
        _("Vergleich der Ausgaben"),
        labels,
        [(first_name, values(first)), (second_name, values(second))],
        "chart-comparison",
    )
