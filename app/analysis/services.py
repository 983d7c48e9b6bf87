"""The analysis use cases: the codebook, tagging (one, passage, bulk), assignment, progress, agreement.

Each takes the session first, flushes and never commits, and raises domain errors. Every tag change writes an
audit event with the item it touched, in the same transaction.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Exists

from app.analysis.agreement import Agreement, agreement_by_tag
from app.caching import touch
from app.exceptions import ConflictError, InputError, NotFoundError
from app.models import (
    Answer,
    Assignment,
    CampaignGroup,
    Comment,
    Policy,
    Role,
    SearchDocument,
    Submission,
    SuggestionStatus,
    Tag,
    TagApplication,
    ThemeSuggestion,
    User,
    Version,
    audit,
)
from app.text import clean_text

MAX_TAG_NAME = 80
MAX_TAG_DESCRIPTION = 1000
MAX_ASSIGN = 5000
MAX_ANSWER = 5000  # comments one response is linked to at once (a search result; search.BULK_LIMIT)
CONTRIBUTION_KINDS = ("comment", "submission", "answer")  # what can be coded


class AnalysisError(InputError):
    """A coding request that cannot be done; the message is safe to show."""

    code = "analysis-refused"


# --- the codebook -------------------------------------------------------------------------------------


def codebook(session: Session, policy: Policy) -> list[Tag]:
    """The policy's tags, parents before their children, by name."""
    tags = list(session.scalars(select(Tag).where(Tag.policy_id == policy.id).order_by(Tag.name)))
    children: dict[int | None, list[Tag]] = defaultdict(list)
    for tag in tags:
        children[tag.parent_id].append(tag)
    ordered: list[Tag] = []

    def walk(parent: int | None) -> None:
        for tag in children.get(parent, []):
            ordered.append(tag)
            walk(tag.id)

    walk(None)
    known = {t.id for t in ordered}
    ordered += [t for t in tags if t.id not in known]  # parents in another policy cannot happen; keep all
    return ordered


def get_tag(session: Session, policy: Policy, tag_id: int | None) -> Tag:
    if tag_id is None:
        raise AnalysisError(_("Choose a tag."), "tag")
    tag = session.get(Tag, tag_id)
    if tag is None or tag.policy_id != policy.id:
        raise NotFoundError(_("That tag is not in this policy's codebook."), "tag")
    return tag


def create_tag(
    session: Session, actor: User, policy: Policy, name: str, description: str, parent_id: int | None
) -> Tag:
    name = clean_text(name, _("the tag's name"), MAX_TAG_NAME, field="name", multiline=False)
    description = clean_text(
        description, _("the description"), MAX_TAG_DESCRIPTION, field="description", required=False
    )
    parent = get_tag(session, policy, parent_id) if parent_id is not None else None
    if session.scalar(select(Tag.id).where(Tag.policy_id == policy.id, func.lower(Tag.name) == name.lower())):
        raise AnalysisError(_("The codebook already has a tag called “%(name)s”.", name=name), "name")
    tag = Tag(
        policy_id=policy.id,
        name=name,
        description=description,
        parent_id=parent.id if parent else None,
        created_by_id=actor.id,
    )
    session.add(tag)
    session.flush()
    audit(session, actor, "tag.create", "tag", tag.id, name=name, parent=tag.parent_id)
    return tag


def rename_tag(session: Session, actor: User, tag: Tag, name: str, description: str) -> Tag:
    name = clean_text(name, _("the tag's name"), MAX_TAG_NAME, field="name", multiline=False)
    description = clean_text(
        description, _("the description"), MAX_TAG_DESCRIPTION, field="description", required=False
    )
    clash = session.scalar(
        select(Tag.id).where(
            Tag.policy_id == tag.policy_id, func.lower(Tag.name) == name.lower(), Tag.id != tag.id
        )
    )
    if clash:
        raise AnalysisError(_("The codebook already has a tag called “%(name)s”.", name=name), "name")
    audit(session, actor, "tag.rename", "tag", tag.id, old=tag.name, new=name)
    touch(session, f"policy:{session.get_one(Policy, tag.policy_id).slug}")
    tag.name, tag.description = name, description
    session.flush()
    return tag


