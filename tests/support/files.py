"""Small attachment files made in memory: good PDF/DOCX/ODT/TXT, and the hostile kinds the upload refuses."""

from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)


def pdf(text: str = "Kia ora, this is our submission.", pages: int = 1, padding: int = 0) -> bytes:
    """A valid PDF with `text` on each of `pages` pages (Helvetica), optionally padded with a comment."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font_id = 3 + 2 * pages
    for i in range(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text} Page {i + 1}.) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    if padding:
        out.write(b"%" + b"p" * 70 + b"\n")
        out.write((b"%" + b"x" * 98 + b"\n") * (padding // 100))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf())).pages:
        writer.add_page(page)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(parts: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx(
    text: str = "Our organisation supports the draft.", document: str | None = None, **extra: bytes | str
) -> bytes:
    body = document or (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": body, **extra})


def odt(text: str = "He whakaaro nā mātou.") -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        f"<text:p>{text}</text:p></office:text></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def macro_docx() -> bytes:
    return docx(**{"word/vbaProject.bin": b"\x00" * 64})


def xxe_docx() -> bytes:
    document = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        "<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
    )
    return docx(document=document)


def zip_bomb() -> bytes:
    return docx(**{"word/media/huge.bin": b"\x00" * (40 * 1024 * 1024)})


def polyglot_pdf_zip() -> bytes:
    return pdf() + docx()


def malformed_docx() -> bytes:
    return docx()[:200]


HOSTILE_FILES = {
    "encrypted.pdf": encrypted_pdf,
    "macros.docx": macro_docx,
    "xxe.docx": xxe_docx,
    "bomb.docx": zip_bomb,
    "polyglot.pdf": polyglot_pdf_zip,
    "broken.docx": malformed_docx,
    "page.pdf": lambda: b"<html><script>alert(1)</script></html>",
    "program.txt": lambda: b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
    "empty.txt": lambda: b"",
    "truncated.pdf": lambda: pdf()[:300],
}
