"""The OpenAPI document says what the server does beyond its routes: who may call it.

With a token configured every request needs it (``Authorization: Bearer``, or ``?token=``
once, which sets a cookie) and is answered 401 without it; the document declares both ways
and the 401 on every operation, so a client generated from it authenticates.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from veille.settings import Settings
from veille.web.security import COOKIE

UNAUTHORIZED = {"description": "No token, or not the configured one (`WWW-Authenticate: Bearer`)"}
SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "VEILLE_WEB_TOKEN"},
    "token": {"type": "apiKey", "in": "query", "name": "token", "description": "Sets a cookie"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": COOKIE, "description": "Set by ?token="},
}


def with_auth(spec: dict[str, Any]) -> dict[str, Any]:
    """The document with the token's security schemes and its 401 on every operation."""
    spec.setdefault("components", {})["securitySchemes"] = SCHEMES
    spec["security"] = [{name: []} for name in SCHEMES]
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("responses", {})["401"] = UNAUTHORIZED
    return spec


def install(app: FastAPI, settings: Settings) -> None:
    """Build the document once, saying how to authenticate when a token is required."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_auth(spec) if settings.web_token else spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
