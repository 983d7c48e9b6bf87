"""flask-smorest wired into Kōrero's boundary: one Api, errors through `app.errors`, docs from the code.

flask-smorest works on any Flask app (Kōrero's `Korero` class included) through Blueprints. Two of its defaults
are changed here: it would register its own handler for every HTTP error (the app already has one, which rolls
back and answers problem+json for /api/), and webargs would abort with its own 422 body; instead a refused
parameter raises `ApiInputError`, a domain error like every other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask_babel import gettext as _
from flask_smorest import Api, Blueprint
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser

from app.api.requests import ApiInputError
from app.api.schemas import Problem

PROBLEM_TYPE = "application/problem+json"
PROBLEM_TEXT = {
    304: "Not modified (If-None-Match matched the ETag).",
    400: "A parameter or cursor could not be read.",
    401: "No token, or a token that is wrong or revoked.",
    403: "The token lacks the scope this needs.",
    404: "No such thing, or not public.",
    409: "Refused: the period is closed, the comment a duplicate, or a retry raced.",
    413: "The body is larger than this operation takes.",
    422: "A parameter or field is missing, malformed or not allowed.",
    429: "Too many requests for this token or address.",
    503: "Too busy to store it now; nothing was stored. Send it again after Retry-After seconds.",
}


class ProblemParser(FlaskParser):
    """Refuse bad parameters with a domain error (problem+json through `app.errors`), naming each field."""

    DEFAULT_VALIDATION_STATUS = 422

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise ApiInputError(_("Some of what was sent is not valid: see “errors”."), errors=messages)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ProblemParser()

    def problems(self, *codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Document the problem+json replies an operation may give."""

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            for code in codes:
                func = self.alt_response(
                    code, schema=Problem, content_type=PROBLEM_TYPE, description=PROBLEM_TEXT[code]
                )(func)
            return func

        return decorate


READ_LIMIT = "300 per minute"


def open_data_blueprint(name: str, import_name: str, description: str) -> ApiBlueprint:
    """A blueprint under /api/v1: no cookies (so no CSRF), every token checked, limits per token."""
    from flask import current_app

    from app.api.requests import check_token, rate_key
    from app.extensions import csrf, limiter

    blueprint = ApiBlueprint(name, import_name, url_prefix="/api/v1", description=description)
    # No cookie authentication on the API, so no cross-site request can write with a visitor's session.
    csrf.exempt(blueprint)
    blueprint.before_request(check_token)  # a wrong token is refused everywhere, not only where it is used
    limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", READ_LIMIT), key_func=rate_key)(blueprint)
    return blueprint


class KoreroApi(Api):  # type: ignore[misc]
    """flask-smorest's Api without its error handlers: `app.errors` answers every error."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        return None
