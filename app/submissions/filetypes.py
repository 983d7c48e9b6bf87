"""Decide what an uploaded file is from its bytes, and refuse the ones that are not safe to keep. Pure.

The type is decided by the content, never the name. A file is refused, with a reason code, when it is
encrypted, malformed, a zip bomb, carries macros, declares XML entities (the door to external-entity attacks),
or is a polyglot (valid as two kinds at once, like a PDF with a ZIP appended). Nothing here runs a file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Final

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

PDF: Final = "pdf"
DOCX: Final = "docx"
ODT: Final = "odt"
TXT: Final = "txt"
KINDS: Final = (PDF, DOCX, ODT, TXT)
MEDIA_TYPES: Final = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ODT: "application/vnd.oasis.opendocument.text",
    TXT: "text/plain; charset=utf-8",
}
ODT_MIMETYPE: Final = b"application/vnd.oasis.opendocument.text"

MAX_ZIP_ENTRIES: Final = 2_000
MAX_UNPACKED_BYTES: Final = 100 * 1024 * 1024
MAX_RATIO: Final = 200  # an entry that unpacks to more than 200 times its packed size is a bomb
SNIFF_WINDOW: Final = 1024  # browsers sniff the first 512 bytes; look at twice that
HTML_MARKERS: Final = (b"<html", b"<script", b"<!doctype html", b"<svg", b"<body")


class RefusedFile(Exception):
    """The file cannot be accepted; `reason` is one of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REASONS: Final = (
    "unknown_type",
    "encrypted",
    "malformed",
    "zip_bomb",
    "macros",
    "xml_entities",
    "polyglot",
    "empty",
)


@dataclass(frozen=True)
class Sniffed:
    kind: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def sniff(data: bytes) -> Sniffed:
    """What `data` is (pdf, docx, odt, txt), or RefusedFile saying why it cannot be kept."""
    if not data:
        raise RefusedFile("empty")
    head = data[:SNIFF_WINDOW].lower()
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return Sniffed(PDF)
    if data.startswith(b"PK\x03\x04"):
        if b"%pdf-" in head or any(marker in head for marker in HTML_MARKERS):
            raise RefusedFile("polyglot")
        return Sniffed(_check_zip(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # An OLE compound file: an encrypted Office document, or the old .doc format with its macros.
        raise RefusedFile("encrypted")
    _check_text(data)
    return Sniffed(TXT)


def _check_pdf(data: bytes) -> None:
    if b"/Encrypt" in data:
        raise RefusedFile("encrypted")
    if any(marker in data for marker in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/EmbeddedFile")):
        raise RefusedFile("macros")
    if _is_zip(data) or any(marker in data[:SNIFF_WINDOW].lower() for marker in HTML_MARKERS):
        raise RefusedFile("polyglot")
    if b"%%EOF" not in data[-2048:]:
        raise RefusedFile("malformed")


def _is_zip(data: bytes) -> bool:
    # A ZIP is read from its end (the central directory), so one hidden after another format still opens.
    return b"PK\x05\x06" in data[-65_600:] and zipfile.is_zipfile(io.BytesIO(data))


def _check_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise RefusedFile("malformed") from None
    if not entries or entries[0].header_offset != 0:
        raise RefusedFile("polyglot")  # bytes before the first entry: another file in front
    if len(entries) > MAX_ZIP_ENTRIES:
        raise RefusedFile("zip_bomb")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise RefusedFile("encrypted")
        total += entry.file_size
        if total > MAX_UNPACKED_BYTES or entry.file_size > MAX_RATIO * max(entry.compress_size, 1024):
            raise RefusedFile("zip_bomb")
    names = {entry.filename for entry in entries}
    lowered = {name.lower() for name in names}
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        kind = DOCX
        types = _read(archive, "[Content_Types].xml")
        if any("vbaproject" in n or n.endswith(".bin") for n in lowered) or b"macroEnabled" in types:
            raise RefusedFile("macros")
        parts = ["[Content_Types].xml", "word/document.xml"]
    elif "mimetype" in names and _read(archive, "mimetype").strip() == ODT_MIMETYPE:
        kind = ODT
        if any(n.startswith(("basic/", "scripts/")) for n in lowered):
            raise RefusedFile("macros")
        parts = ["content.xml"]
        if "content.xml" not in names:
            raise RefusedFile("malformed")
    else:
        raise RefusedFile("unknown_type")
    for part in parts:
        parse_xml(_read(archive, part))
    return kind


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as handle:
            data = handle.read(MAX_UNPACKED_BYTES + 1)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
        raise RefusedFile("malformed") from None
    if len(data) > MAX_UNPACKED_BYTES:
        raise RefusedFile("zip_bomb")
    return data


def parse_xml(data: bytes):  # type: ignore[no-untyped-def]  # defusedxml returns ElementTree's Element
    """Parse XML refusing any DTD (entities, external ones above all)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise RefusedFile("xml_entities") from None
    except Exception:  # ElementTree's ParseError and friends: the part is not XML
        raise RefusedFile("malformed") from None


def _check_text(data: bytes) -> None:
    if b"\x00" in data:
        raise RefusedFile("unknown_type")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RefusedFile("unknown_type") from None
    if any(marker in data[:SNIFF_WINDOW].lower() for marker in HTML_MARKERS):
        raise RefusedFile("polyglot")
    if any(ord(ch) < 32 and ch not in "\n\r\t\f" for ch in text[:100_000]):
        raise RefusedFile("unknown_type")
