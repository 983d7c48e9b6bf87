"""The comment period: whether a version takes comments now, and the one sentence that says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _

from app.comments.errors import CommentingClosedError
from app.drafts.parsing import NZ
from app.models import Version
from app.models.base import utcnow


@dataclass(frozen=True)
class PeriodStatus:
    """Whether a version takes comments now, and the sentence that says so."""

    is_open: bool
    message: str


def _nz_day(moment: dt.datetime) -> str:
    return str(format_date(moment.astimezone(NZ).date(), "d MMMM y"))


def period_status(version: Version, now: dt.datetime | None = None) -> PeriodStatus:
    """Describe the version's comment period at `now` in one plain sentence."""
    now = now or utcnow()
    opens, closes = version.comments_open_at, version.comments_close_at
    if version.accepts_comments_at(now) and closes is not None:
        return PeriodStatus(True, _("Comments are open until %(day)s.", day=_nz_day(closes)))
    if not version.is_public or opens is None or closes is None:
        return PeriodStatus(False, _("This version does not take comments."))
    current = version.superseded_by
    if current is not None and not version.open_when_superseded and now < closes:
        return PeriodStatus(
            False,
            _(
                "This version has been replaced by “%(label)s” and no longer takes comments. Comment on the current version instead.",
                label=current.label,
            ),
        )
    if now < opens:
        return PeriodStatus(
            False, _("Comments on this version are not yet open. They open on %(day)s.", day=_nz_day(opens))
        )
    return PeriodStatus(False, _("Comments on this version closed on %(day)s.", day=_nz_day(closes)))


def require_open(version: Version, now: dt.datetime | None = None) -> None:
    """Raise CommentingClosedError unless the version takes comments at `now`."""
    status = period_status(version, now)
    if not status.is_open:
        raise CommentingClosedError(status.message)
