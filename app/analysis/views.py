"""The analysis workbench's pages: thin views over app.analysis.services, search, jobs, charts, report, exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from app.access import (
    drafter_required,
    get_policy_or_404,
    get_version_or_404,
    parse_id,
    signed_in_user,
    staff_required,
    viewer,
)
from app.analysis import charts, exports, inputs, jobs, report, search, services
from app.analysis.forms import ActionForm, AnswerForm, AssignForm, TagForm, ThemesForm
from app.boundary import current_session
from app.caching import cached_page
from app.comments import campaign_edits
from app.errors import redisplay
from app.exceptions import DomainError
from app.extensions import limiter
from app.models import CampaignGroup, Policy, SearchDocument, ThemeSuggestion, Version
from app.pdf.delivery import deliver
from app.responses.services import OUTCOME_LABELS

bp = Blueprint("analysis", __name__)
A = "/analysis/<policy_slug>/<version_slug>"


def _version(policy_slug: str, version_slug: str) -> Version:
    """Analysis is of public versions (working drafts have no contributions yet)."""
    return get_version_or_404(policy_slug, version_slug)


def _items_from_form() -> list[tuple[str, int]]:
    """`item=comment:12` fields, each checked; anything else is a tampered form (400)."""
    items = []
    for raw in request.form.getlist("item")[: search.BULK_LIMIT]:
        kind, _sep, ref = raw.partition(":")
        if kind not in services.CONTRIBUTION_KINDS:
            abort(400)
        items.append((kind, parse_id(ref)))
    return items


def _back(version: Version, endpoint: str = "analysis.workbench", **args: str) -> ResponseReturnValue:
    values: dict[str, Any] = {"policy_slug": version.policy.slug, "version_slug": version.slug, **args}
    return redirect(url_for(endpoint, **values), 303)


def _refused(target: Callable[[], ResponseReturnValue]) -> Callable[[DomainError], ResponseReturnValue]:
    """Show a refused action: a page with the message and a link back to where it came from."""

    def show(error: DomainError) -> ResponseReturnValue:
        back = target()
        location = getattr(back, "location", None) or url_for("analysis.index")
        return render_template("analysis/refused.html", error=error, back=location)

    return show


def _search_args() -> dict[str, str]:
    return {k: v for k, v in request.form.items() if k in inputs.FILTER_NAMES and v}


# --- search ------------------------------------------------------------------------------------------------


@bp.get("/policies/<policy_slug>/versions/<version_slug>/search")
@limiter.limit("120 per minute")
def public_search(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Search a published version's text and its published comments (staff also find the rest)."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    asked = inputs.read(session, version, request.args)
    page = search.search(session, viewer(), version, asked.query, asked.filters, asked.cursor)
    return render_template(
        "analysis/public_search.html",
        version=version,
        asked=asked,
        page=page,
        questions=search.questions_of(session, version),
    )


@bp.get("/analysis/")
@staff_required
def index() -> ResponseReturnValue:
    session = current_session()
    policies = session.scalars(select(Policy).order_by(Policy.title)).all()
    return render_template(
        "analysis/index.html", policies=[(p, [v for v in p.versions if v.is_public]) for p in policies]
    )


@bp.get(A)
@staff_required
def workbench(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    asked = inputs.read(session, version, request.args)
    page = search.search(session, viewer(), version, asked.query, asked.filters, asked.cursor)
    total = search.count(session, viewer(), version, asked.query, asked.filters)
    return render_template(
        "analysis/workbench.html",
        version=version,
        asked=asked,
        page=page,
        total=total,
        tags=services.codebook(session, version.policy),
        sections=search.sections_and_clauses(session, version),
        questions=search.questions_of(session, version),
        form=ActionForm(),
        progress=services.progress(session, version),
    )


@bp.post(A + "/tag")
@staff_required
@limiter.limit("120 per minute")
def tag_items(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """Tag the ticked items, or (scope=all) every item the search finds."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    args = _search_args()

    redisplay(_refused(lambda: _back(version, **args)))
    tag = services.get_tag(session, version.policy, _optional_id("apply_tag"))
    if request.form.get("scope") == "all":
        asked = inputs.read(session, version, args)
        items = search.all_items(session, viewer(), version, asked.query, asked.filters)
    else:
        items = _items_from_form()
    second = request.form.get("second") == "1"
    added = services.apply_tag(session, signed_in_user(), version, tag, items, second=second)
    flash(
        ngettext("Tagged %(num)d item “%(tag)s”.", "Tagged %(num)d items “%(tag)s”.", added, tag=tag.name),
        "success",
    )
    if request.form.get("next_item"):
        return (
            _back(version, "analysis.item", kind=items[0][0], ref_id=str(items[0][1]))
            if items
            else _back(version)
        )
    return _back(version, **args)


