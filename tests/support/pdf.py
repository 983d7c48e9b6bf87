"""Helpers shared by the PDF tests (no tests here): read PDFs back, a fresh rendition cache, a canary listener."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from pypdf import PdfReader

from app.pdf.jobs import get_renditions
from app.pdf.render import RenditionCache

THREE_SECTION_DRAFT = """---
title: Test Policy
version: {label}
status: {status}
date: 2019-03-01
---
# Test Policy

## Purpose {{#purpose}}

1. This policy explains how agencies look after information about people. {{#purpose-1}}
2. It applies to every agency that collects or uses that information. {{#purpose-2}}

## Principles {{#principles}}

- Put people first when deciding what to collect. {{#principles-1}}
- Be open about what is collected and why. {{#principles-2}}

## Guidelines {{#guidelines}}

1. {words} {{#guidelines-1}}
2. Keep a record of every decision to share information, and of the reasons for it. {{#guidelines-2}}
"""

LONG_WORDS = " ".join(["Agencies should explain plainly what they collect and why."] * 120)


def draft(label: str = "First draft", status: str = "published", words: str = LONG_WORDS) -> str:
    return THREE_SECTION_DRAFT.format(label=label, status=status, words=words)


def read_pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-"), data[:200]
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in read_pdf(data).pages)


@contextmanager
def fresh_cache(app: Flask, root: Path) -> Iterator[RenditionCache]:
    """Point the app's rendition cache at an empty folder for one test."""
    renditions = get_renditions()
    previous = renditions.cache
    renditions.cache = RenditionCache(root)
    try:
        yield renditions.cache
    finally:
        renditions.cache = previous


def cache_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


class Canary:
    """An HTTP listener on loopback that records every request it gets (and redirects to file:///etc/passwd)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
