"""Staff pages for engagement events: list a version's, record one, change it, delete it, attach its summary."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.access import get_event_or_404, get_version_or_404, intake_required, signed_in_user
from app.boundary import current_session
from app.comments.views import show_form_again
from app.events import listing, services
from app.events.forms import DeleteEventForm, EventForm, SummaryForm
from app.models import EngagementEvent, Version

bp = Blueprint("events", __name__, url_prefix="/intake")


def _event_input(form: EventForm) -> services.EventInput:
    return services.EventInput(
        kind=form.kind.data,
        held_on=form.held_on.data,
        place=form.place.data,
        region=form.region.data,
        host=form.host.data,
        attendees=form.attendees.data,
    )


def _back(event: EngagementEvent) -> ResponseReturnValue:
    version = event.version
    return redirect(url_for("events.index", policy_slug=version.policy.slug, version_slug=version.slug), 303)


@bp.get("/<policy_slug>/<version_slug>/events")
@intake_required
def index(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    rows = listing.version_events(current_session(), version, staff=True)
    return render_template("events/index.html", version=version, rows=rows, delete_form=DeleteEventForm())


def _event_page(version: Version, form: EventForm, event: EngagementEvent | None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("events/edit.html", version=version, form=form, event=event), status


@bp.route("/<policy_slug>/<version_slug>/events/new", methods=["GET", "POST"])
@intake_required
def new(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = get_version_or_404(policy_slug, version_slug)
    form = EventForm()
    if request.method == "GET":
        return _event_page(version, form, None)
    show_form_again(form, lambda: _event_page(version, form, None, 422))
    event = services.create_event(current_session(), signed_in_user(), version, _event_input(form))
    flash(_("Event saved: %(place)s.", place=event.place), "success")
    return _back(event)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@intake_required
def edit(event_id: int) -> ResponseReturnValue:
    event = get_event_or_404(event_id)
    if request.method == "GET":
        form = EventForm(
            data={
                "kind": event.kind,
                "held_on": event.held_on.isoformat(),
                "place": event.place,
                "region": event.region or "",
                "host": event.host,
                "attendees": "" if event.attendees is None else str(event.attendees),
            }
        )
        return _event_page(event.version, form, event)
    form = EventForm()
    show_form_again(form, lambda: _event_page(event.version, form, event, 422))
    services.update_event(current_session(), signed_in_user(), event, _event_input(form))
    flash(_("Event saved: %(place)s.", place=event.place), "success")
    return _back(event)


@bp.post("/events/<int:event_id>/delete")
@intake_required
def delete(event_id: int) -> ResponseReturnValue:
    event = get_event_or_404(event_id)
    back = _back(event)
    place = event.place
    services.delete_event(current_session(), signed_in_user(), event)
    flash(_("Event deleted: %(place)s.", place=place), "success")
    return back


def _summary_page(event: EngagementEvent, form: SummaryForm, status: int = 200):  # type: ignore[no-untyped-def]
    summary = services.event_summary(current_session(), event)
    return render_template(
        "events/summary.html", event=event, version=event.version, form=form, summary=summary
    ), status


@bp.route("/events/<int:event_id>/summary", methods=["GET", "POST"])
@intake_required
def summary(event_id: int) -> ResponseReturnValue:
    event = get_event_or_404(event_id)
    if request.method == "GET":
        existing = services.event_summary(current_session(), event)
        form = SummaryForm(data={"body": existing.body, "consent": existing.consent} if existing else None)
        return _summary_page(event, form)
    form = SummaryForm()
    show_form_again(form, lambda: _summary_page(event, form, 422))
    submission = services.save_summary(
        current_session(),
        signed_in_user(),
        event,
        services.SummaryInput(body=form.body.data, consent=form.consent.data),
    )
    flash(
        _(
            "Summary saved as submission %(number)s, credited to %(host)s.",
            number=submission.tracking_number,
            host=event.host,
        ),
        "success",
    )
    return _back(event)
