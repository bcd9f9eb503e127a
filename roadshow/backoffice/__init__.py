"""The organisers' pages under ``/organiser/``.

The back office sits above every domain: it calls their services and shows their data,
and no domain imports it. One blueprint and one guard (``blueprint``) serve every page;
each sub-package holds the pages of one subject with their forms.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from roadshow.backoffice import views  # noqa: F401 (routes)
    from roadshow.backoffice.attendance import views as attendance_views  # noqa: F401
    from roadshow.backoffice.audit import views as audit_views  # noqa: F401
    from roadshow.backoffice.blueprint import bp
    from roadshow.backoffice.events import views as event_views  # noqa: F401
    from roadshow.backoffice.partners import views as partner_views  # noqa: F401
    from roadshow.backoffice.planning import views as planning_views  # noqa: F401
    from roadshow.backoffice.privacy import views as privacy_views  # noqa: F401
    from roadshow.backoffice.registrations import views as registration_views  # noqa: F401
    from roadshow.backoffice.reports import views as report_views  # noqa: F401
    from roadshow.backoffice.security import views as security_views  # noqa: F401
    from roadshow.backoffice.series import views as series_views  # noqa: F401
    from roadshow.backoffice.users import views as user_views  # noqa: F401

    app.register_blueprint(bp)
