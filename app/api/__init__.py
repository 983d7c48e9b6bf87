"""Open data: the JSON API at /api/v1 (OpenAPI 3.1 from the code), tokens, exports, feeds, Akoma Ntoso.

`init_app` registers, in order: the API blueprint through flask-smorest (its document at
/api/v1/openapi.json), the docs page, the account's token pages, and the open-data formats (feeds, XML, exports).
"""

from __future__ import annotations

from flask import Flask, Response, request


def init_app(app: Flask) -> None:
    from app.api.blueprint import KoreroApi

    app.config.setdefault("API_TITLE", "Kōrero API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Policies, versions, comparisons, comments, whole-version submissions, question "
                "results, responses and the moderation log of Kōrero, and commenting and sending submissions "
                "with a personal access token. Errors are RFC 9457 problem details."
            },
            "components": {
                "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "bearerFormat": "kr_…"}}
            },
        },
    )
    api = KoreroApi(app)

    from app.api import submission_views, views
    from app.api.exports import bp as exports_bp

    del submission_views  # imported for its operations on `views.bp`, which must exist before it registers

    api.register_blueprint(views.bp)
    api.register_blueprint(exports_bp)

    from app.api.account import bp as account_bp
    from app.api.docs import bp as docs_bp
    from app.api.opendata import bp as opendata_bp

    app.register_blueprint(docs_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(opendata_bp)

    @app.context_processor
    def feeds() -> dict[str, object]:
        from app.api.opendata import alternate_links

        return {"alternate_links": lambda: alternate_links(request.view_args)}

    @app.after_request
    def api_headers(response: Response) -> Response:

        if request.path.startswith("/api/"):
            # Public data, read without cookies: any site's scripts may read it.
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            response.headers.setdefault(
                "Access-Control-Expose-Headers", "ETag, Location, Idempotent-Replayed"
            )
            response.vary.add("Authorization")  # a staff token reads more than the public at the same address
            if response.status_code == 401:
                response.headers.setdefault("WWW-Authenticate", 'Bearer realm="korero"')
        return response
