"""Akoma Ntoso 3.0 of a version: its sections and clauses as a hierarchy, with FRBR metadata.

Each section is an AKN `section` and each clause a `paragraph` inside it; their `eId`s are built from the stable
keys (`sec_<section key>`, `sec_<section key>__para_<clause key>`), so a clause keeps its eId from version to
version as it keeps its key. Headings are kept as written, te reo Māori included. The FRBR work is the policy,
the expression this version (its language and publication date), the manifestation this XML file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from lxml import etree

from app.models import Section, Version

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
_ID_SAFE = re.compile(r"[^A-Za-z0-9_\-.]")


def _e(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(
        parent, f"{{{AKN_NS}}}{tag}", {k.rstrip("_"): v for k, v in attributes.items()}
    )
    if text is not None:
        element.text = text
    return element


def eid_part(key: str) -> str:
    return _ID_SAFE.sub("-", key) or "x"


def _frbr(
    parent: etree._Element, level: str, this: str, uri: str, date: str, date_name: str
) -> etree._Element:
    element = _e(parent, level)
    _e(element, "FRBRthis", value=this)
    _e(element, "FRBRuri", value=uri)
    _e(element, "FRBRdate", date=date, name=date_name)
    _e(element, "FRBRauthor", href="#korero")
    return element


def version_document(version: Version, sections: Sequence[Section], language: str = "eng") -> bytes:
    """The version as an Akoma Ntoso 3.0 `doc`, serialised (UTF-8, with an XML declaration)."""
    root = etree.Element(f"{{{AKN_NS}}}akomaNtoso", nsmap={None: AKN_NS})
    doc = _e(root, "doc", name="policy")
    meta = _e(doc, "meta")
    identification = _e(meta, "identification", source="#korero")
    published = version.published_at or version.created_at or dt.datetime.now(dt.UTC)
    day = published.date().isoformat()
    work = f"/akn/nz/doc/policy/{version.policy.slug}"
    expression = f"{work}/{language}@{day}"
    work_el = _frbr(identification, "FRBRWork", f"{work}/!main", work, day, "generation")
    _e(work_el, "FRBRcountry", value="nz")
    _e(work_el, "FRBRname", value=version.policy.title)
    expr_el = _frbr(identification, "FRBRExpression", f"{expression}/!main", expression, day, "publication")
    _e(expr_el, "FRBRversionNumber", value=version.slug)
    _e(expr_el, "FRBRlanguage", language=language)
    _frbr(
        identification, "FRBRManifestation", f"{expression}/!main.xml", f"{expression}.akn", day, "generation"
    )
    references = _e(meta, "references", source="#korero")
    _e(references, "TLCOrganization", eId="korero", href="/ontology/organization/korero", showAs="Kōrero")
    preface = _e(doc, "preface")
    title = _e(preface, "longTitle", eId="longTitle")
    _e(title, "p", f"{version.policy.title} — {version.label}")
    body = _e(doc, "mainBody")
    for section in sections:
        section_id = f"sec_{eid_part(section.key)}"
        element = _e(body, "section", eId=section_id)
        _e(element, "num", section.number)
        _e(element, "heading", section.heading)
        for clause in section.clauses:
            paragraph = _e(element, "paragraph", eId=f"{section_id}__para_{eid_part(clause.key)}")
            _e(paragraph, "num", clause.number)
            content = _e(paragraph, "content")
            for part in [p for p in clause.text.split("\n\n") if p.strip()] or [""]:
                _e(content, "p", part.strip())
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