def merge_tags(session: Session, actor: User, source: Tag, into: Tag) -> int:
    """Move every application of `source` onto `into`, then remove `source`. Returns the items moved."""
    if source.id == into.id or source.policy_id != into.policy_id:
        raise AnalysisError(_("Choose another tag of the same codebook to merge into."), "into")
    moved = 0
    for application in session.scalars(select(TagApplication).where(TagApplication.tag_id == source.id)):
        duplicate = session.scalar(
            select(TagApplication.id).where(
                TagApplication.tag_id == into.id,
                TagApplication.kind == application.kind,
                TagApplication.ref_id == application.ref_id,
                TagApplication.coder_id == application.coder_id,
            )
        )
        if duplicate:
            session.delete(application)
        else:
            application.tag_id = into.id
            moved += 1
    for child in session.scalars(select(Tag).where(Tag.parent_id == source.id)):
        child.parent_id = into.id
    audit(session, actor, "tag.merge", "tag", into.id, source=source.id, source_name=source.name, moved=moved)
    touch(session, f"policy:{session.get_one(Policy, into.policy_id).slug}")
    session.flush()
    session.delete(source)
    session.flush()
    return moved


# --- tagging ---------------------------------------------------------------------------------------------


def _contributions(session: Session, version: Version, items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The items that are contributions to `version` (policy text and other versions' items are dropped)."""
    if not items:
        return []
    ids = {ref_id for _kind, ref_id in items}
    found = set(
        session.execute(
            select(SearchDocument.kind, SearchDocument.ref_id).where(
                SearchDocument.version_id == version.id,
                SearchDocument.kind.in_(CONTRIBUTION_KINDS),
                SearchDocument.ref_id.in_(ids),
            )
        )
    )
    return [item for item in dict.fromkeys(items) if item in found]


def apply_tag(
    session: Session,
    actor: User,
    version: Version,
    tag: Tag,
    items: list[tuple[str, int]],
    *,
    second: bool = False,
    quote: tuple[str, int, int] | None = None,
) -> int:
    """Tag `items` (skipping those already tagged by this coder); returns how many were newly tagged."""
    if tag.policy_id != version.policy_id:
        raise AnalysisError(_("That tag is not in this policy's codebook."), "tag")
    wanted = _contributions(session, version, items)
    if not wanted:
        raise AnalysisError(_("Choose at least one comment of this version to tag."), "items")
    have = set(
        session.execute(
            select(TagApplication.kind, TagApplication.ref_id).where(
                TagApplication.tag_id == tag.id,
                TagApplication.coder_id == actor.id,
                TagApplication.ref_id.in_({r for _k, r in wanted}),
            )
        )
    )
    added = 0
    for kind, ref_id in wanted:
        if (kind, ref_id) in have:
            continue
        exact, start, end = quote if quote else (None, None, None)
        session.add(
            TagApplication(
                tag_id=tag.id,
                kind=kind,
                ref_id=ref_id,
                version_id=version.id,
                coder_id=actor.id,
                second=second,
                quote_exact=exact,
                quote_start=start,
                quote_end=end,
            )
        )
        audit(session, actor, "tag.apply", kind, ref_id, tag=tag.id, tag_name=tag.name, second=second)
        added += 1
    _changed_report(session, version)
    session.flush()
    return added


def _changed_report(session: Session, version: Version) -> None:
    """Tags show on the public "what we heard" page: move its cache tag (tag rows are not watched tables)."""
    touch(session, f"comments:{version.policy.slug}/{version.slug}")


def quote_of(
    session: Session, kind: str, ref_id: int, start: int | None, end: int | None
) -> tuple[str, int, int] | None:
    """A passage of an item by character offsets, checked against its words; None for the whole item."""
    if start is None and end is None:
        return None
    body = session.scalar(
        select(SearchDocument.body).where(SearchDocument.kind == kind, SearchDocument.ref_id == ref_id)
    )
    if body is None or start is None or end is None or not 0 <= start < end <= len(body):
        raise AnalysisError(_("Choose a passage inside the comment's words."), "passage")
    return body[start:end], start, end


def applications_of(session: Session, kind: str, ref_id: int) -> list[TagApplication]:
    """Every tag on an item, first and second coding, oldest first."""
    return list(
        session.scalars(
            select(TagApplication)
            .where(TagApplication.kind == kind, TagApplication.ref_id == ref_id)
            .order_by(TagApplication.id)
        )
    )


def bodies(session: Session, items: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The words of some items (representative quotes), from the index."""
    if not items:
        return {}
    wanted = {(str(k), int(r)) for k, r in items}
    rows = session.execute(
        select(SearchDocument.kind, SearchDocument.ref_id, SearchDocument.body).where(
            SearchDocument.ref_id.in_({r for _k, r in wanted})
        )
    )
    return {(k, r): b for k, r, b in rows if (k, r) in wanted}


def remove_tag(session: Session, actor: User, version: Version, tag: Tag, kind: str, ref_id: int) -> None:
    application = session.scalar(
        select(TagApplication).where(
            TagApplication.tag_id == tag.id,
            TagApplication.kind == kind,
            TagApplication.ref_id == ref_id,
            TagApplication.version_id == version.id,
        )
    )
    if application is None:
        raise ConflictError(_("That tag was already taken off."))
    session.delete(application)
    audit(
        session, actor, "tag.remove", kind, ref_id, tag=tag.id, tag_name=tag.name, coder=application.coder_id
    )
    session.flush()


# --- assignment and progress ------------------------------------------------------------------------------


def analysts(session: Session) -> list[User]:
    """Who can code: drafters, reviewers and moderators (and admins), active."""
    staff = (Role.DRAFTER.value, Role.REVIEWER.value, Role.MODERATOR.value, Role.ADMIN.value)
    return list(
        session.scalars(
            select(User).where(User.role.in_(staff), User.suspended_at.is_(None)).order_by(User.display_name)
        )
    )


def _coded(second: bool = False) -> Exists:
    return exists().where(
        TagApplication.kind == SearchDocument.kind,
        TagApplication.ref_id == SearchDocument.ref_id,
        TagApplication.second.is_(second),
    )


def assign(
    session: Session, actor: User, version: Version, analyst: User, how_many: int, second: bool = False
) -> int:
    """Give `analyst` up to `how_many` items not yet coded and not yet assigned (oldest first)."""
    if not analyst.has_role(Role.DRAFTER, Role.REVIEWER, Role.MODERATOR):
        raise AnalysisError(_("Choose a member of staff to assign to."), "analyst")
    if not 0 < how_many <= MAX_ASSIGN:
        raise AnalysisError(_("Assign between 1 and %(most)d items at a time.", most=MAX_ASSIGN), "count")
    assigned = exists().where(
        Assignment.kind == SearchDocument.kind,
        Assignment.ref_id == SearchDocument.ref_id,
        Assignment.second.is_(second),
    )
    statement = (
        select(SearchDocument.kind, SearchDocument.ref_id)
        .where(
            SearchDocument.version_id == version.id,
            SearchDocument.kind.in_(CONTRIBUTION_KINDS),
            ~assigned,
        )
        .order_by(SearchDocument.id)
        .limit(how_many)
    )
    # First coding takes items nobody has coded; the second coder takes a sample of coded ones.
    statement = statement.where(_coded(False)) if second else statement.where(~_coded(False))
    items = list(session.execute(statement))
    for kind, ref_id in items:
        session.add(
            Assignment(
                kind=kind,
                ref_id=ref_id,
                version_id=version.id,
                analyst_id=analyst.id,
                second=second,
                assigned_by_id=actor.id,
            )
        )
    audit(
        session,
        actor,
        "analysis.assign",
        "version",
        version.id,
        analyst=analyst.id,
        count=len(items),
        second=second,
    )
    session.flush()
    return len(items)


@dataclass
class AnalystProgress:
    analyst: User
    assigned: int
    coded: int


@dataclass
class Progress:
    total: int
    coded: int
    by_analyst: list[AnalystProgress]

    @property
    def percent(self) -> int:
        return round(100 * self.coded / self.total) if self.total else 0


def progress(session: Session, version: Version) -> Progress:
    """Coded and not yet coded contributions of a version, and each analyst's share."""
    contributions = and_(SearchDocument.version_id == version.id, SearchDocument.kind.in_(CONTRIBUTION_KINDS))
    total = session.scalar(select(func.count()).where(contributions)) or 0
    coded = session.scalar(select(func.count()).where(contributions, _coded())) or 0
    rows = session.execute(
        select(Assignment.analyst_id, func.count(), func.count(TagApplication.id.distinct()))
        .outerjoin(
            TagApplication,
            and_(
                TagApplication.kind == Assignment.kind,
                TagApplication.ref_id == Assignment.ref_id,
                TagApplication.coder_id == Assignment.analyst_id,
            ),
        )
        .where(Assignment.version_id == version.id, Assignment.second.is_(False))
        .group_by(Assignment.analyst_id)
    ).all()
    coded_by = dict(
        session.execute(
            select(Assignment.analyst_id, func.count(Assignment.id.distinct()))
            .join(
                TagApplication,
                and_(
                    TagApplication.kind == Assignment.kind,
                    TagApplication.ref_id == Assignment.ref_id,
                    TagApplication.coder_id == Assignment.analyst_id,
                ),
            )
            .where(Assignment.version_id == version.id, Assignment.second.is_(False))
            .group_by(Assignment.analyst_id)
        ).all()
    )
    assigned = {analyst_id: n for analyst_id, n, _coded_n in rows}
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(assigned)))}
    by_analyst = [
        AnalystProgress(people[a], n_assigned, coded_by.get(a, 0))
        for a, n_assigned in assigned.items()
        if a in people
    ]
    by_analyst.sort(key=lambda p: p.analyst.display_name)
    return Progress(total, coded, by_analyst)


