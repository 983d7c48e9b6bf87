"""The compare view model in words: what each kind of change is called and what happened at each place.

The view model (`app.diffing.viewmodel`) is pure and cached for every locale; these functions translate it when
a page or a PDF is rendered. Templates call them as globals (`change_labels`, `describe_change`, `kind_rows`,
`section_rows`, `redline_segments`), registered by the diffing blueprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from app.diffing.viewmodel import CompareView, RedlineItem, SummaryRow

# Words for each kind of change, shown beside every change and in the summary.
KIND_LABELS: dict[str, LazyString] = {
    "section_added": _l("Section added"),
    "section_removed": _l("Section removed"),
    "section_renamed": _l("Section renamed"),
    "section_moved": _l("Section moved"),
    "clause_added": _l("Clause added"),
    "clause_removed": _l("Clause removed"),
    "clause_moved": _l("Clause moved"),
    "clause_reworded": _l("Clause reworded"),
    "clause_split": _l("Clause split"),
    "clause_merged": _l("Clauses merged"),
}


def kind_label(kind: str) -> str:
    """A kind of change in words."""
    return str(KIND_LABELS[kind])


def change_labels(item: RedlineItem) -> list[str]:
    """The kinds of change at one place of the redline, in words."""
    return [kind_label(kind) for kind in item.kinds]


def kind_rows(view: CompareView) -> list[SummaryRow]:
    """The summary's counts by kind, in words."""
    return view.kind_rows(kind_label)


def section_rows(view: CompareView) -> list[SummaryRow]:
    """The summary's counts by section, each with its kinds in words."""
    return view.section_rows(kind_label)


def describe_change(item: RedlineItem) -> str:
    """Say in words what happened at one place of the redline (its non-colour cue)."""
    facts, parts = item.facts, []
    for kind in item.kinds:
        if kind == "clause_moved":
            parts.append(
                _("Moved from clause %(old)s (section %(section)s) to clause %(new)s.", **facts)
                if facts.get("section")
                else _("Moved from clause %(old)s to clause %(new)s.", **facts)
            )
        elif kind == "clause_split":
            parts.append(_("Clause %(old)s was split into clauses %(parts)s.", **facts))
        elif kind == "clause_merged":
            parts.append(_("Clauses %(parts)s were merged into clause %(new)s.", **facts))
        elif kind == "section_renamed":
            parts.append(_("Renamed from “%(old_heading)s” to “%(new_heading)s”.", **facts))
        elif kind == "section_moved":
            parts.append(_("Moved from section %(old)s to section %(new)s.", **facts))
        elif kind == "clause_added":
            parts.append(_("Clause %(new)s is new.", **facts))
        elif kind == "clause_removed":
            parts.append(_("Clause %(old)s was removed.", **facts))
        elif kind == "section_added":
            parts.append(_("Section %(new)s is new.", **facts))
        elif kind == "section_removed":
            parts.append(_("Section %(old)s was removed.", **facts))
        elif kind == "clause_reworded":
            parts.append(_("Reworded.") if not facts.get("format_only") else _("Formatting changed."))
    return " ".join(parts)


def redline_segments(segments: Iterable[Any]) -> Markup:
    """A run of redline segments as HTML: inserted words underlined, deleted ones struck through.

    Colour is one cue, underline or strike-through another, and visually hidden words ("inserted:" ... "(end of
    insertion)") tell a screen reader what it is reading. Made here rather than in a template loop: a long
    comparison has thousands of segments, and the four phrases are translated once per run, not per segment.
    """
    hidden = '<span class="visually-hidden">{}</span>'
    ins_open = '<ins class="ins">' + hidden.format(escape(_("inserted:")) + " ")
    ins_close = hidden.format(" " + escape(_("(end of insertion)"))) + "</ins>"
    del_open = '<del class="del">' + hidden.format(escape(_("deleted:")) + " ")
    del_close = hidden.format(" " + escape(_("(end of deletion)"))) + "</del>"
    parts: list[str] = []
    for segment in segments:
        text = str(escape(segment.text))
        if segment.op == "insert":
            parts += [ins_open, text, ins_close]
        elif segment.op == "delete":
            parts += [del_open, text, del_close]
        else:
            parts.append(text)
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped
