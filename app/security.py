"""Security headers for every response: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, abort, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

# An over-size body is read (and thrown away) up to this many bytes before the 413 is sent, so the browser has
# finished sending and can show the page; a larger one is cut off, as it must be.
DRAIN_LIMIT = 64 * 1024 * 1024

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Endpoints that take uploads bigger than MAX_CONTENT_LENGTH (submissions with attachments): endpoint -> limit.
LARGER_BODIES: dict[str, Callable[[], int]] = {}


def allow_larger_bodies(endpoint: str, limit: Callable[[], int]) -> None:
    """Let `endpoint` take request bodies up to `limit()` bytes instead of MAX_CONTENT_LENGTH."""
    LARGER_BODIES[endpoint] = limit


def init_app(app: Flask) -> None:
    """Trust the configured proxies, refuse NUL bytes and over-size bodies, attach the security headers."""
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        # The TLS proxy's X-Forwarded-* headers name the real client: rate limits and logs see its address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @app.before_request
    def refuse_oversize_bodies() -> None:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        larger = LARGER_BODIES.get(request.endpoint or "")
        if larger is not None:
            limit = larger()
            request.max_content_length = limit
        length = request.content_length
        if limit and length and length > limit:
            if length <= DRAIN_LIMIT:
                stream = request.environ["wsgi.input"]
                left = length
                while left > 0:
                    chunk = stream.read(min(left, 64 * 1024))
                    if not chunk:
                        break
                    left -= len(chunk)
            abort(413)

    @app.before_request
    def refuse_nul_bytes() -> None:
        # No key, slug or parameter of ours holds a NUL, and PostgreSQL refuses them in text: answer 404
        # for a path and 400 for a query string instead of letting the database raise.
        if "\x00" in request.path:
            abort(404)
        if any("\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)):
            abort(400)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        # A page made for one signed-in person (their name, their CSRF token) is kept by no cache.
        user = g.get("_login_user")  # only if this request loaded it: the database may be what failed
        # `is_anonymous`, not `is_authenticated`: the latter reads the row, which the commit has expired, so it
        # would cost every signed-in page a query after its work is done.
        if user is not None and not user.is_anonymous and "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "private, no-store"
            headers.add("Vary", "Cookie")
        if app.config.get("ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
