"""Small Word documents built in the tests with python-docx (no binary fixtures in the repository)."""

from __future__ import annotations

import io

import docx


def street_trees_docx() -> bytes:
    """A first draft in Word: a title, two headings, paragraphs and a bulleted list."""
    document = docx.Document()
    document.add_paragraph("Street Trees Policy", style="Title")
    document.add_heading("Why trees", 1)
    document.add_paragraph("Trees shade footpaths and cool the streets around them in summer.")
    document.add_paragraph("Every new street gets at least one tree for each house on it.")
    document.add_heading("How we plant", 1)
    document.add_paragraph("Plant species that grow well here and need little water.", style="List Bullet")
    document.add_paragraph("Ask the people on the street before a tree is removed.", style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