def my_queue(session: Session, version: Version, analyst: User, limit: int = 50) -> list[SearchDocument]:
    """The analyst's assigned items they have not coded yet."""
    mine = exists().where(
        TagApplication.kind == SearchDocument.kind,
        TagApplication.ref_id == SearchDocument.ref_id,
        TagApplication.coder_id == analyst.id,
    )
    return list(
        session.scalars(
            select(SearchDocument)
            .join(
                Assignment,
                and_(Assignment.kind == SearchDocument.kind, Assignment.ref_id == SearchDocument.ref_id),
            )
            .where(Assignment.version_id == version.id, Assignment.analyst_id == analyst.id, ~mine)
            .order_by(SearchDocument.id)
            .limit(limit)
        )
    )


def agreement(session: Session, version: Version, tags: list[Tag]) -> list[Agreement]:
    """Cohen's kappa per tag between the first coding and the second coder's, on the items both coded."""
    first: dict[tuple[str, int], set[int]] = defaultdict(set)
    second: dict[tuple[str, int], set[int]] = defaultdict(set)
    rows = session.execute(
        select(
            TagApplication.kind, TagApplication.ref_id, TagApplication.tag_id, TagApplication.second
        ).where(TagApplication.version_id == version.id)
    )
    for kind, ref_id, tag_id, is_second in rows:
        (second if is_second else first)[(kind, ref_id)].add(tag_id)
    return agreement_by_tag(first, second, [t.id for t in tags])


