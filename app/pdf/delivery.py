"""Deliver a rendition: send the cached PDF, else render it now (small ones) or in the background.

The orchestration every PDF download shares, out of the views: look in the cache, look at the job queue, decide
whether this request renders or hands the work to a background job, and answer with the file, a "preparing" page
that reloads itself, or the "could not make this PDF" page.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.pdf import services
from app.pdf.jobs import get_renditions
from app.pdf.render import RenderError

PREPARING_REFRESH_SECONDS = 3


def deliver(rendition: services.Rendition, in_request: bool) -> ResponseReturnValue:
    """Send the cached PDF; else render it now (cheap ones) or in the background with a 'preparing' page."""
    renditions = get_renditions()
    path = renditions.cache.get(rendition.key)
    if path is None:
        state = renditions.jobs.state(rendition.key)
        if state == "pending":
            return preparing()
        if state == "failed":
            return failed()
        html = rendition.build()
        css = services.stylesheets()
        if not in_request and len(html.encode()) > renditions.inline_max:
            renditions.jobs.submit(rendition.key, html, css)
            return preparing()
        try:
            renditions.render_now(rendition.key, html, css)
        except RenderError:
            return failed()
        path = renditions.cache.path(rendition.key)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=rendition.filename,
        conditional=True,
        etag=rendition.key,
        last_modified=dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC),
        max_age=0 if not rendition.public else 3600,
    )
    if rendition.public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.vary.add("Cookie")
    return response


def preparing() -> ResponseReturnValue:
    """The page a reader sees while a big PDF is made; it reloads itself (a meta refresh, so no script)."""
    return (
        render_template("pdf/preparing.html", refresh=PREPARING_REFRESH_SECONDS),
        202,
        {"Retry-After": str(PREPARING_REFRESH_SECONDS), "Cache-Control": "no-store"},
    )


def failed() -> ResponseReturnValue:
    """The page for a PDF that could not be made (logged by the render pool)."""
    message = _(
        "We could not make this PDF. The problem has been logged. Please try again in a few minutes, "
        "or read the version on the web in the meantime."
    )
    return render_template("errors/error.html", code=500, message=message), 500, {"Cache-Control": "no-store"}
