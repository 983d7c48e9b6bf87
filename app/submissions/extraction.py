"""Text out of an accepted attachment, for reading, search and analysis. Pure (pypdf and defusedxml only).

Called only on files `filetypes.sniff` accepted. Extraction is bounded (pages and characters) so a large
file cannot hold a worker for long; a file that still fails to read gives its error to the caller.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Final

from app.submissions.filetypes import DOCX, ODT, PDF, TXT, parse_xml

MAX_PAGES: Final = 2_000
MAX_CHARS: Final = 2_000_000
W_NS: Final = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_NS: Final = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


@dataclass(frozen=True)
class Extracted:
    text: str
    pages: int


def extract(kind: str, data: bytes) -> Extracted:
    """The text of a file of `kind` (pdf, docx, odt, txt)."""
    if kind == PDF:
        return _pdf(data)
    if kind == DOCX:
        return _xml_paragraphs(data, "word/document.xml", {f"{W_NS}p"}, {f"{W_NS}t"})
    if kind == ODT:
        return _xml_paragraphs(data, "content.xml", {f"{TEXT_NS}p", f"{TEXT_NS}h"}, None)
    if kind == TXT:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
        return Extracted(text[:MAX_CHARS], max(1, text.count("\f") + 1))
    raise ValueError(f"not an attachment kind: {kind}")


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = reader.pages
    parts: list[str] = []
    size = 0
    for index, page in enumerate(pages):
        if index >= MAX_PAGES or size > MAX_CHARS:
            break
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
    return Extracted("\n\n".join(parts)[:MAX_CHARS], len(pages))


def _xml_paragraphs(data: bytes, part: str, paragraphs: set[str], runs: set[str] | None) -> Extracted:
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(part) as handle:
        root = parse_xml(handle.read())
    out: list[str] = []
    size = 0
    for element in root.iter():
        if element.tag in paragraphs:
            if runs is None:
                text = "".join(element.itertext())
            else:
                text = "".join(node.text or "" for node in element.iter() if node.tag in runs)
            out.append(text)
            size += len(text)
            if size > MAX_CHARS:
                break
    text = "\n".join(out).strip()
    return Extracted(text[:MAX_CHARS], max(1, len(text) // 3000 + 1))