def tag_counts(session: Session, version: Version) -> list[tuple[Tag, int]]:
    """Each tag of the policy with the number of items (first coding) tagged with it in `version`."""
    counts = dict(
        session.execute(
            select(TagApplication.tag_id, func.count(func.distinct(TagApplication.ref_id)))
            .where(TagApplication.version_id == version.id, TagApplication.second.is_(False))
            .group_by(TagApplication.tag_id)
        ).all()
    )
    tags = session.scalars(select(Tag).where(Tag.policy_id == version.policy_id).order_by(Tag.name)).all()
    return sorted(((t, counts.get(t.id, 0)) for t in tags), key=lambda pair: (-pair[1], pair[0].name))


def tagged_items(session: Session, version: Version, tag: Tag, limit: int = 5000) -> list[tuple[str, int]]:
    return list(
        session.execute(
            select(TagApplication.kind, TagApplication.ref_id)
            .where(TagApplication.tag_id == tag.id, TagApplication.version_id == version.id)
            .distinct()
            .order_by(TagApplication.ref_id)
            .limit(limit)
        )
    )


# --- suggested themes: a person decides -------------------------------------------------------------------


def decide_suggestion(
    session: Session,
    actor: User,
    version: Version,
    suggestion: ThemeSuggestion,
    action: str,
    name: str = "",
    into: Tag | None = None,
) -> Tag | None:
    """Accept a suggestion as a new tag (its members tagged), merge it into a tag, or reject it."""
    if suggestion.status != SuggestionStatus.SUGGESTED.value:
        raise ConflictError(_("Someone has already decided on that suggestion."))
    members = [(str(kind), int(ref_id)) for kind, ref_id in suggestion.members]
    tag: Tag | None = None
    if action == "accept":
        policy = session.get_one(Policy, version.policy_id)
        tag = create_tag(
            session,
            actor,
            policy,
            name or suggestion.label,
            _("Accepted from a suggested theme: %(terms)s", terms=", ".join(suggestion.terms[:8])),
            None,
        )
        suggestion.status = SuggestionStatus.ACCEPTED.value
    elif action == "merge":
        if into is None:
            raise AnalysisError(_("Choose the tag to merge this theme into."), "into")
        tag = into
        suggestion.status = SuggestionStatus.MERGED.value
    elif action == "reject":
        suggestion.status = SuggestionStatus.REJECTED.value
    else:
        raise AnalysisError(_("Choose accept, merge or reject."), "action")
    suggestion.decided_by_id = actor.id
    suggestion.tag_id = tag.id if tag is not None else None
    audit(session, actor, f"themes.{action}", "theme_suggestion", suggestion.id, tag=suggestion.tag_id)
    if tag is not None and members:
        # If every member was removed since the run, the tag stands with nothing on it.
        with contextlib.suppress(AnalysisError):
            apply_tag(session, actor, version, tag, members)
    session.flush()
    return tag


