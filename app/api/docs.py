"""The API's docs page: every operation of the OpenAPI document, read from it, on a page of our own.

flask-smorest's ReDoc and Swagger UI pages load scripts from a CDN, which the strict Content-Security-Policy
refuses (and a consultation site should not load); this page is rendered on the server from the same document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations of an OpenAPI document, grouped in path order, with their parameters and replies."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "in": p.get("in"),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in parameters
                    ],
                    "body": "requestBody" in operation,
                    "responses": sorted(operation.get("responses", {})),
                    "secured": bool(operation.get("security")),
                }
            )
    return found


@bp.get("/api/v1/docs")
def docs() -> ResponseReturnValue:
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    spec = api.spec.to_dict()
    return render_template("api/docs.html", info=spec.get("info", {}), operations=operations(spec))
