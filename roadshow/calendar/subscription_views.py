"""Subscribing (double opt-in), confirming, managing and ending a personal feed."""

from __future__ import annotations

import contextlib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from roadshow.calendar import services
from roadshow.calendar.filters import (
    URL_PARAMETERS,
    FeedFilter,
    filter_choices,
    filter_from_query,
    validated_filter,
)
from roadshow.calendar.forms import (
    CONSENT_TEXT_VERSION,
    ButtonForm,
    ManageForm,
    SubscribeForm,
    kind_labels,
)
from roadshow.calendar.models import Subscriber
from roadshow.calendar.views import bp
from roadshow.errors import DomainError, NotFound
from roadshow.extensions import csrf, db, limiter
from roadshow.i18n import supported_language


def _subscribe_limit() -> str:
    return str(current_app.config["SUBSCRIBE_RATE_LIMIT"])


def _not_found(message: str | None = None) -> tuple[str, int]:
    text = message or _("Dieser Link ist ungültig oder wurde schon benutzt.")
    return render_template("calendar/link_invalid.html", message=text), 404


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(_subscribe_limit, methods=["POST"])
def subscribe() -> str | Response:
    """The subscribe form. Every valid submission gets the same answer page."""
    choices = filter_choices(db.session)
    form = SubscribeForm()
    form.fill_choices(choices)
    if request.method == "GET":
        # A link from a town's or a partner's page ticks its boxes; a bad one ticks none.
        with contextlib.suppress(NotFound):
            args = {p: request.args.getlist(p) for p in URL_PARAMETERS}
            form.show_filter(filter_from_query(choices, args))
    if form.validate_on_submit():
        try:
            feed_filter = validated_filter(choices, **form.feed_filter_values())
            services.request_subscription(
                db.session,
                email=form.email.data or "",
                language=supported_language(str(get_locale())),
                feed_filter=feed_filter,
                notify_by_email=bool(form.notify_by_email.data),
                consent_text_version=CONSENT_TEXT_VERSION,
                ip=request.remote_addr,
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            # The same page for a new, a pending and an active address: it tells nothing.
            return redirect(url_for("calendar.subscribe_sent"))
    return render_template("calendar/subscribe.html", form=form)


@bp.get("/subscribe/sent")
def subscribe_sent() -> str:
    return render_template("calendar/subscribe_sent.html", hours=services.CONFIRM_HOURS)


@bp.route("/subscribe/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> str | Response | tuple[str, int]:
    """A page with one button: link scanners in mail systems follow GET links, and such a
    visit must not confirm in the person's place. The POST confirms."""
    form = ButtonForm()
    try:
        if not form.validate_on_submit():
            services.pending_subscriber(db.session, token)
            return render_template("calendar/confirm.html", form=form)
        subscriber, links = services.confirm_subscription(db.session, token, ip=request.remote_addr)
    except services.LinkExpired as error:
        return render_template("calendar/link_invalid.html", message=error.message), 410
    except NotFound as error:
        return _not_found(error.message)
    db.session.commit()
    # The feed URL exists only now (and in the mail): the page shows it, no redirect.
    return _feed_address_page(subscriber, links, rotated=False)


def _feed_address_page(
    subscriber: Subscriber, links: services.SubscriptionLinks, *, rotated: bool
) -> str:
    """The page that shows a new feed address: it exists only now (and in the mail)."""
    return render_template(
        "calendar/confirmed.html",
        subscriber=subscriber,
        links=links,
        label=_label(subscriber),
        rotated=rotated,
    )


def _label(subscriber: Subscriber) -> str:
    feed_filter = FeedFilter.from_json(subscriber.filters)
    return filter_choices(db.session).label(feed_filter, kind_labels())


@bp.route("/subscriptions/<token>", methods=["GET", "POST"])
def manage(token: str) -> str | Response | tuple[str, int]:
    """Change the choices of a subscription; new feed address; end it."""
    try:
        subscriber = services.active_subscriber_by_manage_token(db.session, token)
    except NotFound as error:
        return _not_found(error.message)
    choices = filter_choices(db.session)
    form = ManageForm()
    form.fill_choices(choices)
    if request.method == "GET":
        form.show_filter(FeedFilter.from_json(subscriber.filters))
        form.notify_by_email.data = subscriber.notify_by_email
    if form.validate_on_submit():
        try:
            services.change_subscription(
                db.session,
                subscriber,
                feed_filter=validated_filter(choices, **form.feed_filter_values()),
                notify_by_email=bool(form.notify_by_email.data),
            )
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "tours").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Ihre Auswahl ist gespeichert."))
            return redirect(url_for("calendar.manage", token=token))
    return render_template(
        "calendar/manage.html",
        form=form,
        button=ButtonForm(),
        subscriber=subscriber,
        token=token,
        label=_label(subscriber),
    )


def _button_pressed(token: str) -> Subscriber | tuple[str, int]:
    """The subscription behind a button of the manage page, or the page saying there is
    none (also for a POST without a valid CSRF token: it changes nothing)."""
    try:
        subscriber = services.active_subscriber_by_manage_token(db.session, token)
    except NotFound as error:
        return _not_found(error.message)
    if not ButtonForm().validate_on_submit():
        return _not_found()
    return subscriber


@bp.post("/subscriptions/<token>/rotate")
def rotate(token: str) -> str | tuple[str, int]:
    subscriber = _button_pressed(token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    links = services.rotate_feed_token(db.session, subscriber)
    db.session.commit()
    return _feed_address_page(subscriber, links, rotated=True)


@bp.post("/subscriptions/<token>/cancel")
def cancel(token: str) -> str | tuple[str, int]:
    subscriber = _button_pressed(token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    services.cancel_subscription(db.session, subscriber)
    db.session.commit()
    return render_template("calendar/cancelled.html")


@bp.route("/subscriptions/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> str | tuple[str, int]:
    """Stop the notice mails. GET asks (link scanners must not unsubscribe anyone); a POST
    unsubscribes at once: the mail program's one-click (RFC 8058, no CSRF token: it comes
    from the mail provider, and the secret in the URL is the proof) or the button."""
    try:
        subscriber = services.active_subscriber_by_manage_token(db.session, token)
    except NotFound as error:
        return _not_found(error.message)
    if request.method == "GET":
        return render_template("calendar/unsubscribe.html", token=token, done=False)
    services.stop_notices(db.session, subscriber)
    db.session.commit()
    return render_template("calendar/unsubscribe.html", token=token, done=True)