# --- answer by theme -----------------------------------------------------------------------------------


# --- answer a campaign group or a search result at once ---------------------------------------------------


def top_level_comments(session: Session, items: list[tuple[str, int]]) -> list[int]:
    """The top-level comments among `items` (what a response can be linked to), by id."""
    ids = {ref_id for kind, ref_id in items if kind == "comment"}
    if not ids:
        return []
    return list(
        session.scalars(
            select(Comment.id).where(Comment.id.in_(ids), Comment.parent_id.is_(None)).order_by(Comment.id)
        )
    )


@dataclass(frozen=True)
class Answerable:
    """What a response to a search result is linked to: its top-level comments, submissions, free-text answers."""

    comments: list[int]
    submissions: list[int]
    answers: list[int]

    @property
    def total(self) -> int:
        return len(self.comments) + len(self.submissions) + len(self.answers)


def answerable(session: Session, version: Version, items: list[tuple[str, int]]) -> Answerable:
    """The items of a search result a response can be linked to, each kind by id (replies and choices are not)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for kind, ref_id in items:
        wanted[kind].add(ref_id)
    comments = top_level_comments(session, [("comment", i) for i in wanted["comment"]])
    submissions = (
        list(
            session.scalars(
                select(Submission.id)
                .where(Submission.id.in_(wanted["submission"]), Submission.version_id == version.id)
                .order_by(Submission.id)
            )
        )
        if wanted["submission"]
        else []
    )
    answers = (
        list(
            session.scalars(
                select(Answer.id)
                .join(Submission, Submission.id == Answer.submission_id)
                .where(
                    Answer.id.in_(wanted["answer"]),
                    Answer.text.is_not(None),
                    Submission.version_id == version.id,
                )
                .order_by(Answer.id)
            )
        )
        if wanted["answer"]
        else []
    )
    return Answerable(comments, submissions, answers)


def answer_items(
    session: Session,
    actor: User,
    version: Version,
    items: Answerable,
    outcome: str,
    text: str,
    changed_in_id: str,
    clause_refs: str,
    search: dict[str, str] | None = None,
    tag: Tag | None = None,
) -> int:
    """One response linked to each comment, submission and answer (each receipt shows it); audited once, as
    answering a search (with its filters) or, given `tag`, as answering that tag."""
    from app.responses.services import find_later_version, respond

    if not items.total:
        raise AnalysisError(_("This search finds nothing to answer."), "text")
    if items.total > MAX_ANSWER:
        raise AnalysisError(
            _("Answer at most %(most)d items at once: narrow the search.", most=MAX_ANSWER), "text"
        )
    changed_in = find_later_version(session, version, changed_in_id)
    answered = 0
    targets: list[Comment | Submission | Answer | None] = [
        *(session.get(Comment, i) for i in items.comments),
        *(session.get(Submission, i) for i in items.submissions),
        *(session.get(Answer, i) for i in items.answers),
    ]
    for target in targets:
        if target is None:
            continue
        respond(session, actor, target, outcome, text, changed_in, clause_refs)
        answered += 1
    counts: dict[str, Any] = {
        "count": answered,
        "comments": len(items.comments),
        "submissions": len(items.submissions),
        "answers": len(items.answers),
        "outcome": outcome,
    }
    if tag is not None:
        audit(session, actor, "response.by_tag", "tag", tag.id, **counts)
    else:
        audit(session, actor, "response.by_search", "version", version.id, **counts, search=search or {})
    session.flush()
    return answered


def check_answer(
    session: Session, version: Version, outcome: str, text: str, changed_in_id: str, clause_refs: str
) -> None:
    """Check a response before the drafter confirms it (the confirmation page): raises what is wrong."""
    from app.responses.services import checked_response, find_later_version

    changed_in = find_later_version(session, version, changed_in_id)
    checked_response(session, version, outcome, text, changed_in, clause_refs)


def answer_group(
    session: Session,
    actor: User,
    version: Version,
    group: CampaignGroup,
    outcome: str,
    text: str,
    changed_in_id: str,
    clause_refs: str,
    members: int,
) -> None:
    """The campaign group's one response: linked to the group, so every member's receipt shows it."""
    from app.responses.services import record_response

    record_response(session, actor, group, outcome, text, changed_in_id, clause_refs)
    audit(session, actor, "response.by_group", "campaign_group", group.id, count=members, outcome=outcome)
    session.flush()
