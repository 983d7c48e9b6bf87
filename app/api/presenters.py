"""Rows as the API shows them: plain dicts the schemas dump. Who sees what is decided by
`app.comments.visibility` and the comment presenters, the same as the pages."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.comments.presenters import public_labels
from app.comments.visibility import shows_body
from app.diffing.viewmodel import CompareView
from app.models import (
    Answer,
    Attachment,
    Comment,
    Consent,
    Policy,
    Response,
    Section,
    Submission,
    Version,
    Viewer,
)
from app.responses.services import target_kind
from app.submissions.listing import QuestionResult
from app.submissions.presenters import option_label, organisation_kind_label, redacted_text
from app.submissions.visibility import is_own, is_public, shown_name, shown_text


def version_summary(version: Version) -> dict[str, Any]:
    return {
        "slug": version.slug,
        "label": version.label,
        "status": version.status,
        "position": version.position,
        "published_at": version.published_at,
        "comments_open_at": version.comments_open_at,
        "comments_close_at": version.comments_close_at,
        "content_hash": version.content_hash,
        "url": url_for(
            "api.version", policy_slug=version.policy.slug, version_slug=version.slug, _external=True
        ),
    }


def policy(policy: Policy, versions: list[Version]) -> dict[str, Any]:
    return {
        "slug": policy.slug,
        "title": policy.title,
        "summary": policy.summary,
        "moderation": policy.moderation,
        "url": url_for("api.policy", policy_slug=policy.slug, _external=True),
        "versions": [version_summary(v) for v in versions],
    }


def version(version: Version, sections: list[Section], previous: Version | None) -> dict[str, Any]:
    return {
        **version_summary(version),
        "policy": version.policy.slug,
        "change_note": version.change_note,
        "word_count": version.word_count,
        "previous": previous.slug if previous is not None else None,
        "sections": [
            {
                "key": s.key,
                "number": s.number,
                "heading": s.heading,
                "clauses": [
                    {
                        "key": c.key,
                        "number": c.number,
                        "markdown": c.markdown,
                        "text": c.text,
                        "comment_count": c.comment_count,
                    }
                    for c in s.clauses
                ],
            }
            for s in sections
        ],
    }


def comparison(policy_slug: str, old: Version, new: Version, view: CompareView) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    for change in view.changes:
        by_kind[change.kind] = by_kind.get(change.kind, 0) + 1
    return {
        "policy": policy_slug,
        "old": old.slug,
        "new": new.slug,
        "total": len(view.changes),
        "by_kind": by_kind,
        "changes": [
            {
                "kind": c.kind,
                "section_key": c.section_key,
                "old_section_key": c.old_section_key,
                "old_keys": list(c.old_keys),
                "new_keys": list(c.new_keys),
                "old_number": c.old_number,
                "new_number": c.new_number,
                "old_heading": c.old_heading,
                "new_heading": c.new_heading,
                "words": [{"op": w.op, "text": w.text} for w in c.words],
            }
            for c in view.changes
        ],
    }


def response_out(response: Response) -> dict[str, Any]:
    """A response and what it answers, named as the responses export names it: by kind, the comment's or the
    submission's tracking number, the campaign group, and for a free-text answer its question. Never the words
    answered: those are read, as the public may read them, at the comment's or the submission's own address."""
    answer = response.answer
    submission = response.submission if answer is None else answer.submission
    question = answer.question if answer is not None else None
    return {
        "id": response.id,
        "outcome": response.outcome,
        "text": response.text,
        "changed_in_version": response.changed_in_version.slug if response.changed_in_version else None,
        "changed_clause_keys": list(response.changed_clause_keys or []),
        "to_kind": target_kind(response.comment_id, response.submission_id, response.answer_id),
        "to_comment": response.comment.tracking_number if response.comment is not None else None,
        "to_campaign": response.campaign_group_id,
        "to_submission": submission.tracking_number if submission is not None else None,
        "to_answer": response.answer_id,
        "to_question": (
            {"id": question.id, "position": question.position, "prompt": question.prompt}
            if question is not None
            else None
        ),
        "created_at": response.created_at,
    }


def comment(viewer: Viewer, comment: Comment, answer: Response | None) -> dict[str, Any]:
    author, account, tombstone = public_labels(viewer, comment)
    published = comment.state == "published"
    group = comment.campaign_group
    return {
        "tracking_number": comment.tracking_number,
        "version": comment.version.slug,
        "clause_key": comment.clause.key,
        "in_reply_to": comment.parent.tracking_number if comment.parent is not None else None,
        "state": comment.state,
        "author": author,
        "account": account,
        "author_verified": comment.author_verified,
        "body": shown_text(viewer, comment) if shows_body(viewer, comment) else None,
        "tombstone": tombstone,
        "anchor": (
            {
                "exact": comment.quote_exact,
                "prefix": comment.quote_prefix,
                "suffix": comment.quote_suffix,
                "start": comment.quote_start,
                "end": comment.quote_end,
            }
            if comment.quote_exact is not None and shows_body(viewer, comment)
            else None
        ),
        "campaign": (
            {"id": group.id, "member_count": group.member_count} if group is not None and published else None
        ),
        "response": response_out(answer) if answer is not None and published else None,
        "reply_count": comment.reply_count,
        "settled": comment.processed,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
        "url": url_for("api.comment", tracking_number=comment.tracking_number, _external=True),
    }


# --- whole-version submissions -------------------------------------------------------------------------------


def _answer_value(answer: Answer) -> dict[str, Any]:
    question = answer.question
    return {
        "question_id": question.id,
        "position": question.position,
        "prompt": question.prompt,
        "kind": question.kind,
        "choices": list(answer.choices or []) if answer.text is None else [],
        "text": answer.text,
    }


def attachment(found: Submission, file: Attachment) -> dict[str, Any]:
    """An attachment of `found`: what it is and where to download it (never shown inline)."""
    return {
        "filename": file.filename,
        "kind": file.kind,
        "size_bytes": file.size_bytes,
        "page_count": file.page_count,
        "url": url_for(
            "submissions.attachment",
            tracking_number=found.tracking_number,
            attachment_id=file.id,
            _external=True,
        ),
    }


def submission(viewer: Viewer, found: Submission) -> dict[str, Any]:
    """A submission as `viewer` may see it: the name as its maker allowed, redactions applied for the public,
    files linked only where they may be downloaded. `viewer` is the reader, or the maker reading their own."""
    staff = viewer.sees_everything
    own = is_own(viewer, found)
    named = found.consent == Consent.NAMED.value or staff or own
    organisation = None
    if found.is_organisation:
        organisation = {
            "name": found.organisation_name if named else None,
            "kind": found.organisation_kind,
            "kind_label": organisation_kind_label(found.organisation_kind),
            "confirmed": found.organisation_confirmed_at is not None,
        }
    if found.redactions and not (staff or own):
        body = redacted_text(found.body, [(r.passage, r.reason) for r in found.redactions])
    else:
        body = found.body
    downloadable = is_public(found) or staff or own
    out: dict[str, Any] = {
        "tracking_number": found.tracking_number,
        "policy": found.version.policy.slug,
        "version": found.version.slug,
        "state": found.state,
        "channel": found.channel,
        "consent": found.consent,
        "author": shown_name(viewer, found),
        "submitter_kind": found.submitter_kind,
        "organisation": organisation,
        "region": found.region,
        "body": body,
        "section_keys": list(found.section_keys or []),
        "answers": [_answer_value(a) for a in sorted(found.answers, key=lambda a: a.question.position)],
        "attachments": [attachment(found, a) for a in found.attachments] if downloadable else [],
        "redactions": [
            {"reason": r.reason, **({"passage": r.passage} if staff else {})} for r in found.redactions
        ],
        "received_on": found.received_on,
        "submitted_at": found.submitted_at,
        "edited_at": found.edited_at,
        "url": url_for("api.submission", tracking_number=found.tracking_number, _external=True),
        "receipt_url": url_for("submissions.receipt", tracking_number=found.tracking_number, _external=True),
    }
    if staff:
        out["account"] = found.user.email if found.user is not None else None
        out["contact"] = found.submitter_contact
        out["moderation_reason"] = found.moderation_reason
    return out


def question_result(result: QuestionResult, answers_url: str | None) -> dict[str, Any]:
    question = result.question
    tally = result.tally
    return {
        "id": question.id,
        "position": question.position,
        "prompt": question.prompt,
        "kind": question.kind,
        "required": question.required,
        "section_key": question.section_key,
        "clause_key": question.clause_key,
        "answered": result.answered if tally is None else tally.answered,
        "counts": [
            {
                "option": c.option,
                "label": option_label(question.kind, c.option),
                "count": c.count,
                "percent": c.percent,
            }
            for c in tally.counts
        ]
        if tally is not None
        else None,
        "published_answers": len(result.texts) if tally is None else None,
        "answers_url": answers_url,
    }


def text_answer(viewer: Viewer, answer: Answer, found: Submission) -> dict[str, Any]:
    return {
        "id": answer.id,
        "tracking_number": found.tracking_number,
        "author": shown_name(viewer, found),
        "text": answer.text or "",
        "submitted_at": found.submitted_at,
    }
