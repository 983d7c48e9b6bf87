"""Reading the workbench's query string: a search, its filters and a page cursor, never a 500.

Each filter that cannot be read is dropped with a message the page shows, and the search runs without it:
hostile or stale bookmarks still get results and a clear word about what was ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import MAX_ID
from app.analysis.search import Filters
from app.analysis.textsearch import Query, parse_query
from app.comments.visibility import ALL_STATES
from app.models import CampaignGroup, Clause, Question, Section, Tag, Version

KINDS = ("comment", "submission", "answer", "clause")
CHANNELS = ("online", "policy", "post", "email", "hui", "phone")
FILTER_NAMES = (
    "q",
    "kind",
    "section",
    "clause",
    "state",
    "verified",
    "group",
    "tag",
    "uncoded",
    "channel",
    "from",
    "to",
    "question",
)


@dataclass
class SearchRequest:
    query: Query
    filters: Filters
    cursor: int | None
    problems: list[str] = field(default_factory=list)
    args: dict[str, str] = field(default_factory=dict)  # the filters that were used, for links and forms


def read_id(raw: str) -> int | None:
    """A positive id as typed in a form, or None (never an exception)."""
    return _id(raw)


def _id(raw: str) -> int | None:
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()[:10]) if raw.strip() else None
    except ValueError:
        return None


def read(session: Session, version: Version, args: Mapping[str, str]) -> SearchRequest:
    problems: list[str] = []
    used: dict[str, str] = {}

    def arg(name: str) -> str:
        return (args.get(name) or "").replace("\x00", "")[:600]

    query = parse_query(arg("q"))
    if query.truncated:
        problems.append(_("Your search was long: only its first words were used."))
    if not query.is_empty:
        used["q"] = query.text
    values: dict[str, object] = {}
    if (kind := arg("kind")) in KINDS:
        values["kind"], used["kind"] = kind, kind
    elif kind:
        problems.append(_("That kind of item is not known; showing every kind."))
    if section_key := arg("section"):
        section_id = session.scalar(
            select(Section.id).where(Section.version_id == version.id, Section.key == section_key[:64])
        )
        if section_id is None:
            problems.append(_("That section is not in this version; showing every section."))
        else:
            values["section_id"], used["section"] = section_id, section_key
    if clause_key := arg("clause"):
        clause_id = session.scalar(
            select(Clause.id).where(Clause.version_id == version.id, Clause.key == clause_key[:64])
        )
        if clause_id is None:
            problems.append(_("That clause is not in this version; showing every clause."))
        else:
            values["clause_id"], used["clause"] = clause_id, clause_key
    if (state := arg("state")) in ALL_STATES:
        values["state"], used["state"] = state, state
    elif state:
        problems.append(_("That moderation state is not known; showing every state."))
    if (verified := arg("verified")) in ("yes", "no"):
        values["verified"], used["verified"] = verified == "yes", verified
    elif verified:
        problems.append(_("Choose verified “yes” or “no”."))
    if group := arg("group"):
        group_id = _id(group)
        found = group_id is not None and session.scalar(
            select(CampaignGroup.id).where(
                CampaignGroup.id == group_id, CampaignGroup.version_id == version.id
            )
        )
        if not found:
            problems.append(_("That campaign group is not in this version; showing every comment."))
        else:
            values["campaign_group_id"], used["group"] = group_id, group
    if tag := arg("tag"):
        tag_id = _id(tag)
        found = tag_id is not None and session.scalar(
            select(Tag.id).where(Tag.id == tag_id, Tag.policy_id == version.policy_id)
        )
        if not found:
            problems.append(_("That tag is not in this policy's codebook; showing every item."))
        else:
            values["tag_id"], used["tag"] = tag_id, tag
    if question := arg("question"):
        question_id = _id(question)
        found = question_id is not None and session.scalar(
            select(Question.id).where(Question.id == question_id, Question.version_id == version.id)
        )
        if not found:
            problems.append(_("That question is not in this version; showing every item."))
        else:
            values["question_id"], used["question"] = question_id, question
    if arg("uncoded") in ("1", "yes", "on"):
        values["uncoded"], used["uncoded"] = True, "1"
    if (channel := arg("channel")) in CHANNELS:
        values["channel"], used["channel"] = channel, channel
    elif channel:
        problems.append(_("That channel is not known; showing every channel."))
    for name, key in (("from", "date_from"), ("to", "date_to")):
        if raw := arg(name):
            day = _date(raw)
            if day is None:
                problems.append(_("Dates are written like 2026-03-31; that date was ignored."))
            else:
                values[key], used[name] = day, day.isoformat()
    cursor = None
    if raw_cursor := arg("after"):
        cursor = _id(raw_cursor)
        if cursor is None:
            problems.append(_("That page link is not valid: showing the first page."))
    return SearchRequest(query, Filters(**values), cursor, problems, used)  # type: ignore[arg-type]
