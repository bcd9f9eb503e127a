"""Check-in and webinar attendance, and the reports on who came."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.attendance import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.attendance)

    from roadshow.attendance import report_exports

    # The report tables of the back office and the portal label figures the same way.
    app.add_template_global(report_exports.rate_text, "no_show_rate")
    app.add_template_global(report_exports.breakdown_title, "breakdown_title")
    app.add_template_global(report_exports.breakdown_value, "breakdown_value")
    app.add_template_global(report_exports.funnel_labels, "funnel_labels")