@bp.post(A + "/untag")
@staff_required
def untag(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    items = _items_from_form()
    if len(items) != 1:
        abort(400)
    redisplay(_refused(lambda: _back(version)))
    tag = services.get_tag(session, version.policy, _optional_id("tag"))
    services.remove_tag(session, signed_in_user(), version, tag, *items[0])
    flash(_("Took off “%(tag)s”.", tag=tag.name), "success")
    return _back(version, "analysis.item", kind=items[0][0], ref_id=str(items[0][1]))


def _optional_id(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return parse_id(raw) if raw else None


@bp.route(A + "/items/<kind>/<int:ref_id>", methods=["GET", "POST"])
@staff_required
def item(policy_slug: str, version_slug: str, kind: str, ref_id: int) -> ResponseReturnValue:
    """One item to code: its words, its tags, a passage to tag, the next item in the analyst's queue."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    document = session.scalar(
        select(SearchDocument).where(
            SearchDocument.kind == kind,
            SearchDocument.ref_id == ref_id,
            SearchDocument.version_id == version.id,
        )
    )
    if document is None or kind not in services.CONTRIBUTION_KINDS:
        abort(404)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        redisplay(_refused(lambda: _back(version, "analysis.item", kind=kind, ref_id=str(ref_id))))
        tag = services.get_tag(session, version.policy, _optional_id("tag"))
        start, end = _optional_int("start"), _optional_int("end")
        quote = services.quote_of(session, kind, ref_id, start, end)
        added = services.apply_tag(
            session,
            signed_in_user(),
            version,
            tag,
            [(kind, ref_id)],
            second=request.form.get("second") == "1",
            quote=quote,
        )
        flash(_("Tagged “%(tag)s”.", tag=tag.name) if added else _("It already had that tag."), "success")
        queue = services.my_queue(session, version, signed_in_user(), limit=2)
        following = next((d for d in queue if (d.kind, d.ref_id) != (kind, ref_id)), None)
        if request.form.get("then") == "next" and following is not None:
            return _back(version, "analysis.item", kind=following.kind, ref_id=str(following.ref_id))
        return _back(version, "analysis.item", kind=kind, ref_id=str(ref_id))
    applied = services.applications_of(session, kind, ref_id)
    headings = {
        "answer": _("Code answer %(id)d", id=ref_id),
        "submission": _("Code submission %(id)d", id=ref_id),
    }
    return render_template(
        "analysis/item.html",
        version=version,
        document=document,
        applied=applied,
        tags=services.codebook(session, version.policy),
        form=form,
        queue=services.my_queue(session, version, signed_in_user(), limit=10),
        heading=headings.get(kind) or _("Code comment %(id)d", id=ref_id),
        question=search.answer_facts(session, [ref_id]).get(ref_id, ("", 0))[0] if kind == "answer" else "",
    )


def _optional_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        abort(400)
    return int(raw)


# --- codebook ------------------------------------------------------------------------------------------------


@bp.route("/analysis/<policy_slug>/codebook", methods=["GET", "POST"])
@staff_required
def codebook(policy_slug: str) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    session = current_session()
    tags = services.codebook(session, policy)
    form = TagForm()
    form.parent.choices = [SelectChoice("", _("None (a top-level tag)"))] + [
        SelectChoice(str(t.id), t.name) for t in tags
    ]

    def page(error: str | None = None) -> ResponseReturnValue:
        return render_template(
            "analysis/codebook.html", policy=policy, tags=tags, form=form, error=error, action=ActionForm()
        )

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        abort(400)
    redisplay(lambda error: page(error.message))
    parent = form.parent.data or ""
    tag = services.create_tag(
        session,
        signed_in_user(),
        policy,
        form.name.data or "",
        form.description.data or "",
        parse_id(parent) if parent else None,
    )
    flash(_("Added “%(name)s” to the codebook.", name=tag.name), "success")
    return redirect(url_for("analysis.codebook", policy_slug=policy.slug), 303)


@bp.post("/analysis/<policy_slug>/codebook/<int:tag_id>")
@staff_required
def edit_tag(policy_slug: str, tag_id: int) -> ResponseReturnValue:
    policy = get_policy_or_404(policy_slug)
    session = current_session()
    form = TagForm()
    if not form.validate_on_submit():
        abort(400)
    back = redirect(url_for("analysis.codebook", policy_slug=policy.slug), 303)
    redisplay(_refused(lambda: back))
    tag = services.get_tag(session, policy, tag_id)
    into_raw = (request.form.get("into") or "").strip()
    if into_raw:
        into = services.get_tag(session, policy, parse_id(into_raw))
        moved = services.merge_tags(session, signed_in_user(), tag, into)
        flash(
            ngettext(
                "Merged into “%(name)s”: %(num)d item moved.",
                "Merged into “%(name)s”: %(num)d items moved.",
                moved,
                name=into.name,
            ),
            "success",
        )
    else:
        services.rename_tag(session, signed_in_user(), tag, form.name.data or "", form.description.data or "")
        flash(_("Saved “%(name)s”.", name=tag.name), "success")
    return back


# --- progress, assignment, agreement --------------------------------------------------------------------------


@bp.route(A + "/progress", methods=["GET", "POST"])
@staff_required
def progress(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    people = services.analysts(session)
    form = AssignForm()
    form.analyst.choices = [SelectChoice(str(u.id), u.display_name) for u in people]
    tags = services.codebook(session, version.policy)

    def page(error: str | None = None) -> ResponseReturnValue:
        names = {t.id: t.name for t in tags}
        return render_template(
            "analysis/progress.html",
            version=version,
            progress=services.progress(session, version),
            agreement=[(names[a.tag_id], a) for a in services.agreement(session, version, tags) if a.items],
            form=form,
            error=error,
        )

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(_("Give a whole number of items between 1 and %(most)d.", most=services.MAX_ASSIGN))
    redisplay(lambda error: page(error.message))
    analyst = next((u for u in people if str(u.id) == form.analyst.data), None)
    if analyst is None:
        return page(_("Choose a member of staff to assign to."))
    assigned = services.assign(
        session,
        signed_in_user(),
        version,
        analyst,
        int(form.count.data or 0),
        second=form.second.data == "second",
    )
    flash(
        ngettext(
            "Assigned %(num)d item to %(name)s.",
            "Assigned %(num)d items to %(name)s.",
            assigned,
            name=analyst.display_name,
        ),
        "success",
    )
    return _back(version, "analysis.progress")


# --- suggested themes ------------------------------------------------------------------------------------------


@bp.route(A + "/themes", methods=["GET", "POST"])
@staff_required
@limiter.limit("10 per minute", methods=["POST"])
def themes(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    form = ThemesForm()

    def page(error: str | None = None) -> ResponseReturnValue:
        run = jobs.latest_run(session, version, sweep=True)
        found = jobs.suggestions(session, run) if run is not None else []
        bodies = services.bodies(session, [tuple(r) for s in found for r in s.representatives])
        return render_template(
            "analysis/themes.html",
            version=version,
            run=run,
            suggestions=found,
            bodies=bodies,
            form=form,
            action=ActionForm(),
            tags=services.codebook(session, version.policy),
            error=error,
        )

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(_("Give whole numbers: between 2 and %(most)d themes, and a seed.", most=jobs.MAX_THEMES))
    redisplay(lambda error: page(error.message))
    seed = int(form.seed.data or 0)
    if not 0 <= seed <= 2**31 - 1:
        return page(_("The seed is a whole number from 0."))
    jobs.start_run(session, signed_in_user(), version, int(form.themes.data or 0), seed)
    flash(_("Working out suggested themes. This page shows the progress."), "success")
    return _back(version, "analysis.themes")


@bp.post(A + "/themes/<int:suggestion_id>")
@staff_required
def decide(policy_slug: str, version_slug: str, suggestion_id: int) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    suggestion = session.get(ThemeSuggestion, suggestion_id)
    if suggestion is None or suggestion.run.version_id != version.id:
        abort(404)
    redisplay(_refused(lambda: _back(version, "analysis.themes")))
    into_raw = (request.form.get("into") or "").strip()
    into = services.get_tag(session, version.policy, parse_id(into_raw)) if into_raw else None
    name = (request.form.get("name") or "").strip()
    action = request.form.get("action") or ""
    services.decide_suggestion(session, signed_in_user(), version, suggestion, action, name, into)
    flash(_("Saved your decision on the suggested theme."), "success")
    return _back(version, "analysis.themes")


# --- charts, exports, report ------------------------------------------------------------------------------------


@bp.get(A + "/charts")
@staff_required
def staff_charts(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    session = current_session()
    tag_bars = charts.bars([(t.name, n) for t, n in services.tag_counts(session, version)])
    return render_template(
        "analysis/charts.html",
        version=version,
        heat_map=charts.heat_map(session, version, staff=True),
        days=charts.per_day(session, version, staff=True),
        tag_bars=tag_bars,
        staff=True,
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/activity")
@cached_page
def activity(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The public heat map of comments by clause and comments per day."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    return render_template(
        "analysis/charts.html",
        version=version,
        heat_map=charts.heat_map(session, version, staff=False),
        days=charts.per_day(session, version, staff=False),
        tag_bars=[],
        staff=False,
    )


@bp.get(A + "/export.csv")
@staff_required
def export_csv(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    body = exports.as_csv(current_session(), version)
    return _download(
        body.encode("utf-8-sig"), "text/csv; charset=utf-8", f"{version.policy.slug}-{version.slug}-items.csv"
    )


@bp.get(A + "/export.xlsx")
@staff_required
def export_xlsx(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    body = exports.as_xlsx(current_session(), version)
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{version.policy.slug}-{version.slug}-items.xlsx",
    )


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("/policies/<policy_slug>/versions/<version_slug>/what-we-heard")
@cached_page
def what_we_heard(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    return render_template(
        "analysis/what_we_heard.html", version=version, report=report.build(current_session(), version)
    )


@bp.get("/policies/<policy_slug>/versions/<version_slug>/what-we-heard.pdf")
def what_we_heard_pdf(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    version = _version(policy_slug, version_slug)
    return deliver(report.rendition(current_session(), version), in_request=False)


# --- answer by theme -----------------------------------------------------------------------------------------


def _answer_with(
    session: Session, version: Version, targets: services.Answerable, **about: Any
) -> Callable[[AnswerForm], int]:
    """What the confirmed answer form does: one response for every target, recorded with what chose them."""

    def apply(form: AnswerForm) -> int:
        return services.answer_items(
            session,
            signed_in_user(),
            version,
            targets,
            form.outcome.data or "",
            form.text.data or "",
            form.changed_in.data or "",
            form.clauses.data or "",
            **about,
        )

    return apply


@bp.route(A + "/tags/<int:tag_id>/response", methods=["GET", "POST"])
@drafter_required
@limiter.limit("30 per minute", methods=["POST"])
def answer_tag(policy_slug: str, version_slug: str, tag_id: int) -> ResponseReturnValue:
    """One response for every comment, submission and free-text answer with a tag ("answer by theme")."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    tag = services.get_tag(session, version.policy, tag_id)
    tagged = services.tagged_items(session, version, tag, limit=services.MAX_ANSWER + 1)
    targets = services.answerable(session, version, tagged)

    apply = _answer_with(session, version, targets, tag=tag)
    mixed = bool(targets.submissions or targets.answers)
    return _answer_many(
        version,
        _("everything tagged “%(name)s”", name=tag.name)
        if mixed
        else _("every comment tagged “%(name)s”", name=tag.name),
        targets.total,
        {},
        apply,
        lambda: _back(version, "analysis.workbench", tag=str(tag.id)),
        refused=_too_many_tagged(len(tagged), targets.total),
        breakdown=_breakdown(targets) if mixed else "",
    )


def _too_many_tagged(tagged: int, answerable: int) -> str | None:
    if tagged > services.MAX_ANSWER:
        return _(
            "More than %(most)d items have this tag: answer them by a narrower search.",
            most=services.MAX_ANSWER,
        )
    if not answerable:
        return _(
            "Nothing with this tag can be answered yet (responses are linked to comments, submissions and "
            "free-text answers)."
        )
    return None


# --- campaign groups: look, split, merge, answer ---------------------------------------------------------------


def _group_or_404(version: Version, group_id: int) -> CampaignGroup:
    group = current_session().get(CampaignGroup, group_id)
    if group is None or group.version_id != version.id:
        abort(404)
    return group


@bp.get(A + "/groups")
@staff_required
def campaign_groups(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """The version's campaign groups, largest first."""
    version = _version(policy_slug, version_slug)
    groups = campaign_edits.version_groups(current_session(), version)
    return render_template("analysis/groups.html", version=version, groups=groups)


@bp.get(A + "/groups/<int:group_id>")
@staff_required
def campaign_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    """One campaign group: its text, its members (to take out), a group to merge it with, and the responses
    its merges set aside (staff only: no public page shows those)."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    group = _group_or_404(version, group_id)
    if group.merged_into_id is not None:
        return _back(version, "analysis.campaign_group", group_id=str(group.merged_into_id))
    return render_template(
        "analysis/group.html",
        version=version,
        group=group,
        members=campaign_edits.members(session, group),
        total=campaign_edits.member_total(session, group),
        others=[g for g in campaign_edits.version_groups(session, version) if g.id != group.id],
        set_aside=campaign_edits.set_aside_responses(session, group),
        outcome_labels=OUTCOME_LABELS,
        form=ActionForm(),
    )


def _ids_from_form(name: str) -> list[int]:
    return [parse_id(raw) for raw in request.form.getlist(name)[: campaign_edits.MAX_SPLIT + 1]]


def _group_action(policy_slug: str, version_slug: str, group_id: int) -> tuple[Version, CampaignGroup]:
    """The preamble of every change to a group: its version, the form's token, a live group, the refusal page."""
    version = _version(policy_slug, version_slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    _group_or_404(version, group_id)
    redisplay(_refused(lambda: _back(version, "analysis.campaign_group", group_id=str(group_id))))
    return version, campaign_edits.group_of_version(current_session(), version, group_id)


@bp.post(A + "/groups/<int:group_id>/split")
@staff_required
@limiter.limit("60 per minute")
def split_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    """Take the ticked members out of the group: each stands on its own from now on."""
    version, group = _group_action(policy_slug, version_slug, group_id)
    session = current_session()
    taken = campaign_edits.split_members(session, signed_in_user(), version, group, _ids_from_form("member"))
    flash(
        ngettext("Took %(num)d comment out of the group.", "Took %(num)d comments out of the group.", taken),
        "success",
    )
    return _back(version, "analysis.campaign_group", group_id=str(group_id))


@bp.post(A + "/groups/<int:group_id>/split-off")
@staff_required
@limiter.limit("60 per minute")
def split_off_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    """Make the ticked members a new campaign group of their own."""
    version, group = _group_action(policy_slug, version_slug, group_id)
    session = current_session()
    new_group = campaign_edits.split_into_new_group(
        session, signed_in_user(), version, group, _ids_from_form("member")
    )
    flash(
        ngettext(
            "Made group %(id)d of %(num)d comment.",
            "Made group %(id)d of %(num)d comments.",
            campaign_edits.member_total(session, new_group),
            id=new_group.id,
        ),
        "success",
    )
    return _back(version, "analysis.campaign_group", group_id=str(new_group.id))


@bp.post(A + "/groups/<int:group_id>/merge")
@staff_required
@limiter.limit("30 per minute")
def merge_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    """Merge this group into another of the version (one campaign found as two).

    When both have a response, a confirmation page first asks which one the merged group keeps.
    """
    version, source = _group_action(policy_slug, version_slug, group_id)
    session = current_session()
    into = inputs.read_id(request.form.get("into") or "")
    if into is None:
        raise campaign_edits.CampaignEditError(_("Give the number of the group to merge into."), "into")
    target = campaign_edits.group_of_version(session, version, into)
    keep = _optional_id("keep")
    responses = campaign_edits.responses_of(session, source, target)
    if keep is None and len(responses) == 2 and source.id != target.id:
        return render_template(
            "analysis/merge_confirm.html",
            version=version,
            source=source,
            target=target,
            responses=[(g, responses[g.id]) for g in (target, source)],
            outcome_labels=OUTCOME_LABELS,
            form=ActionForm(),
        )
    moved = campaign_edits.merge_groups(session, signed_in_user(), version, source, target, keep)
    flash(
        ngettext(
            "Merged into group %(id)d: %(num)d comment moved.",
            "Merged into group %(id)d: %(num)d comments moved.",
            moved,
            id=target.id,
        ),
        "success",
    )
    return _back(version, "analysis.campaign_group", group_id=str(target.id))


def _answer_form(version: Version) -> AnswerForm:
    from app.responses.services import later_versions

    form = AnswerForm()
    form.changed_in.choices = [SelectChoice("", _("No change made"))] + [
        SelectChoice(str(v.id), v.label) for v in later_versions(current_session(), version)
    ]
    return form


def _answer_many(
    version: Version,
    what: str,
    count: int,
    hidden: dict[str, str],
    apply: Callable[[AnswerForm], int],
    done: Callable[[], ResponseReturnValue],
    refused: str | None = None,
    breakdown: str = "",
) -> ResponseReturnValue:
    """Write a response, see how many comments it will answer, confirm: the one flow for groups and searches.

    `breakdown` (a search result with submissions or answers in it) says how many of each kind: the count is
    then of items, not of comments.

    The confirming POST carries the count the drafter saw; if the set changed meanwhile (new comments, a
    split), the page shows the new count and asks again, so nobody answers more items than they agreed to.
    """
    session = current_session()
    form = _answer_form(version)

    def page(confirming: bool = False, error: str | None = None) -> ResponseReturnValue:
        return render_template(
            "analysis/answer_many.html",
            version=version,
            what=what,
            count=count,
            hidden=hidden,
            form=form,
            confirming=confirming,
            error=error or refused,
            refused=refused,
            outcome_label=OUTCOME_LABELS.get(form.outcome.data or "", ""),
            breakdown=breakdown,
        )

    if request.method == "GET" or refused:
        return page()
    if not form.validate_on_submit():
        abort(400)
    redisplay(lambda error: page(error=error.message))
    services.check_answer(
        session,
        version,
        form.outcome.data or "",
        form.text.data or "",
        form.changed_in.data or "",
        form.clauses.data or "",
    )
    if request.form.get("step") != "confirm" or request.form.get("edit"):
        return page(confirming=request.form.get("edit") is None)
    if (request.form.get("expected") or "") != str(count):
        changed = (
            _("The number of items changed since you checked: it is now %(num)d. Confirm again.", num=count)
            if breakdown
            else _(
                "The number of comments changed since you checked: it is now %(num)d. Confirm again.",
                num=count,
            )
        )
        return page(confirming=True, error=changed)
    answered = apply(form)
    flash(
        ngettext("Response saved for %(num)d item.", "Response saved for %(num)d items.", answered)
        if breakdown
        else ngettext(
            "Response saved for %(num)d comment.", "Response saved for %(num)d comments.", answered
        ),
        "success",
    )
    return done()


@bp.route(A + "/groups/<int:group_id>/response", methods=["GET", "POST"])
@drafter_required
@limiter.limit("30 per minute", methods=["POST"])
def answer_campaign_group(policy_slug: str, version_slug: str, group_id: int) -> ResponseReturnValue:
    """One response for every member of a campaign group (linked to the group: each receipt shows it)."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    group = _group_or_404(version, group_id)
    if group.merged_into_id is not None:
        return _back(version, "analysis.answer_campaign_group", group_id=str(group.merged_into_id))
    members = campaign_edits.member_total(session, group)

    def apply(form: AnswerForm) -> int:
        services.answer_group(
            session,
            signed_in_user(),
            version,
            group,
            form.outcome.data or "",
            form.text.data or "",
            form.changed_in.data or "",
            form.clauses.data or "",
            members,
        )
        return members

    return _answer_many(
        version,
        _("every member of campaign group %(id)d", id=group.id),
        members,
        {},
        apply,
        lambda: _back(version, "analysis.campaign_group", group_id=str(group.id)),
        refused=None if members else _("This group has no members left to answer."),
    )


@bp.route(A + "/response", methods=["GET", "POST"])
@drafter_required
@limiter.limit("30 per minute", methods=["POST"])
def answer_search(policy_slug: str, version_slug: str) -> ResponseReturnValue:
    """One response for every comment, submission and free-text answer a search finds (its filters ride along)."""
    version = _version(policy_slug, version_slug)
    session = current_session()
    raw = request.args if request.method == "GET" else _search_args()
    asked = inputs.read(session, version, raw)
    found = search.all_items(
        session, viewer(), version, asked.query, asked.filters, limit=services.MAX_ANSWER + 1
    )
    targets = services.answerable(session, version, found)

    apply = _answer_with(session, version, targets, search=asked.args)
    mixed = bool(targets.submissions or targets.answers)
    return _answer_many(
        version,
        _("everything this search finds") if mixed else _("every comment this search finds"),
        targets.total,
        asked.args,
        apply,
        lambda: _back(version, **asked.args),
        refused=_too_many(len(found), targets.total),
        breakdown=_breakdown(targets) if mixed else "",
    )


def _breakdown(targets: services.Answerable) -> str:
    parts = [
        ngettext("%(num)d comment", "%(num)d comments", len(targets.comments)),
        ngettext("%(num)d submission", "%(num)d submissions", len(targets.submissions)),
        ngettext("%(num)d free-text answer", "%(num)d free-text answers", len(targets.answers)),
    ]
    return _(
        "That is %(comments)s, %(submissions)s and %(answers)s.",
        comments=parts[0],
        submissions=parts[1],
        answers=parts[2],
    )


def _too_many(found: int, answerable: int) -> str | None:
    if found > services.MAX_ANSWER:
        return _(
            "This search finds more than %(most)d items: narrow it before answering.",
            most=services.MAX_ANSWER,
        )
    if not answerable:
        return _(
            "This search finds nothing to answer (responses are linked to comments, submissions and "
            "free-text answers)."
        )
    return None
