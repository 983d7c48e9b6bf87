"""A locked URL fetcher for WeasyPrint: the app's own bundled assets and small data: URIs, nothing else.

WeasyPrint's default fetcher opens any URL it meets (http, https, ftp, file) and follows redirects; an image,
stylesheet, `@import`, SVG reference or `<link rel="attachment">` in a rendition would then reach the network
or the disk. This one answers only URLs under ASSET_BASE by reading files below app/static (allow-listed
types, no symlink or `..` escape) and `data:` URIs up to a size cap. It never opens a socket, so there is no
redirect to follow. Everything else is refused with ValueError, which WeasyPrint logs and skips.

Pure: imports no Flask, so the sandboxed render process can use it.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

# A base URL that can never resolve (".invalid" is reserved, RFC 2606): relative references in renditions
# resolve against it, and only this fetcher knows what it means.
ASSET_ORIGIN = "https://assets.korero.invalid"
ASSET_BASE = f"{ASSET_ORIGIN}/static/"
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"

ASSET_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
DATA_TYPES = {"image/png", "image/jpeg", "image/gif", "text/css", "font/woff", "font/woff2"}
MAX_ASSET_BYTES = 4 * 1024 * 1024
MAX_DATA_URI_CHARS = 512 * 1024


class RefusedURL(ValueError):
    """A URL the rendition may not fetch."""


class AssetFetcher(URLFetcher):
    """Serve bundled static assets and small data: URIs; refuse every other URL."""

    def __init__(self, static_root: Path = STATIC_ROOT) -> None:
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False, fail_on_errors=False)
        self.static_root = static_root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            if url.startswith("data:"):
                return self._data(url)
            if url.startswith(ASSET_BASE):
                return self._asset(url)
            raise RefusedURL("only the app's bundled assets may be fetched")
        except RefusedURL:
            self.refused.append(url[:200])
            raise

    def open(self, url: object, data: object = None, timeout: object = None) -> URLFetcherResponse:
        # urllib's OpenerDirector entry point: route it through the same checks, never the handlers.
        return self.fetch(getattr(url, "full_url", str(url)))

    def _asset(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        relative = unquote(parts.path).removeprefix("/static/")
        if "\\" in relative or "\x00" in relative:
            raise RefusedURL("malformed asset path")
        path = (self.static_root / relative).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise RefusedURL("no such asset")
        mime = ASSET_TYPES.get(path.suffix.lower())
        if mime is None:
            raise RefusedURL("asset type not allowed")
        if path.stat().st_size > MAX_ASSET_BYTES:
            raise RefusedURL("asset too large")
        headers = {"Content-Type": mime + ("; charset=utf-8" if mime == "text/css" else "")}
        return URLFetcherResponse(f"{ASSET_BASE}{relative}", path.read_bytes(), headers)

    def _data(self, url: str) -> URLFetcherResponse:
        if len(url) > MAX_DATA_URI_CHARS:
            raise RefusedURL("data: URI too large")
        header, _, payload = url[5:].partition(",")
        params = header.split(";")
        mime = (params[0] or "text/plain").strip().lower()
        # SVG is refused as data: so no SVG reaches the renderer except our own bundled files.
        if mime not in DATA_TYPES:
            raise RefusedURL("data: type not allowed")
        body = (
            base64.b64decode(payload, validate=False) if "base64" in params[1:] else unquote_to_bytes(payload)
        )
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def guess_type(path: Path) -> str:
    """The MIME type the fetcher would serve `path` with (for tests and tools)."""
    return (
        ASSET_TYPES.get(path.suffix.lower())
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )
