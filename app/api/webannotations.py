"""Comments as W3C Web Annotations (JSON-LD): each comment on a passage is an annotation on its clause.

The target is the clause (its API address plus a fragment naming its key) with a TextQuoteSelector (the exact
words and their context) and a TextPositionSelector (offsets into the clause's plain text), as the anchor was
stored; a comment on a whole clause targets the clause alone. Replies have motivation `replying` and target the
comment they answer. Only published comments are annotations: tombstones carry no words to annotate with.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.comments.presenters import author_label
from app.models import Comment, Version
from app.submissions.visibility import public_text

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def clause_source(version: Version, clause_key: str) -> str:
    base = url_for("api.version", policy_slug=version.policy.slug, version_slug=version.slug, _external=True)
    return f"{base}#clause-{clause_key}"


def annotation(comment: Comment) -> dict[str, Any]:
    """One published comment as an Annotation."""
    version = comment.version
    item: dict[str, Any] = {
        "id": url_for("api.comment", tracking_number=comment.tracking_number, _external=True),
        "type": "Annotation",
        "motivation": "replying" if comment.parent_id is not None else "commenting",
        "created": comment.created_at.isoformat(timespec="seconds"),
        "creator": {"type": "Person", "name": author_label(comment)},
        "body": {
            "type": "TextualBody",
            "value": public_text(comment),
            "format": "text/markdown",
            "purpose": "commenting",
        },
    }
    if comment.edited_at is not None:
        item["modified"] = comment.edited_at.isoformat(timespec="seconds")
    if comment.parent is not None:
        item["target"] = url_for(
            "api.comment", tracking_number=comment.parent.tracking_number, _external=True
        )
        return item
    source = clause_source(version, comment.clause.key)
    if comment.quote_exact is None:
        item["target"] = {"source": source}
        return item
    selectors: list[dict[str, Any]] = [
        {
            "type": "TextQuoteSelector",
            "exact": comment.quote_exact,
            "prefix": comment.quote_prefix or "",
            "suffix": comment.quote_suffix or "",
        }
    ]
    if comment.quote_start is not None and comment.quote_end is not None:
        selectors.append(
            {"type": "TextPositionSelector", "start": comment.quote_start, "end": comment.quote_end}
        )
    item["target"] = {"source": source, "selector": selectors}
    return item


def collection_page(
    version: Version,
    comments: list[Comment],
    total: int,
    page_url: str,
    next_url: str | None,
    collection_url: str,
) -> dict[str, Any]:
    """An AnnotationCollection with its first page embedded (the W3C Annotation Protocol's paging shape)."""
    page: dict[str, Any] = {
        "id": page_url,
        "type": "AnnotationPage",
        "partOf": collection_url,
        "items": [annotation(c) for c in comments],
    }
    if next_url:
        page["next"] = next_url
    return {
        "@context": CONTEXT,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": f"Comments on {version.policy.title}, {version.label}",
        "total": total,
        "first": page,
    }
